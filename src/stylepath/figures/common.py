"""The look shared by every figure: headless backend, seaborn theme, fixed colours per
style and per model so that a colour means the same thing in every figure; models are
named by `model_label` (the schema's titles) everywhere."""

import matplotlib
import numpy as np

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from seaborn.utils import relative_luminance  # noqa: E402

from stylepath.config import model_names  # noqa: E402  (after the backend)


def setup() -> None:
    """Apply the project's seaborn theme, and seed numpy's global generator, which seaborn's
    strip-plot jitter draws from, so that a figure is the same on every run."""
    sns.set_theme(context="paper", style="whitegrid")
    np.random.seed(0)


def style_colours(styles, palette: str) -> dict:
    """Colour per style, in the sorted order of the style names (stable across figures)."""
    styles = sorted(set(styles))
    return dict(zip(styles, sns.color_palette(palette, len(styles))))


def model_colours(palette: str) -> dict:
    """Colour per model, fixed by the schema's order of the models."""
    names = model_names()
    return dict(zip(names, sns.color_palette(palette, len(names))))


def replicate_colours(replicates, palette: str) -> dict:
    """Colour per replicate (training seed), in ascending order of the seeds."""
    replicates = sorted(set(int(r) for r in replicates))
    return dict(zip(replicates, sns.color_palette(palette, len(replicates))))


def count_heatmap(ax, shares, counts, cmap: str = "Blues") -> None:
    """Cells coloured by `shares` (a DataFrame in [0, 1]) and annotated with `counts` (same
    shape, integers), row and column names as tick labels. Drawn with imshow, not seaborn's
    heatmap, which draws the whole figure once per call to check its tick labels (0.2 s each)."""
    values = shares.to_numpy(dtype=float)
    image = ax.imshow(values, cmap=cmap, vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    ax.grid(False)
    for (row, col), count in np.ndenumerate(counts.to_numpy()):
        light = relative_luminance(image.cmap(image.norm(values[row, col]))) > 0.408  # seaborn's own rule
        ax.text(col, row, f"{count:d}", ha="center", va="center", fontsize="small", color=".15" if light else "w")
    ax.set_xticks(range(values.shape[1]), [str(c) for c in shares.columns])
    ax.set_yticks(range(values.shape[0]), [str(r) for r in shares.index])


def choose_per_style(metadata, per_style: int, seed: int, split: str | None = None) -> dict:
    """{style: sorted row positions}: up to `per_style` images of each style (styles sorted),
    drawn without replacement with `seed`, from `split` ('train' or 'val'; None = any, as for a
    style with no image in `split`)."""
    rng = np.random.default_rng(seed)
    chosen = {}
    for style in sorted(metadata["style"].unique()):
        of_style = (metadata["style"] == style).to_numpy()
        in_split = of_style & (metadata["split"] == split).to_numpy() if split else of_style
        rows = np.flatnonzero(in_split if in_split.any() else of_style)
        chosen[style] = np.sort(rng.choice(rows, size=min(per_style, len(rows)), replace=False))
    return chosen


def model_order(models) -> list[str]:
    """`models` in the schema's order (unknown names last, alphabetically)."""
    names = model_names()
    return sorted(set(models), key=lambda m: (names.index(m) if m in names else len(names), m))


def new_figure(nrows: int = 1, ncols: int = 1, width: float = 4.0, height: float = 3.2, **kwargs):
    """A themed figure with a grid of axes, each `width` x `height` inches."""
    setup()
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kwargs)
