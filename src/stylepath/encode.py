"""`stylepath encode`: every image to its latent code, as a latent table (stylepath.latents).

No sampling (z is the code or the posterior mean), so the table is the same on every CPU run.
"""

import numpy as np
import torch
from tqdm import tqdm

from stylepath.io import write_parquet
from stylepath.latents import latent_table
from stylepath.models import load_model_and_images
from stylepath.models.backbone import to_model_input
from stylepath.runtime import select_device, set_threads

INPUTS = ("model", "images", "metadata")
OUTPUTS = ("latents",)


@torch.inference_mode()
def encode_images(model, images: np.ndarray, batch_size: int, device) -> dict:
    """{"z": N x D, "logvar": N x D or None, "recon_mse": N, "mean_colour_mse": N} float32 arrays
    for uint8 N x H x W x 3 images, in batches of `batch_size`. mean_colour_mse is the error of a
    trivial baseline: each image replaced by its own mean colour."""
    zs, logvars, mses, baselines = [], [], [], []
    for start in tqdm(range(0, len(images), batch_size), desc="encoding", unit="batch"):
        x = to_model_input(torch.from_numpy(np.array(images[start : start + batch_size])).to(device))
        z, logvar = model.encode(x)
        mses.append((model.decode(z) - x).pow(2).flatten(1).mean(1).cpu())
        baselines.append((x - x.mean(dim=(2, 3), keepdim=True)).pow(2).flatten(1).mean(1).cpu())
        zs.append(z.float().cpu())
        if logvar is not None:
            logvars.append(logvar.float().cpu())
    return {
        "z": torch.cat(zs).numpy(),
        "logvar": torch.cat(logvars).numpy() if logvars else None,
        "recon_mse": torch.cat(mses).numpy().astype(np.float32),
        "mean_colour_mse": torch.cat(baselines).numpy().astype(np.float32),
    }


def model_record(model) -> dict:
    """What the latent table records about the model that wrote it (stylepath.latents)."""
    return {
        "model": model.name,
        "variational": model.variational,
        "prior": model.prior,
        "adversarial": model.adversarial,
        "triplet_term": model.triplet_term,
        "settings": model.settings,
        "image_size": model.image_size,
    }


def main(args) -> None:
    batch_size = args.settings["encoding"]["batch_size"]
    set_threads(args.threads)
    device = select_device()
    model, images, metadata = load_model_and_images(args.model, args.images, args.metadata, device)
    encoded = encode_images(model, images, batch_size, device)
    write_parquet(latent_table(metadata, encoded, model_record(model)), args.latents)
    print(f"Wrote {len(metadata)} codes of size {model.latent_dim} from {model.name} to {args.latents}.")
