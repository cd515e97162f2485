"""`stylepath plot-calibration`: one example walk of each calibration kind (stylepath.calibrate):
its frames in a row and, at the end of the row, its style-loss curve relative to its own mean,
titled with the walk's pattern (configured reading), its hump / valley readings, CDI and
dissolve score; below, the dissolve score of every walk by kind."""

import numpy as np
import pandas as pd

from stylepath.figures.common import setup
from stylepath.io import StylepathError, save_figure
from stylepath.walk_shape import DISSOLVE_MEASURE

INPUTS = ("images", "index", "style_loss", "walks")
OUTPUTS = ("figure",)


def examples_figure(images, index: pd.DataFrame, losses: pd.DataFrame, walks: pd.DataFrame):
    """Rows: the first walk of each kind (frames, then its relative curve); last row: the
    dissolve score of all walks by kind."""
    import matplotlib.pyplot as plt

    setup()
    examples = walks.groupby("kind", sort=False).head(1)
    steps = int(index.groupby("pair_id").size().max())
    fig = plt.figure(figsize=(0.8 * (steps + 4), 0.9 * (len(examples) + 2)))
    grid = fig.add_gridspec(len(examples) + 2, steps + 4)
    for row, walk in enumerate(examples.itertuples()):
        frames = index[index["pair_id"] == walk.pair_id].sort_values("step")
        for column, image_row in enumerate(frames["row"]):
            ax = fig.add_subplot(grid[row, column])
            ax.imshow(images[image_row], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if column == 0:
                ax.set_ylabel(f"{walk.kind}\n({walk.expected})", rotation=0, ha="right", va="center", fontsize=7)
        curve = losses[losses["pair_id"] == walk.pair_id].sort_values("step")
        mean = curve["total"].mean()
        panel = fig.add_subplot(grid[row, steps + 1 :])
        panel.plot((curve["t_from"] + curve["t_to"]) / 2, curve["total"] / mean if mean > 0 else curve["total"], "o-")
        panel.set_title(
            f"{walk.pattern} (hump: {walk.pattern_hump}, valley: {walk.pattern_valley})\n"
            f"CDI {walk.cross_dissolve_index:.2f}, score {getattr(walk, DISSOLVE_MEASURE):.2f}",
            fontsize=6,
        )
        panel.tick_params(labelsize=6)
    panel = fig.add_subplot(grid[len(examples) :, :])
    kinds = list(examples["kind"])
    for position, kind in enumerate(kinds):
        sample = walks.loc[walks["kind"] == kind, DISSOLVE_MEASURE].dropna().to_numpy()
        jitter = np.random.default_rng(position).uniform(-0.15, 0.15, len(sample))
        panel.plot(position + jitter, sample, "o", alpha=0.6, markersize=3)
    panel.set_xticks(range(len(kinds)), kinds, fontsize=6, rotation=20)
    panel.set_ylabel("dissolve score\n(all walks)", fontsize=7)
    panel.set_ylim(-0.05, 1.05)
    fig.tight_layout()
    return fig


def main(args) -> None:
    walks = pd.read_parquet(args.walks)
    if walks.empty:
        raise StylepathError(f"{args.walks} is empty; re-run `stylepath calibrate`")
    if "instrument" in walks:  # one instrument's examples: the first
        walks = walks[walks["instrument"] == walks["instrument"].iloc[0]]
    losses = pd.read_parquet(args.style_loss)
    if "instrument" in losses:
        losses = losses[losses["instrument"] == losses["instrument"].iloc[0]]
    images, index = np.load(args.images, mmap_mode="r"), pd.read_parquet(args.index)
    fig = examples_figure(images, index, losses, walks)
    save_figure(fig, args.figure, args.settings["figures"]["dpi"])
