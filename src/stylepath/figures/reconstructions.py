"""`stylepath plot-reconstructions`: validation paintings above their reconstructions,
`figures.recon_per_style` per style, chosen with the run's seed."""

import numpy as np
import torch

from stylepath.config import model_label
from stylepath.figures.common import new_figure, style_colours
from stylepath.io import save_figure
from stylepath.models import load_model_and_images
from stylepath.models.backbone import to_model_input
from stylepath.runtime import select_device


def add_arguments(parser) -> None:
    parser.add_argument("--model", required=True, help="model file from `stylepath train`")
    parser.add_argument("--images", required=True, help="images.npy (uint8 N x H x W x 3)")
    parser.add_argument("--metadata", required=True, help="metadata.parquet (image_id, style, split)")
    parser.add_argument("--out", required=True, help="figure (.png)")


def choose_images(metadata, per_style: int, seed: int) -> dict:
    """{style: sorted row indices}: up to `per_style` validation images of each style,
    drawn without replacement with `seed` (train images for a style with none in val)."""
    rng = np.random.default_rng(seed)
    chosen = {}
    for style in sorted(metadata["style"].unique()):
        rows = metadata.index[(metadata["style"] == style) & (metadata["split"] == "val")].to_numpy()
        if len(rows) == 0:
            rows = metadata.index[metadata["style"] == style].to_numpy()
        chosen[style] = np.sort(rng.choice(rows, size=min(per_style, len(rows)), replace=False))
    return chosen


@torch.inference_mode()
def reconstruct(model, images: np.ndarray, device) -> np.ndarray:
    """uint8 B x H x W x 3 -> float B x H x W x 3 in [0, 1], decoded from the code/posterior mean."""
    x = to_model_input(torch.from_numpy(np.asarray(images)).to(device))
    return model.decode(model.encode(x)[0]).permute(0, 2, 3, 1).float().cpu().numpy()


def reconstruction_figure(originals: dict, reconstructions: dict, mses: dict, model: str, palette: str):
    """One row per style; pairs of columns: an original, then its reconstruction (MSE below)."""
    styles = list(originals)
    per_style = max(len(images) for images in originals.values())
    fig, axes = new_figure(len(styles), 2 * per_style, width=1.15, height=1.3, gridspec_kw={"wspace": 0.05})
    colours = style_colours(styles, palette)
    for row, style in enumerate(styles):
        for col, ax in enumerate(axes[row]):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            image, is_recon = col // 2, col % 2 == 1
            if image >= len(originals[style]):
                ax.axis("off")
                continue
            ax.imshow((reconstructions if is_recon else originals)[style][image], interpolation="nearest")
            if is_recon:
                ax.set_xlabel(f"MSE {mses[style][image]:.4f}", fontsize="x-small")
            if row == 0:
                ax.set_title("reconstruction" if is_recon else "original", fontsize="small")
        axes[row, 0].set_ylabel(style, color=colours[style], fontweight="bold", fontsize="small")
    fig.suptitle(f"{model_label(model)}: validation images and their reconstructions")
    return fig


def main(args) -> None:
    figures = args.settings["figures"]
    device = select_device()
    model, images, metadata = load_model_and_images(args.model, args.images, args.metadata, device)
    chosen = choose_images(metadata, figures["recon_per_style"], args.settings["seed"])
    originals = {style: np.asarray(images[rows]) for style, rows in chosen.items()}
    reconstructions = {style: reconstruct(model, originals[style], device) for style in chosen}
    mses = {style: ((reconstructions[style] - originals[style] / 255) ** 2).mean(axis=(1, 2, 3)) for style in chosen}
    fig = reconstruction_figure(originals, reconstructions, mses, model.name, figures["palette"])
    save_figure(fig, args.out, dpi=figures["dpi"])
