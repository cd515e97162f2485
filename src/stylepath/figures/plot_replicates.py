"""`stylepath plot-replicates`: the headline numbers of every model with their spread across
replicates: a dot per replicate (training seed), the mean as a bar and its t interval as a line,
one panel per quantity; pooled quantities (every model's walks together) appear as 'all'."""

import numpy as np
import pandas as pd

from stylepath.config import model_label
from stylepath.figures.common import model_colours, model_order, new_figure
from stylepath.io import StylepathError, save_figure

PANELS = {
    "recon_ratio": "reconstruction MSE / mean-colour MSE",
    "sphericity": "sphericity of codes / posterior means",
    "prior_sphericity": "sphericity of the prior sample",
    "best_ari": "best ARI against style",
    "share_horseshoe": "share of horseshoe walks",
    "share_wave": "share of wave walks",
    "mean_cdi": "mean cross-dissolve index",
    "r_cdi_wave": "r (wave, cross-dissolve index)",
    "eta2_cdi_pattern": "eta² (cross-dissolve index by pattern)",
}


INPUTS = ("replicates",)
OUTPUTS = ("figure",)


def replicates_figure(table: pd.DataFrame, palette: str):
    """A panel per quantity of PANELS present in `table` (summarise-run's replicates.csv)."""
    panels = [q for q in PANELS if q in set(table["quantity"])]
    ncols = 3
    fig, axes = new_figure(-(-len(panels) // ncols), ncols, width=3.4, height=2.6)
    colours = {**model_colours(palette), "all": (0.3, 0.3, 0.3)}
    for ax, quantity in zip(axes.flat, panels):
        rows = table[table["quantity"] == quantity]
        models = model_order(m for m in rows["model"] if m != "all") + (["all"] if "all" in set(rows["model"]) else [])
        for x, model in enumerate(models):
            row = rows[rows["model"] == model].iloc[0]
            values = np.array([float(v) for v in str(row["values"]).split(";")])
            offsets = np.linspace(-0.15, 0.15, len(values)) if len(values) > 1 else np.zeros(1)
            ax.scatter(x + offsets, values, s=16, color=colours.get(model, "grey"), zorder=3)
            ax.hlines(row["mean"], x - 0.3, x + 0.3, color="0.1", linewidth=1.5, zorder=2)
            if np.isfinite(row["ci_low"]):
                ax.vlines(x, row["ci_low"], row["ci_high"], color="0.1", linewidth=1, zorder=2)
        ax.set_xticks(range(len(models)), [model_label(m) if m != "all" else "all" for m in models], fontsize="x-small")
        ax.set_xlim(-0.6, len(models) - 0.4)
        ax.set_title(PANELS[quantity], fontsize="small")
    for ax in axes.flat[len(panels) :]:
        ax.remove()
    n = int(table.loc[table["model"] != "all", "n"].max())  # 'all' pools the instruments too
    fig.suptitle(
        f"Spread across replicates ({n} training seeds): dots, one per replicate; bar, the mean; line, its t interval",
        fontsize="small",
    )
    fig.tight_layout()
    return fig


def main(args) -> None:
    table = pd.read_csv(args.replicates)
    if table.empty:
        raise StylepathError(f"{args.replicates} is empty; re-run `stylepath summarise-run`")
    figures = args.settings["figures"]
    save_figure(replicates_figure(table, figures["palette"]), args.figure, figures["dpi"])
