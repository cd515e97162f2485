"""`stylepath summarise-run`: the report's front page.

First the study's claims, each judged across the replicates (stylepath.findings), with the data
and VGG19 weights that produced the verdicts; the collapsed dimensions of each run; the
known-answer controls (stylepath.controls); then whether each model reached its objective in each
replicate (stylepath.diagnostics); then the headline numbers with their spread across replicates.
Outputs:

    report/findings.csv     one row per claim: key, claim, criterion, statistic, depends_on, mean
                            (of the statistic), threshold (mean), side, margin, ci_low, ci_high
                            (t interval of the margin), values (per replicate), holds_in (margin
                            > 0), valid_replicates, replicates, p (largest over replicates),
                            interval_verdict, note, p_holm, verdict, data, vgg19_weights
    report/findings_by_layer.csv   the trajectory claims judged on each VGG19 layer's own curve (Gatys)
    report/instrument_agreement.csv   per trajectory claim and reading: each instrument's verdict,
                            agreement, median_curve_rho and same_pattern_share
    report/replicates.csv   per model (and 'all' = every model's walks pooled) and quantity: n,
                            mean, ci_low, ci_high, sd, min, max, values, replicates
    report/headline.csv     one row per model and replicate: the headline numbers, the shape in
                            words and the verdict
    report/summary.html     all of it on one page
"""

import html

import numpy as np
import pandas as pd

from stylepath.config import model_label
from stylepath.findings import (
    across_replicates,
    agreement_table,
    findings_table,
    layer_table,
    readings,
    shape_reading,
)
from stylepath.io import StylepathError, atomic_path, read_json, write_csv

# column of the headline table -> (source table, its column)
HEADLINE = {
    "reached_objective": ("analysis", "reached_objective"),
    "recon_ratio": ("analysis", "recon_ratio"),
    "recon_mse": ("analysis", "recon_mse"),
    "sphericity": ("analysis", "sphericity"),
    "prior_sphericity": ("analysis", "prior_sphericity"),
    "prior_mmd_p": ("analysis", "prior_mmd_p"),
    "condition_ratio": ("analysis", "condition_ratio"),
    "effective_dim_fraction": ("analysis", "effective_dim_fraction"),
    "isotropy": ("analysis", "isotropy"),
    "isotropy_band_low": ("analysis", "isotropy_band_low"),
    "active_dims": ("analysis", "active_dims"),
    "collapsed_dims": ("analysis", "collapsed_dims"),
    "probe_train": ("analysis", "probe_train"),
    "probe_val": ("analysis", "probe_val"),
    "chance": ("analysis", "chance"),
    "probe_p": ("analysis", "probe_p"),
    "kmeans_train_ari": ("analysis", "kmeans_train_ari"),
    "kmeans_val_ari": ("analysis", "kmeans_val_ari"),
    "best_ari": ("analysis", "best_ari"),
    "best_ari_by": ("analysis", "best_ari_algorithm"),
    "share_horseshoe": ("patterns", "share_horseshoe"),
    "share_wave": ("patterns", "share_wave"),
    "share_other": ("patterns", "share_other"),
    "mean_cdi": ("patterns", "mean_cdi"),
    "r_cdi_wave": ("patterns", "r_cdi_wave"),
    "eta2_cdi_pattern": ("patterns", "eta2_cdi_pattern"),
    "n_trajectories": ("patterns", "n_trajectories"),
    "verdict": ("analysis", "verdict"),
}
QUANTITIES = [name for name in HEADLINE if name not in ("best_ari_by", "verdict", "shape")]
POOLED = ["mean_cdi", "r_cdi_wave", "eta2_cdi_pattern", "share_horseshoe", "share_wave"]


def headline_table(analysis: pd.DataFrame, patterns: pd.DataFrame) -> pd.DataFrame:
    """The headline numbers, one row per model and replicate (the analysis summary's order)."""
    per_model = patterns[(patterns["criterion"] == "all") & (patterns["model"] != "all")]
    tables = {
        "analysis": analysis.set_index(["model", "replicate"]),
        "patterns": per_model.set_index(["model", "replicate"]),
    }
    missing = [f"{t}.{c}" for t, c in HEADLINE.values() if c not in tables[t].columns]
    if missing:
        raise StylepathError(f"summary tables lack {missing}: re-run the analysis and patterns stages")
    runs = tables["analysis"].index
    columns = {name: tables[t].reindex(runs)[c] for name, (t, c) in HEADLINE.items()}
    return pd.DataFrame(columns).reset_index()


def with_shape_reading(headline: pd.DataFrame, settings: dict) -> pd.DataFrame:
    """The headline table with `shape`: each run's held-out shape in words (findings.shape_reading)."""
    readings = [shape_reading(r.isotropy, r.isotropy_band_low, settings) for r in headline.itertuples()]
    return headline.assign(shape=readings)


def replicate_table(headline: pd.DataFrame, patterns: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Across-replicate statistics per model and quantity, plus every model's walks pooled."""
    headline = headline.assign(reached_objective=headline["reached_objective"].astype(float))
    pooled = patterns[(patterns["model"] == "all") & (patterns["criterion"] == "all")]
    return pd.concat(
        [across_replicates(headline, QUANTITIES, confidence), across_replicates(pooled, POOLED, confidence)],
        ignore_index=True,
    )


def provenance(data: dict, weights: dict, n_replicates: int) -> dict:
    """What produced the numbers, and whether they are evidence about paintings at all."""
    demo = data["source"] == "synthetic" or not weights["pretrained"]
    reasons = []
    if data["source"] == "synthetic":
        reasons.append("the paintings are the embedded synthetic set")
    if not weights["pretrained"]:
        reasons.append("the style losses come from random VGG19 weights, not the measure of Gatys et al")
    return {
        "data": f"{data['source']}: {data['n_images']} images of {data['image_size']} px, "
        f"styles {', '.join(data['styles'])}",
        "weights": weights["weights_id"],
        "replicates": n_replicates,
        "demo": demo,
        "warning": (
            "DEMO RUN: these verdicts check the pipeline, not the study's claims: " + "; ".join(reasons) + "."
            if demo
            else ""
        ),
    }


STYLE = (
    "body{font-family:sans-serif;margin:1em;max-width:80em}table{border-collapse:collapse;margin-bottom:1em}"
    "th,td{padding:3px 7px;border-bottom:1px solid #ddd;text-align:right;vertical-align:top}"
    "td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}.warning{background:#fff3cd;padding:.5em}"
    ".supported{background:#d4edda}.contradicted{background:#f8d7da}.inconclusive{background:#fff3cd}"
    ".failed{color:#a00}"
)


def number(value, digits: int = 3) -> str:
    return "–" if pd.isna(value) else f"{value:.{digits}g}"


def interval_text(mean, low, high) -> str:
    """'0.52 [0.41, 0.63]', or '0.52' without an interval."""
    if pd.isna(low):
        return number(mean)
    return f"{number(mean)} [{number(low)}, {number(high)}]"


def verdict_table_html(table: pd.DataFrame, first: str, extra: list[str] = ()) -> str:
    """A verdict table (findings or controls): the claim, its criterion, the statistic's mean, the
    margin's t interval, the Holm-adjusted p where the claim has a test, and the verdict."""
    rows = []
    for row in table.itertuples():
        tested = row.verdict != "not tested"
        statistic = f"{row.statistic}: {number(row.mean)}" if tested else row.statistic
        margin = interval_text(row.margin, row.ci_low, row.ci_high) if tested else ""
        counts = f"{row.holds_in} of {row.valid_replicates}" if tested else ""
        cells = [getattr(row, first), row.criterion, statistic, margin, counts, number(row.p_holm), row.verdict]
        cells += [getattr(row, name) for name in extra] + [row.note or ""]
        rows.append(f"<tr class='{row.verdict}'>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    names = [first, "criterion (per replicate)", "statistic: mean", "margin: mean [t interval]",
             "margin > 0 in (of valid)", "p (Holm)", "verdict", *extra, "replicates left out / notes"]  # fmt: skip
    head = "".join(f"<th>{html.escape(h)}</th>" for h in names)
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def collapse_html(headline: pd.DataFrame) -> str:
    """One line per model: collapsed dimensions per replicate, apart from the shape."""
    lines = []
    for model, runs in headline.groupby("model", sort=False):
        counts = ", ".join(
            f"seed {r.replicate}: {number(r.collapsed_dims)} of {number(r.active_dims + r.collapsed_dims)}"
            for r in runs.itertuples()
        )
        shapes = ", ".join(f"{r.shape}" for r in runs.itertuples())
        lines.append(f"<li>{html.escape(model_label(model))}: collapsed dimensions {counts}; shape {shapes}</li>")
    return f"<ul>{''.join(lines)}</ul>"


def objectives_html(headline: pd.DataFrame) -> str:
    rows = []
    for model, runs in headline.groupby("model", sort=False):
        reached = int(runs["reached_objective"].sum())
        details = "<br>".join(
            f"seed {r.replicate}: <span class='{'' if r.reached_objective else 'failed'}'>"
            f"{html.escape(r.verdict)}</span>"
            for r in runs.itertuples()
        )
        cells = [html.escape(model_label(model)), f"{reached} of {len(runs)}", details]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    head = "<tr><th>model</th><th>reached its objective</th><th>verdict per replicate</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def headline_html(replicates: pd.DataFrame) -> str:
    shown = ["recon_ratio", "isotropy", "sphericity", "probe_train", "probe_val", "kmeans_val_ari", "share_horseshoe",
             "share_wave", "mean_cdi"]  # fmt: skip
    table = replicates[replicates["quantity"].isin(shown) & (replicates["model"] != "all")]
    table = table.assign(text=[interval_text(r.mean, r.ci_low, r.ci_high) for r in table.itertuples()])
    wide = table.pivot(index="model", columns="quantity", values="text").reindex(columns=shown)
    wide = wide.reindex(list(dict.fromkeys(table["model"]))).rename(index=model_label)
    return wide.to_html(na_rep="–", border=0)


RULE = (
    "Per replicate each claim has a statistic and a threshold; its margin is the statistic's distance from the "
    "threshold towards the claim's side. A claim is <b>supported</b> when the t interval of the margin across the "
    "valid replicates (at least 2) lies wholly above 0 and, where its criterion includes a test, the largest p-value "
    "over its replicates is below alpha after Holm's adjustment across the claims; <b>contradicted</b> when the "
    "interval lies wholly below 0; <b>inconclusive</b> otherwise. A replicate is valid evidence only when every "
    "model the claim is about reached its objective in it (below; no objective check restates a claim). The "
    "latent-geometry claims are judged on held-out codes."
)


def instrument_agreement(findings: pd.DataFrame, walks: pd.DataFrame, orientations: list) -> pd.DataFrame:
    """Per trajectory claim and reading, each instrument's verdict and whether they agree
    (findings.agreement_table), with two per-walk statistics over the non-static walks of every
    model and replicate: the median rank correlation of a walk's curve under the other instrument
    with its Gatys curve (patterns' curve_rho), and the share of walks given the same pattern."""
    table = agreement_table(findings)
    walks = walks[~walks["static"].astype(bool)]
    instruments = list(dict.fromkeys(walks["instrument"]))
    if table.empty or len(instruments) < 2:
        return table
    first, other = (
        walks[walks["instrument"] == name].set_index(["model", "replicate", "pair_id"]) for name in instruments[:2]
    )
    other = other.reindex(first.index)
    table["median_curve_rho"] = float(np.nanmedian(other["curve_rho"])) if other["curve_rho"].notna().any() else np.nan
    columns = {label: column for column, label in readings(orientations).items()}
    table["same_pattern_share"] = [float((first[columns[r]] == other[columns[r]]).mean()) for r in table["reading"]]
    return table


def agreement_html(agreement: pd.DataFrame) -> str:
    if agreement.empty:
        return "<p>One style instrument only: nothing to compare.</p>"
    return agreement.to_html(index=False, na_rep="–", border=0, float_format=lambda v: f"{v:.3g}")


def to_html(findings, by_layer, agreement, controls, headline, replicates, origin: dict, run: str) -> str:
    """The front page: provenance, findings, objectives, headline numbers, how to read them."""
    warning = f"<p class='warning'>{html.escape(origin['warning'])}</p>" if origin["warning"] else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{STYLE}</style></head><body>"
        f"<h2>stylepath run {html.escape(run)}: the study's claims</h2>{warning}"
        f"<p>Data: {html.escape(origin['data'])}. VGG19 weights: {html.escape(origin['weights'])}. "
        f"Replicates (training seeds): {origin['replicates']}.</p>"
        "<p>To look at the latent spaces and walks: <a href='explorer.html'>the explorer</a> (explorer.html beside "
        "this page; in the Snakemake report, under 0 Summary).</p>"
        f"{verdict_table_html(findings, 'claim')}"
        f"<p>{RULE}</p>"
        "<h3>Do the two style instruments agree?</h3>"
        "<p>The trajectory claims are judged under each style instrument: <b>gatys</b>, the Gatys et al. style "
        "loss on VGG19 features, is the paper's measure (with random weights in an offline run, not the paper's "
        "network); <b>portilla_simoncelli</b>, steerable-pyramid texture statistics with no learned weights, is a "
        "second opinion that means the same offline and online. Per-walk agreement: median_curve_rho (rank "
        "correlation of a walk's two curves) and same_pattern_share.</p>"
        f"{agreement_html(agreement)}"
        "<h3>The trajectory claims on each VGG19 layer's own curve</h3>"
        "<p>With Gatys' normalisation and equal weights one layer can dominate the total (each layer's share: "
        "patterns/layers.csv); each layer's verdicts, a family of tests of its own:</p>"
        f"{verdict_table_html(by_layer, 'layer', ['claim'])}"
        "<h3>Collapse (dimensions that carry no variance, never read as shape)</h3>"
        f"{collapse_html(headline)}"
        "<h3>What each rule says about cases whose answer we know</h3>"
        "<p>Constructed latent tables of this run's sizes (images, split, dimensions, replicates) sent through "
        "the same measurements and verdict rules (stylepath.controls).</p>"
        f"{verdict_table_html(controls, 'control', ['expected', 'as_expected'])}"
        f"<h3>Did each model reach its objective?</h3>{objectives_html(headline)}"
        f"<h3>Headline numbers: mean [t interval] across replicates</h3>{headline_html(replicates)}"
        "<p>recon_ratio: validation reconstruction MSE over that of each image's mean colour (lower is "
        "better). isotropy: participation ratio over the active dimension count of the held-out codes' active "
        "part (1 = spherical). sphericity: geometric over arithmetic mean of all covariance eigenvalues on all "
        "images (exploratory: a collapsed unit pulls it to 0). probe_train / probe_val: accuracy of a linear probe "
        "of style fitted on training codes, on training and on held-out codes (their gap is memorisation). "
        "kmeans_val_ari: ARI against style of k-means fitted on training codes, on held-out codes. "
        "share_*: fractions of walks whose style-loss curve is labelled so. mean_cdi: mean cross-dissolve "
        "index (1 = a pure blend of the end images). Per-replicate values: report/headline.csv and "
        "report/replicates.csv.</p></body></html>"
    )


INPUTS = ("analysis", "patterns", "data", "style_loss_info", "controls")
LIST_INPUTS = ("walks",)
OUTPUTS = ("findings", "by_layer", "agreement", "replicates", "headline", "html")


def main(args):
    thresholds = args.settings["findings"]
    analysis, patterns = pd.read_parquet(args.analysis), pd.read_parquet(args.patterns)
    walks = pd.concat([pd.read_parquet(path) for path in args.walks], ignore_index=True)
    instruments = list(dict.fromkeys(patterns["instrument"]))  # style_loss.instruments, the paper's (gatys) first
    # The headline numbers are those of the first instrument; the findings are given under each.
    headline = with_shape_reading(
        headline_table(analysis, patterns[patterns["instrument"] == instruments[0]]), thresholds
    )
    findings = findings_table(analysis, walks, thresholds, args.settings["horseshoe_orientations"], instruments)
    by_layer = layer_table(analysis, walks[walks["instrument"] == "gatys"], thresholds, args.settings["layers"])
    agreement = instrument_agreement(findings, walks, args.settings["horseshoe_orientations"])
    replicates = replicate_table(headline, patterns, thresholds["confidence"])
    origin = provenance(read_json(args.data), read_json(args.style_loss_info), analysis["replicate"].nunique())
    findings.insert(len(findings.columns), "data", origin["data"])
    findings.insert(len(findings.columns), "vgg19_weights", origin["weights"])
    if origin["warning"]:
        print(origin["warning"])
    print(
        findings[["claim", "mean", "margin", "ci_low", "ci_high", "p_holm", "verdict"]].to_string(index=False),
        flush=True,
    )
    write_csv(findings, args.findings)
    write_csv(by_layer, args.by_layer)
    write_csv(agreement, args.agreement)
    write_csv(replicates, args.replicates)
    write_csv(headline, args.headline)
    with atomic_path(args.html) as tmp:
        controls = pd.read_csv(args.controls)
        page = to_html(findings, by_layer, agreement, controls, headline, replicates, origin, args.settings["run"])
        tmp.write_text(page)
