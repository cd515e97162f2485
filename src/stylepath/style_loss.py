"""`stylepath style-loss`: style distances between consecutive decoded images of every walk of one
chain, under each instrument of `style_loss.instruments` (in that order): `gatys`, the Gatys et al.
(2015) style loss on VGG19 features (the paper's measure; stylepath.gatys), and
`portilla_simoncelli`, the Portilla & Simoncelli (2000) texture statistics (no learned weights;
stylepath.portilla_simoncelli), standardised by their spread over the run's data set (--data-images).

Outputs: style_loss/<model>/seed<replicate>.parquet, a long table with one row per instrument and
transition (from `step` to `step + 1`): model, replicate, instrument, pair_id, criterion, step,
t_from, t_to, the components (gatys: one column per layer holding its raw E_l under the chosen
normalisation; portilla_simoncelli: one column per group of statistics holding D_g; NaN in the
other instrument's rows), total (the instrument's distance) and weights_id (the VGG19 weights;
'none' for portilla_simoncelli). The .json beside it records the weights and settings used.
"""

import numpy as np
import pandas as pd

from stylepath.instruments import measure
from stylepath.io import StylepathError, write_json, write_parquet

INPUTS = ("images", "index")
OPTIONAL_INPUTS = ("data_images",)
OUTPUTS = ("style_loss", "info")


def add_arguments(parser) -> None:
    parser.add_argument("--model-name", required=True, help="model name written in the table")
    parser.add_argument("--replicate", type=int, required=True, help="training seed of the model, written in the table")


def main(args) -> None:
    from importlib.metadata import version

    import torch

    from stylepath.runtime import seed_everything, select_device, set_threads

    settings, seed = args.settings["style_loss"], args.settings["seed"]
    seed_everything(seed)
    set_threads(args.threads)
    device = select_device(gpu_job=True)
    images = np.load(args.images, mmap_mode="r")
    index = pd.read_parquet(args.index)
    if len(index) != len(images):
        raise StylepathError(
            f"{args.index} has {len(index)} rows but {args.images} {len(images)} images; re-run `stylepath interpolate`"
        )
    data_images = np.load(args.data_images, mmap_mode="r") if args.data_images else None
    table, measured = measure(settings, seed, images, index, data_images, device)
    table.insert(0, "model", args.model_name)
    table.insert(1, "replicate", args.replicate)
    info = {"model": args.model_name, "replicate": args.replicate, **measured}
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
    print(f"{len(table)} rows, on {device}")
    write_parquet(table, args.style_loss)
    write_json(info, args.info)
