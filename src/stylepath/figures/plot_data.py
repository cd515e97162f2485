"""`stylepath plot-data`: a contact sheet of the prepared data set, one block of rows per
style, `per_style` images each drawn with the run's seed; the title can quote how well
colour statistics and texture statistics predict the style (`stylepath.data.separability`).

    stylepath plot-data --settings JSON --images images.npy --metadata metadata.parquet \
        --report report.json --figure data.png

settings = {"figures": {"dpi", "palette", ...}, "seed": int}. The accuracies are read from
the report's "separability" block ({"colour": float, "texture": float}, written by prepare-data).
"""

import math

import numpy as np

from stylepath.data.prepared import read_prepared
from stylepath.figures.common import choose_per_style, new_figure, style_colours
from stylepath.io import read_json, save_figure

COLUMNS = 8  # images per row of a style's block


def accuracy_line(accuracies: dict | None, n_styles: int) -> str:
    """'style from colour statistics: 0.41, from texture: 0.97 (...)', or '' without accuracies."""
    if not accuracies:
        return ""
    return (
        f"style from colour statistics: {accuracies['colour']:.2f}, from texture: {accuracies['texture']:.2f} "
        f"(held-out logistic regression; chance {1 / n_styles:.2f})"
    )


def contact_sheet(images, metadata, per_style: int, seed: int, palette: str, accuracies: dict | None = None):
    """A matplotlib figure: for each style (sorted), a block of `per_style` images drawn with
    `seed`, COLUMNS to a row, the style's name on its left in the style's colour. `images`
    uint8 N x H x W x 3, row i described by row i of `metadata` (needs a style column).
    `accuracies` ({"colour", "texture"}, optional) adds a second title line."""
    chosen = choose_per_style(metadata, per_style, seed)
    columns = min(COLUMNS, max(len(rows) for rows in chosen.values()))
    block_rows = {style: max(1, math.ceil(len(rows) / columns)) for style, rows in chosen.items()}
    n_rows = sum(block_rows.values())
    fig, axes = new_figure(n_rows, columns, width=0.9, height=0.9, gridspec_kw={"wspace": 0.04, "hspace": 0.04})
    colours = style_colours(chosen, palette)
    first_row = 0
    for style, rows in chosen.items():
        for k in range(block_rows[style] * columns):
            ax = axes[first_row + k // columns, k % columns]
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if k >= len(rows):
                ax.axis("off")
                continue
            ax.imshow(np.asarray(images[rows[k]]), interpolation="nearest")
        label_ax = axes[first_row, 0]  # the label, centred on the style's block of rows
        label_ax.set_ylabel(style, color=colours[style], fontweight="bold", fontsize="small")
        label_ax.yaxis.set_label_coords(-0.08, 1 - block_rows[style] * 0.52 + 0.02)
        first_row += block_rows[style]
    size = np.asarray(images[0]).shape[0]
    title = f"The data set: {len(metadata)} images of {size} px, {per_style} per style drawn with seed {seed}"
    line = accuracy_line(accuracies, len(chosen))
    fig.suptitle(title + ("\n" + line if line else ""), fontsize="small")
    return fig


INPUTS = ("images", "metadata", "report")
OUTPUTS = ("figure",)


def main(args) -> None:
    figures = args.settings["figures"]
    images, metadata = read_prepared(args.images, args.metadata)
    accuracies = read_json(args.report)["separability"]
    per_style = figures["contact_sheet_per_style"]
    fig = contact_sheet(images, metadata, per_style, args.settings["seed"], figures["palette"], accuracies)
    save_figure(fig, args.figure, dpi=figures["dpi"])
