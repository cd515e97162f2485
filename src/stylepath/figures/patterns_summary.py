"""`stylepath plot-patterns-summary`: the walk patterns of all models side by side.

Four panels: pattern shares per model (stacked bars), cross-dissolve index per model and
pattern, the mean relative style-loss curve per model (all walks, t band), and the share of
horseshoe walks per model and pair criterion.
"""

import numpy as np
import pandas as pd
import seaborn as sns

from stylepath.config import model_label
from stylepath.figures.common import model_colours, model_order, new_figure
from stylepath.figures.trajectories import pattern_colours, plot_band
from stylepath.io import StylepathError, save_figure
from stylepath.patterns import PATTERNS


def add_arguments(parser) -> None:
    parser.add_argument("--summary", required=True, help="patterns/summary.parquet")
    parser.add_argument("--walks", nargs="+", required=True, help="patterns/<model>.parquet files")
    parser.add_argument("--curves", nargs="+", required=True, help="patterns/<model>_curves.parquet files")
    parser.add_argument("--out", required=True, help="figure (.png)")


def summary_figure(summary, walks, curves, palette):
    """2 x 2 panels; models in the schema's order, labelled as in every figure."""
    models = model_order(summary["model"])
    labels = [model_label(m) for m in models]
    fig, axes = new_figure(2, 2, width=4.6, height=3.4)
    colours = pattern_colours(palette)

    ax = axes[0, 0]
    overall = summary[summary["criterion"] == "all"].set_index("model").loc[models]
    bottom = np.zeros(len(models))
    for pattern in PATTERNS:
        share = overall[f"share_{pattern}"].to_numpy()
        ax.bar(labels, share, bottom=bottom, color=colours[pattern], label=pattern)
        bottom += share
    for x, n in enumerate(overall["n_trajectories"]):
        ax.text(x, 1.01, f"n={n}", ha="center", va="bottom", fontsize=7)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("share of the walks")
    ax.set_title("style-loss curve patterns")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.02, 1.0))

    ax = axes[0, 1]
    walks = walks.assign(label=walks["model"].map(model_label))
    order = [p for p in PATTERNS if (walks["pattern"] == p).any()]
    sns.boxplot(
        walks, x="label", y="cross_dissolve_index", hue="pattern", order=labels, hue_order=order,
        palette=colours, ax=ax, fliersize=0, boxprops={"alpha": 0.4}, legend=False,
    )  # fmt: skip
    sns.stripplot(
        walks, x="label", y="cross_dissolve_index", hue="pattern", order=labels, hue_order=order,
        palette=colours, ax=ax, dodge=True, size=3, jitter=0.15,
    )  # fmt: skip
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("")
    ax.set_ylabel("cross-dissolve index (1 = pure blend)")
    ax.set_title("cross-dissolve per model and pattern")
    ax.legend(fontsize="x-small", title=None, loc="upper left", bbox_to_anchor=(1.02, 1.0))

    ax = axes[1, 0]
    model_colour = model_colours(palette)
    shape = curves[(curves["quantity"] == "total") & (curves["criterion"] == "all") & (curves["scale"] == "relative")]
    for model in models:
        plot_band(ax, shape[shape["model"] == model], model_colour[model], model_label(model))
    ax.set_xlabel("position on the walk t (midpoint of each step)")
    ax.set_ylabel("style loss / the walk's mean")
    ax.set_title("mean curve shape (all walks, t band)")
    ax.legend(fontsize="x-small")

    ax = axes[1, 1]
    by_criterion = summary[summary["criterion"] != "all"].pivot(
        index="criterion", columns="model", values="share_horseshoe"
    )
    by_criterion = by_criterion.reindex(columns=models).rename(columns=model_label)
    sns.heatmap(by_criterion, ax=ax, vmin=0, vmax=1, cmap="mako", annot=True, fmt=".2f", annot_kws={"fontsize": 7})
    ax.set_xlabel("")
    ax.set_ylabel("pair criterion")
    ax.set_title("share of horseshoe walks")
    weights = ", ".join(sorted(set(summary["weights_id"])))
    note = " (random VGG19: not the paper's measure)" if "random:" in weights else ""
    fig.suptitle(f"Walk patterns across models; VGG19 weights {weights}{note}", fontsize=9)
    fig.tight_layout()
    return fig


def main(args) -> None:
    figures = args.settings["figures"]
    summary = pd.read_parquet(args.summary)
    walks = pd.concat([pd.read_parquet(path) for path in args.walks], ignore_index=True)
    curves = pd.concat([pd.read_parquet(path) for path in args.curves], ignore_index=True)
    if summary.empty or walks.empty:
        raise StylepathError(f"{args.summary} is empty; re-run `stylepath summarise-patterns`")
    fig = summary_figure(summary, walks, curves, figures["palette"])
    save_figure(fig, args.out, dpi=figures["dpi"])
