"""`stylepath plot-training`: each model's training curves, one panel per logged quantity and one
line per replicate (training seed), so that the spread between runs is seen, not only one run.

The last panels (models whose objective has a prior) follow how close the prior sample is to
N(0, I) epoch by epoch: sphericity (1 = spherical), the largest |mean| of a dimension (0), the
smallest and largest variance of a dimension (1) and MMD^2 to N(0, I) draws (0).
"""

import math
from pathlib import Path

import pandas as pd
from matplotlib.ticker import MaxNLocator

from stylepath.config import model_label
from stylepath.figures.common import new_figure, replicate_colours
from stylepath.io import StylepathError, save_figure

# Panel per history column or group of columns: title, columns, reference line (None: none).
PANELS = [
    ("objective (nats/image)", ["loss"], None),
    ("reconstruction BCE (nats/image)", ["recon"], None),
    ("KL to N(0, I) (nats/image)", ["kl"], None),
    ("triplet loss (unweighted)", ["triplet"], None),
    ("active triplets (fraction)", ["active_triplets"], None),
    ("discriminator loss", ["disc_loss"], None),
    ("encoder's fooling loss", ["gen_loss"], None),
    ("logged discriminator accuracy", ["disc_accuracy"], 0.5),
    ("validation MSE per pixel", ["val_recon_mse"], None),
    ("prior sample: sphericity", ["prior_sphericity"], 1.0),
    ("prior sample: largest |mean|", ["prior_max_abs_mean"], 0.0),
    ("prior sample: variance range", ["prior_min_variance", "prior_max_variance"], 1.0),
    ("prior sample: MMD² to N(0, I)", ["prior_mmd2"], 0.0),
]


LIST_INPUTS = ("histories",)
OUTPUTS = ("figures",)


def training_figure(histories: pd.DataFrame, model: str, palette: str):
    """Panels of one model's histories (rows of every replicate), value vs epoch, a line per replicate."""
    histories = histories.dropna(axis=1, how="all")  # columns other models logged
    panels = [panel for panel in PANELS if all(column in histories for column in panel[1])]
    ncols = min(3, len(panels))
    fig, axes = new_figure(math.ceil(len(panels) / ncols), ncols, width=3.0, height=2.3)
    colours = replicate_colours(histories["replicate"], palette)
    for ax, (title, columns, reference) in zip(axes.flat, panels):
        for replicate, history in histories.groupby("replicate"):
            for column, style in zip(columns, ("-", "--")):
                logged = history[["epoch", column]].dropna()  # the epochs that logged it (eval_every)
                ax.plot(logged["epoch"], logged[column], style, color=colours[replicate], linewidth=1.2)
        if reference is not None:
            ax.axhline(reference, color="grey", linestyle=":", linewidth=1)
        ax.set_title(title, fontsize="small")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes.flat[len(panels) :]:
        ax.remove()
    handles = [axes.flat[0].plot([], [], color=c, label=f"seed {r}")[0] for r, c in colours.items()]
    fig.legend(handles=handles, loc="upper right", fontsize="small", title="replicate")
    fig.suptitle(f"{model_label(model)}: training curves (train split; val split from 'validation MSE' on)")
    fig.tight_layout(rect=(0, 0, 0.9, 1))
    return fig


def main(args) -> None:
    histories = pd.concat([pd.read_csv(path) for path in args.histories], ignore_index=True)
    if histories.empty or not {"epoch", "model", "replicate"} <= set(histories.columns):
        raise StylepathError(f"{args.histories[0]} and the others hold no epochs; re-run `stylepath train`")
    figures, out = args.settings["figures"], Path(args.figures)
    out.mkdir(parents=True, exist_ok=True)
    for model, of_model in histories.groupby("model", sort=False):
        save_figure(training_figure(of_model, model, figures["palette"]), out / f"{model}.png", figures["dpi"])
