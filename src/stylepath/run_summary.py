"""`stylepath summarise-run`: the run's headline table, the first thing the report shows.

One row per model: reconstruction error, sphericity of the latent space, the best
agreement of a clustering with style, the shares of horseshoe / wave / other style-loss
curves, and how strongly the cross-dissolve index goes with the curve shape.
"""

import html

import pandas as pd

from stylepath.io import StylepathError, atomic_path, read_json, write_csv

# column in the headline table -> (source table, its column)
HEADLINE = {
    "recon_mse": ("analysis", "mean_recon_mse"),
    "sphericity": ("analysis", "sphericity"),
    "condition_ratio": ("analysis", "condition_ratio"),
    "effective_dim_fraction": ("analysis", "effective_dim_fraction"),
    "best_ari": ("analysis", "best_ari"),
    "best_ari_ci_low": ("analysis", "best_ari_ci_low"),
    "best_ari_ci_high": ("analysis", "best_ari_ci_high"),
    "best_ari_by": ("analysis", "best_ari_algorithm"),
    "share_horseshoe": ("patterns", "share_horseshoe"),
    "share_wave": ("patterns", "share_wave"),
    "share_other": ("patterns", "share_other"),
    "mean_cdi": ("patterns", "mean_cdi"),
    "r_cdi_horseshoe": ("patterns", "r_cdi_horseshoe"),
    "r_cdi_wave": ("patterns", "r_cdi_wave"),
    "n_trajectories": ("patterns", "n_trajectories"),
}


def headline_table(analysis: pd.DataFrame, patterns: pd.DataFrame) -> pd.DataFrame:
    """Join the analysis summary and the all-criteria pattern summary, one row per model."""
    patterns = patterns[patterns["criterion"] == "all"]
    tables = {"analysis": analysis.set_index("model"), "patterns": patterns.set_index("model")}
    missing = [f"{t}.{c}" for t, c in HEADLINE.values() if c not in tables[t].columns]
    if missing:
        raise StylepathError(f"summary tables lack {missing}: re-run the analysis and patterns stages")
    models = list(analysis["model"])
    rows = {name: tables[t].reindex(models)[c] for name, (t, c) in HEADLINE.items()}
    return pd.DataFrame(rows).rename_axis("model").reset_index()


def findings(table: pd.DataFrame, weights: dict) -> list[str]:
    """Plain sentences: which model is most spherical, best clustered by style, and so on."""

    def top(column):
        row = table.loc[table[column].idxmax()]
        return row["model"], row[column], row

    lines = []
    model, value, _ = top("sphericity")
    lines.append(f"Most spherical latent space: {model} (sphericity {value:.2f}; 1 = spherical).")
    model, value, row = top("best_ari")
    lines.append(
        f"Best clustered by style: {model} (ARI {value:.2f}, "
        f"interval {row['best_ari_ci_low']:.2f} to {row['best_ari_ci_high']:.2f}, by {row['best_ari_by']})."
    )
    model, value, _ = top("share_horseshoe")
    lines.append(f"Most horseshoe curves: {model} ({value:.0%} of its trajectories).")
    model, value, _ = top("share_wave")
    lines.append(f"Most wave curves: {model} ({value:.0%} of its trajectories).")
    if not weights["pretrained"]:
        lines.append(
            "VGG19 weights were random (the offline demo): the style losses are texture "
            "statistics of an untrained network, not the measure of Gatys et al."
        )
    lines.append(f"VGG19 weights used: {weights['weights_id']}.")
    return lines


def to_html(table: pd.DataFrame, sentences: list[str], run: str) -> str:
    """A small self-contained HTML page: the sentences, then the table."""
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
    body = table.to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep="–", border=0)
    style = (
        "body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
        "th,td{padding:4px 8px;border-bottom:1px solid #ddd;text-align:right}th{background:#f4f4f4}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{style}</style></head><body>"
        f"<h2>stylepath run {html.escape(run)}: headline numbers</h2><ul>{items}</ul>{body}"
        "<p>recon_mse: mean squared pixel error, pixels in [0, 1]. sphericity: geometric over "
        "arithmetic mean of the latent covariance eigenvalues. best_ari: adjusted Rand index of the "
        "best clustering against style, with its bootstrap interval. share_*: fractions of "
        "trajectories whose style-loss curve is labelled so. mean_cdi: cross-dissolve index "
        "(1 = a pure blend of the end images). r_cdi_*: point-biserial correlation of the "
        "index with the label.</p></body></html>"
    )


def add_arguments(parser):
    parser.add_argument("--analysis", required=True, help="analysis/summary.parquet")
    parser.add_argument("--patterns", required=True, help="patterns/summary.parquet")
    parser.add_argument("--style-loss-info", required=True, help="one style_loss/<model>.json")
    parser.add_argument("--csv", required=True, help="output: headline table (CSV)")
    parser.add_argument("--html", required=True, help="output: headline page (HTML)")


def main(args):
    table = headline_table(pd.read_parquet(args.analysis), pd.read_parquet(args.patterns))
    sentences = findings(table, read_json(args.style_loss_info))
    for sentence in sentences:
        print(sentence)
    write_csv(table, args.csv)
    with atomic_path(args.html) as tmp:
        tmp.write_text(to_html(table, sentences, args.settings["run"]))
