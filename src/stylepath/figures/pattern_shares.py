"""The walk patterns of all models and replicates side by side (plotted by plot-trajectories).

Four panels: pattern shares per model (a dot per replicate over the mean), cross-dissolve index
per model and pattern (every walk of every replicate), the mean relative style-loss curve per
model and replicate, and the share of horseshoe walks per model and pair criterion.
"""

import seaborn as sns

from stylepath.config import model_label
from stylepath.figures.common import model_colours, model_order, new_figure
from stylepath.figures.walks import pattern_colours
from stylepath.walk_shape import PATTERNS


def summary_figure(summary, walks, curves, palette):
    """2 x 2 panels; models in the schema's order, labelled as in every figure; every replicate
    shown (a dot or a line each)."""
    summary = summary[summary["model"] != "all"]
    models = model_order(summary["model"])
    labels = [model_label(m) for m in models]
    fig, axes = new_figure(2, 2, width=4.6, height=3.4)
    colours = pattern_colours(palette)

    ax = axes[0, 0]
    overall = summary[summary["criterion"] == "all"]
    shares = overall.melt(
        id_vars=["model", "replicate"],
        value_vars=[f"share_{p}" for p in PATTERNS],
        var_name="pattern",
        value_name="share",
    )
    shares = shares.assign(pattern=shares["pattern"].str.removeprefix("share_"), label=shares["model"].map(model_label))
    common = {"x": "label", "y": "share", "hue": "pattern", "order": labels, "hue_order": PATTERNS, "ax": ax}
    sns.barplot(shares, palette=colours, errorbar=None, alpha=0.5, legend=False, **common)
    sns.stripplot(shares, palette=colours, dodge=True, size=3.5, jitter=0.1, edgecolor="0.2", linewidth=0.5, **common)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("")
    ax.set_ylabel("share of the walks")
    ax.set_title("curve patterns (bar: mean; dot: a replicate)")
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
        for k, (_, curve) in enumerate(shape[shape["model"] == model].groupby("replicate")):
            label = model_label(model) if k == 0 else None
            ax.plot(curve["t_mid"], curve["mean"], marker="o", markersize=2.5, color=model_colour[model], label=label)
    ax.set_xlabel("position on the walk t (midpoint of each step)")
    ax.set_ylabel("style loss / the walk's mean")
    ax.set_title("mean curve shape (all walks; a line per replicate)")
    ax.legend(fontsize="x-small")

    ax = axes[1, 1]
    by_criterion = summary[summary["criterion"] != "all"].pivot_table(
        index="criterion", columns="model", values="share_horseshoe", aggfunc="mean", sort=False
    )
    by_criterion = by_criterion.reindex(columns=models).rename(columns=model_label)
    sns.heatmap(by_criterion, ax=ax, vmin=0, vmax=1, cmap="mako", annot=True, fmt=".2f", annot_kws={"fontsize": 7})
    ax.set_xlabel("")
    ax.set_ylabel("pair criterion")
    ax.set_title("share of horseshoe walks (mean over replicates)")
    weights = ", ".join(sorted(set(summary["weights_id"])))
    note = " (random VGG19: not the paper's measure)" if "random:" in weights else ""
    instrument = summary["instrument"].iloc[0] if "instrument" in summary else "gatys"
    measure = f"Gatys style loss, VGG19 weights {weights}{note}" if instrument == "gatys" else "Portilla-Simoncelli"
    fig.suptitle(f"Walk patterns across models; {measure}", fontsize=9)
    fig.tight_layout()
    return fig
