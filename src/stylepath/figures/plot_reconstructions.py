"""`stylepath plot-reconstructions`: validation paintings beside their reconstructions by each
replicate of a model, `figures.recon_per_style` per style, chosen with the run's seed; one figure
per model."""

from pathlib import Path

import numpy as np
import torch

from stylepath.config import model_label
from stylepath.data.prepared import read_prepared
from stylepath.figures.common import choose_per_style, new_figure, style_colours
from stylepath.io import StylepathError, save_figure
from stylepath.models import load_model
from stylepath.models.backbone import to_model_input

INPUTS = ("images", "metadata")
LIST_INPUTS = ("models",)
OUTPUTS = ("figures",)


@torch.inference_mode()
def reconstruct(model, images: np.ndarray) -> np.ndarray:
    """uint8 B x H x W x 3 -> float B x H x W x 3 in [0, 1], decoded from the code/posterior mean."""
    x = to_model_input(torch.from_numpy(np.asarray(images)))
    return model.decode(model.encode(x)[0]).permute(0, 2, 3, 1).float().numpy()


def reconstruction_figure(originals: dict, reconstructions: dict, model: str, palette: str):
    """One row per style; per image a group of columns: the original, then its reconstruction by
    each replicate (`reconstructions`: {replicate: {style: B x H x W x 3}}), MSE below each."""
    styles, replicates = list(originals), list(reconstructions)
    per_style = max(len(images) for images in originals.values())
    group = 1 + len(replicates)
    fig, axes = new_figure(len(styles), group * per_style, width=1.0, height=1.2, gridspec_kw={"wspace": 0.05})
    colours = style_colours(styles, palette)
    for row, style in enumerate(styles):
        for col, ax in enumerate(axes[row]):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            image, kind = divmod(col, group)
            if image >= len(originals[style]):
                ax.axis("off")
                continue
            original = originals[style][image]
            if kind == 0:
                ax.imshow(original, interpolation="nearest")
            else:
                decoded = reconstructions[replicates[kind - 1]][style][image]
                ax.imshow(decoded, interpolation="nearest")
                ax.set_xlabel(f"{((decoded - original / 255) ** 2).mean():.4f}", fontsize="xx-small")
            if row == 0:
                ax.set_title("original" if kind == 0 else f"seed {replicates[kind - 1]}", fontsize="x-small")
        axes[row, 0].set_ylabel(style, color=colours[style], fontweight="bold", fontsize="small")
    fig.suptitle(f"{model_label(model)}: validation images and their reconstructions (MSE per pixel below)")
    return fig


def main(args) -> None:
    figures, seed = args.settings["figures"], args.settings["seed"]
    images, metadata = read_prepared(args.images, args.metadata)
    chosen = choose_per_style(metadata, figures["recon_per_style"], seed, split="val")
    originals = {style: np.asarray(images[rows]) for style, rows in chosen.items()}
    by_model = {}
    for path in args.models:
        model = load_model(path)
        if model.image_size != images.shape[1]:
            raise StylepathError(f"{path} was trained on {model.image_size} px images, not {images.shape[1]} px")
        recons = {style: reconstruct(model, originals[style]) for style in chosen}
        by_model.setdefault(model.name, {})[model.settings["seed"]] = recons
    out = Path(args.figures)
    out.mkdir(parents=True, exist_ok=True)
    for name, reconstructions in by_model.items():
        fig = reconstruction_figure(originals, dict(sorted(reconstructions.items())), name, figures["palette"])
        save_figure(fig, out / f"{name}.png", figures["dpi"])
