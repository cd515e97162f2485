"""`stylepath walks`: decode the straight-line walks between one chain's pairs of latent points
(stylepath.interpolate) and measure the style distance between consecutive decoded images, under
each instrument of `style_loss.instruments` (in that order; stylepath.instruments): `gatys`, the
Gatys et al. (2015) style loss on VGG19 features (the paper's measure; stylepath.gatys), and
`portilla_simoncelli`, the Portilla & Simoncelli (2000) texture statistics (no learned weights;
stylepath.portilla_simoncelli), standardised by their spread over the run's data set (--data-images).
Decoding and measuring are one job: the walks are cheap to decode and are only ever measured, and
a second job would pay torch's start-up again for every chain.

Outputs:
    trajectories/<model>/seed<replicate>/images.npy     uint8 (P * steps) x H x W x 3, RGB
    trajectories/<model>/seed<replicate>/index.parquet  row (into images.npy), pair_id, criterion, step, t
    style_loss/<model>/seed<replicate>.parquet  a long table with one row per instrument and transition
        (from `step` to `step + 1`): model, replicate, instrument, pair_id, criterion, step, t_from,
        t_to, the components (gatys: one column per layer holding its raw E_l under the chosen
        normalisation; portilla_simoncelli: one column per group of statistics holding D_g; NaN in
        the other instrument's rows), total (the instrument's distance) and weights_id (the VGG19
        weights; 'none' for portilla_simoncelli)
    style_loss/<model>/seed<replicate>.json     the weights and settings used
"""

import numpy as np
import pandas as pd

from stylepath.instruments import measure
from stylepath.interpolate import decode_trajectories
from stylepath.io import StylepathError, save_npy, write_json, write_parquet
from stylepath.latents import read_latents

INPUTS = ("model", "latents", "pairs")
OPTIONAL_INPUTS = ("data_images",)
OUTPUTS = ("images", "index", "style_loss", "info")


def add_arguments(parser) -> None:
    parser.add_argument("--model-name", required=True, help="model name written in the table")
    parser.add_argument("--replicate", type=int, required=True, help="training seed of the model, written in the table")


def decode(args, device) -> tuple[np.ndarray, pd.DataFrame]:
    """The chain's walks decoded: (uint8 images, their index), as stylepath.interpolate writes them."""
    from stylepath.models import load_model

    settings = args.settings["interpolation"]
    frame, z = read_latents(args.latents)
    pairs = pd.read_parquet(args.pairs)
    if pairs.empty:
        raise StylepathError(f"{args.pairs} holds no pairs; check the pairs settings")
    model = load_model(args.model, device)
    model.eval()
    images, index = decode_trajectories(model, pairs, dict(zip(frame["image_id"], z)), settings, device)
    print(f"{len(pairs)} walks x {settings['steps']} points ({settings['method']}) on {device}")
    return images, index


def style_distances(settings: dict, seed: int, images, index, data_images, device, model_name: str, replicate: int):
    """The style-loss table of a chain's walk images (uint8 N x H x W x 3, rows given by `index`)
    under every instrument of settings (style_loss), and its info: what the two outputs hold."""
    from importlib.metadata import version

    import torch

    table, measured = measure(settings, seed, images, index, data_images, device)
    table.insert(0, "model", model_name)
    table.insert(1, "replicate", replicate)
    info = {"model": model_name, "replicate": replicate, **measured}
    info.update(
        {
            "image_size": int(images.shape[1]),
            "n_images": int(len(images)),
            "n_transitions": int(len(table)),
            "device": str(device),
            "torch": torch.__version__,
            "torchvision": version("torchvision"),
        }
    )
    return table, info


def main(args) -> None:
    from stylepath.runtime import seed_everything, select_device, set_threads

    set_threads(args.threads)
    device = select_device(gpu_job=True)
    images, index = decode(args, device)
    seed = args.settings["seed"]
    seed_everything(seed)
    data_images = np.load(args.data_images, mmap_mode="r") if args.data_images else None
    table, info = style_distances(
        args.settings["style_loss"], seed, images, index, data_images, device, args.model_name, args.replicate
    )
    print(f"{len(table)} rows, on {device}")
    save_npy(images, args.images)
    write_parquet(index, args.index)
    write_parquet(table, args.style_loss)
    write_json(info, args.info)
