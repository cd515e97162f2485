"""`stylepath summarise-run`: the report's front page.

First the study's claims, each judged across the replicates (stylepath.findings), with the data
and VGG19 weights that produced the verdicts; then whether each model reached its objective in
each replicate (stylepath.diagnostics); then the headline numbers with their spread across
replicates. Outputs:

    report/findings.csv     one row per claim: claim, criterion, statistic, depends_on, mean,
                            ci_low, ci_high, values (per replicate), holds_in, valid_replicates,
                            replicates, verdict, note
    report/replicates.csv   per model (and 'all' = every model's walks pooled) and quantity: n,
                            mean, ci_low, ci_high, sd, min, max, values, replicates
    report/headline.csv     one row per model and replicate: the headline numbers and the verdict
    report/summary.html     all of it on one page
"""

import html

import pandas as pd

from stylepath.config import model_label
from stylepath.findings import across_replicates, findings_table
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
QUANTITIES = [name for name in HEADLINE if name not in ("best_ari_by", "verdict")]
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


def findings_html(findings: pd.DataFrame) -> str:
    rows = []
    for row in findings.itertuples():
        counts = "" if row.verdict == "not tested" else f"{row.holds_in} of {row.valid_replicates}"
        value = "" if row.verdict == "not tested" else interval_text(row.mean, row.ci_low, row.ci_high)
        cells = [row.claim, row.criterion, f"{row.statistic}: {value}", counts, row.verdict, row.note or ""]
        rows.append(f"<tr class='{row.verdict}'>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("claim", "criterion (per replicate)", "statistic: mean [t interval]",
                                             "holds in (of valid)", "verdict", "replicates left out"))  # fmt: skip
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


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
    shown = ["recon_ratio", "sphericity", "prior_sphericity", "best_ari", "share_horseshoe", "share_wave", "mean_cdi"]
    table = replicates[replicates["quantity"].isin(shown) & (replicates["model"] != "all")]
    table = table.assign(text=[interval_text(r.mean, r.ci_low, r.ci_high) for r in table.itertuples()])
    wide = table.pivot(index="model", columns="quantity", values="text").reindex(columns=shown)
    wide = wide.reindex(list(dict.fromkeys(table["model"]))).rename(index=model_label)
    return wide.to_html(na_rep="–", border=0)


def to_html(findings, headline, replicates, origin: dict, run: str) -> str:
    """The front page: provenance, findings, objectives, headline numbers, how to read them."""
    warning = f"<p class='warning'>{html.escape(origin['warning'])}</p>" if origin["warning"] else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{STYLE}</style></head><body>"
        f"<h2>stylepath run {html.escape(run)}: the study's claims</h2>{warning}"
        f"<p>Data: {html.escape(origin['data'])}. VGG19 weights: {html.escape(origin['weights'])}. "
        f"Replicates (training seeds): {origin['replicates']}.</p>"
        f"{findings_html(findings)}"
        "<p>A claim is <b>supported</b> when its criterion holds in every valid replicate (at least 2), "
        "<b>contradicted</b> when it holds in none, <b>inconclusive</b> otherwise. A replicate is valid "
        "evidence only when every model the claim is about reached its objective in it (below). "
        "Intervals are t intervals of the mean across valid replicates.</p>"
        f"<h3>Did each model reach its objective?</h3>{objectives_html(headline)}"
        f"<h3>Headline numbers: mean [t interval] across replicates</h3>{headline_html(replicates)}"
        "<p>recon_ratio: validation reconstruction MSE over that of each image's mean colour (lower is "
        "better). sphericity: geometric over arithmetic mean of the covariance eigenvalues of the codes or "
        "posterior means (1 = spherical); prior_sphericity: the same for the sample the objective pulls "
        "towards N(0, I). best_ari: adjusted Rand index of the clustering that best matches style. "
        "share_*: fractions of walks whose style-loss curve is labelled so. mean_cdi: mean cross-dissolve "
        "index (1 = a pure blend of the end images). Per-replicate values: report/headline.csv and "
        "report/replicates.csv.</p></body></html>"
    )


def add_arguments(parser):
    parser.add_argument("--analysis", required=True, help="analysis/summary.parquet")
    parser.add_argument("--patterns", required=True, help="patterns/summary.parquet")
    parser.add_argument("--walks", nargs="+", required=True, help="patterns/<chain>/walks.parquet of every run")
    parser.add_argument("--data", required=True, help="data/report.json of prepare-data")
    parser.add_argument("--style-loss-info", required=True, help="one style_loss/<chain>.json (the weights used)")
    parser.add_argument("--findings", required=True, help="out: findings table (CSV)")
    parser.add_argument("--replicates", required=True, help="out: across-replicate statistics (CSV)")
    parser.add_argument("--headline", required=True, help="out: headline numbers per run (CSV)")
    parser.add_argument("--html", required=True, help="out: the front page (HTML)")


def main(args):
    thresholds = args.settings["findings"]
    analysis, patterns = pd.read_parquet(args.analysis), pd.read_parquet(args.patterns)
    walks = pd.concat([pd.read_parquet(path) for path in args.walks], ignore_index=True)
    # Until the findings are given per instrument, they read the first (style_loss.instruments; gatys by default).
    first = patterns["instrument"].iloc[0]
    patterns, walks = patterns[patterns["instrument"] == first], walks[walks["instrument"] == first]
    headline = headline_table(analysis, patterns)
    findings = findings_table(analysis, walks, thresholds)
    replicates = replicate_table(headline, patterns, thresholds["confidence"])
    origin = provenance(read_json(args.data), read_json(args.style_loss_info), analysis["replicate"].nunique())
    findings.insert(len(findings.columns), "data", origin["data"])
    findings.insert(len(findings.columns), "vgg19_weights", origin["weights"])
    if origin["warning"]:
        print(origin["warning"])
    print(findings[["claim", "mean", "holds_in", "valid_replicates", "verdict"]].to_string(index=False), flush=True)
    write_csv(findings, args.findings)
    write_csv(replicates, args.replicates)
    write_csv(headline, args.headline)
    with atomic_path(args.html) as tmp:
        tmp.write_text(to_html(findings, headline, replicates, origin, args.settings["run"]))
