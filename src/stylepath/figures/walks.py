"""One training run's walks: its style-loss curves (mean per criterion, per layer, cross-dissolve
per pattern) and strips of a few walks' decoded images above their style loss."""

import textwrap

import numpy as np
import pandas as pd
import seaborn as sns

from stylepath.config import choices, model_label
from stylepath.figures.common import new_figure
from stylepath.walk_shape import PATTERNS


def pattern_colours(palette: str) -> dict:
    """Colour per pattern, fixed by PATTERNS (the same in every figure)."""
    return dict(zip(PATTERNS, sns.color_palette(palette, 8)[5:8]))


def criterion_colours(palette: str) -> dict:
    """Colour per pair criterion (plus 'all' in black), fixed by the schema's order of them."""
    criteria = choices("pairs", "criteria")
    return {"all": "black", **dict(zip(criteria, sns.color_palette(palette, len(criteria))))}


def weights_caption(info: dict) -> str:
    """A line naming the instrument (info's `instrument`, default gatys): the VGG19 weights, and a
    second with the warning random weights need (wrapped at 110 characters); or the Portilla-Simoncelli settings."""
    if info.get("instrument", "gatys") != "gatys":
        block = info[info["instrument"]]
        return (
            f"Portilla-Simoncelli texture statistics (no learned weights): {block['n_scales']} scales, "
            f"{block['n_orientations']} orientations, width {block['spatial_corr_width']}"
        )
    text = f"Gatys style loss, VGG19 weights {info['weights_id']}"
    return f"{text}\n{textwrap.fill(info['note'], 110)}" if info.get("note") else text


def component_name(info: dict) -> str:
    """What the instrument's components are: VGG19 layers or groups of statistics."""
    return "VGG19 layer" if info.get("instrument", "gatys") == "gatys" else "group of statistics"


def plot_band(ax, curve: pd.DataFrame, colour, label: str) -> None:
    """Mean line with its confidence band (rows: t_mid, mean, ci_low, ci_high)."""
    ax.plot(curve["t_mid"], curve["mean"], marker="o", markersize=3, color=colour, label=label)
    ax.fill_between(curve["t_mid"], curve["ci_low"], curve["ci_high"], color=colour, alpha=0.2, linewidth=0)


def curves_figure(curves, walks, info, palette):
    """2 x 2 panels: raw and relative total per criterion, relative per layer, CDI per pattern."""
    fig, axes = new_figure(2, 2, width=4.6, height=3.4)
    colours = criterion_colours(palette)
    total = curves[curves["quantity"] == "total"]
    for criterion, curve in total[total["scale"] == "raw"].groupby("criterion", sort=False):
        axes[0, 0].plot(curve["t_mid"], curve["mean"], marker="o", markersize=3, color=colours.get(criterion, "grey"))
    for criterion, curve in total[total["scale"] == "relative"].groupby("criterion", sort=False):
        plot_band(axes[0, 1], curve, colours.get(criterion, "grey"), f"{criterion} (n={int(curve['n'].max())})")
    for ax in axes[0]:
        ax.set_xlabel("position on the walk t (midpoint of each step)")
    axes[0, 0].set_yscale("log")
    axes[0, 0].set_ylabel("style loss between consecutive images")
    axes[0, 0].set_title("mean style loss per criterion (log scale)")
    axes[0, 1].set_ylabel("style loss / the walk's mean")
    axes[0, 1].set_title("mean curve shape, t confidence band")
    axes[0, 1].legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.02, 1.0))

    layers = curves[(curves["quantity"] != "total") & (curves["criterion"] == "all") & (curves["scale"] == "relative")]
    n_layers = max(1, layers["quantity"].nunique())
    layer_colours = sns.color_palette("viridis", n_layers + 1)[:n_layers]  # no pale yellow
    for colour, (layer, curve) in zip(layer_colours, layers.groupby("quantity", sort=False)):
        plot_band(axes[1, 0], curve, colour, layer)
    axes[1, 0].set_xlabel("position on the walk t")
    axes[1, 0].set_ylabel("component / the walk's mean")
    axes[1, 0].set_title(f"shape per {component_name(info)} (all walks)")
    axes[1, 0].legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.02, 1.0))

    ax = axes[1, 1]
    order = [p for p in PATTERNS if (walks["pattern"] == p).any()]
    labels = [f"{p}\n(n={int((walks['pattern'] == p).sum())})" for p in order]
    sns.boxplot(walks, x="pattern", y="cross_dissolve_index", order=order, ax=ax, color="white", fliersize=0)
    sns.stripplot(
        walks, x="pattern", y="cross_dissolve_index", order=order, hue="pattern",
        palette=pattern_colours(palette), ax=ax, size=4, jitter=0.2, legend=False,
    )  # fmt: skip
    ax.set_xticks(range(len(order)), labels)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("curve pattern")
    ax.set_ylabel("cross-dissolve index (1 = pure blend)")
    ax.set_title("cross-dissolve per pattern")
    title = f"{model_label(info['model'])}, seed {info['replicate']}: style loss along the walks"
    fig.suptitle(f"{title}\n{weights_caption(info)}", fontsize=9)
    fig.tight_layout()
    return fig


def choose_strips(walks: pd.DataFrame, n: int) -> pd.DataFrame:
    """n walks, taking the patterns in turn (horseshoe, wave, other), each by pair_id."""
    queues = {p: walks[walks["pattern"] == p].sort_values("pair_id") for p in PATTERNS}
    chosen = []
    for k in range(len(walks)):
        for pattern in PATTERNS:
            if len(chosen) < n and k < len(queues[pattern]):
                chosen.append(queues[pattern].iloc[k])
    return pd.DataFrame(chosen)


def strips_figure(losses, walks, images, index, info, n_strips, palette):
    """Per chosen walk: its decoded images in a row (image k centred at t_k), and under them
    its total style loss at the midpoints, i.e. between the two images it compares."""
    chosen = choose_strips(walks, n_strips)
    steps = int(index.groupby("pair_id").size().max())
    half_step = 0.5 / (steps - 1)
    width = max(6.0, 1.0 * steps)
    image_height, curve_height = 0.85 * width / steps, 1.1  # images about square
    per_walk = image_height + curve_height + 0.8  # + the walk's title, ticks and spacing
    fig, axes = new_figure(
        2 * len(chosen), 1, width=width, height=(len(chosen) * per_walk + 0.8) / (2 * len(chosen)),
        gridspec_kw={"height_ratios": [image_height, curve_height] * len(chosen)},
    )  # fmt: skip
    colours = pattern_colours(palette)
    for k, walk in enumerate(chosen.itertuples()):
        frames = index[index["pair_id"] == walk.pair_id].sort_values("step")
        strip = np.concatenate(list(images[frames["row"].to_numpy()]), axis=1)
        top, bottom = axes[2 * k, 0], axes[2 * k + 1, 0]
        top.imshow(strip, interpolation="nearest", extent=(-half_step, 1 + half_step, 0, 1), aspect="auto")
        top.set_axis_off()
        top.set_title(
            f"walk {walk.pair_id} ({walk.criterion}): {walk.pattern}, bend {walk.bend:+.2f}, "
            f"arm {walk.arm:.2f}, R² {walk.r2:.2f}, turns {walk.turns}, CDI {walk.cross_dissolve_index:.2f}",
            fontsize=8,
        )
        curve = losses[losses["pair_id"] == walk.pair_id].sort_values("step")
        bottom.plot((curve["t_from"] + curve["t_to"]) / 2, curve["total"], marker="o", color=colours[walk.pattern])
        bottom.set_xlim(-half_step, 1 + half_step)
        bottom.set_ylabel("style loss", fontsize=7)
        bottom.tick_params(labelsize=7)
    axes[-1, 0].set_xlabel("position on the walk t (each loss sits between the two images it compares)")
    title = f"{model_label(info['model'])}, seed {info['replicate']}: walks and their style loss"
    fig.suptitle(f"{title}\n{weights_caption(info)}", fontsize=8)
    fig.tight_layout()
    return fig
