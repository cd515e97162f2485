"""`stylepath plot-training`: one model's training curves, one small panel per logged term."""

import math

import pandas as pd
from matplotlib.ticker import MaxNLocator

from stylepath.config import model_label
from stylepath.figures.common import model_colours, new_figure
from stylepath.io import StylepathError, save_figure

# Panel title per history column (units: nats per image unless stated).
TITLES = {
    "loss": "objective (nats/image)",
    "recon": "reconstruction BCE (nats/image)",
    "kl": "KL to N(0, I) (nats/image)",
    "triplet": "triplet loss (unweighted)",
    "active_triplets": "active triplets (fraction)",
    "disc_loss": "discriminator loss",
    "gen_loss": "encoder's fooling loss",
    "disc_accuracy": "discriminator accuracy",
    "val_recon_mse": "validation MSE per pixel",
}


def add_arguments(parser) -> None:
    parser.add_argument("--model", required=True, help="model name (ae, vae, beta_vae, aae, tvae)")
    parser.add_argument("--history", required=True, help="history.csv from `stylepath train`")
    parser.add_argument("--out", required=True, help="figure (.png)")


def training_figure(history: pd.DataFrame, model: str, palette: str):
    """A grid of panels, one per history column but epoch and seconds, value vs epoch."""
    terms = [column for column in history.columns if column not in ("epoch", "seconds")]
    ncols = min(3, len(terms))
    fig, axes = new_figure(math.ceil(len(terms) / ncols), ncols, width=3.0, height=2.3)
    colour = model_colours(palette)[model]
    for ax, term in zip(axes.flat, terms):
        ax.plot(history["epoch"], history[term], marker="o", markersize=3, color=colour)
        if term in ("disc_accuracy", "active_triplets"):
            ax.set_ylim(-0.03, 1.03)
        if term == "disc_accuracy":
            ax.axhline(0.5, color="grey", linestyle="--", linewidth=1, label="chance")
            ax.legend(loc="lower right", fontsize="small")
        ax.set_title(TITLES.get(term, term))
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes.flat[len(terms) :]:
        ax.remove()
    fig.suptitle(f"{model_label(model)}: training curves (train split; last panel: val split)")
    fig.tight_layout()
    return fig


def main(args) -> None:
    history = pd.read_csv(args.history)
    if history.empty or "epoch" not in history.columns:
        raise StylepathError(f"{args.history} has no epochs; re-run `stylepath train`")
    figures = args.settings["figures"]
    fig = training_figure(history, args.model, figures["palette"])
    save_figure(fig, args.out, dpi=figures["dpi"])
