"""`stylepath style-loss`: the Gatys style loss (stylepath.gatys) between consecutive decoded
images of every walk of one chain.

Outputs: style_loss/<model>/seed<replicate>.parquet (model, replicate, pair_id, criterion, step,
t_from, t_to, one column per layer holding its raw E_l under the chosen normalisation, total,
weights_id; row = the transition from `step` to `step + 1`) and the .json beside it (weights and
settings used).
"""

import numpy as np
import pandas as pd

from stylepath.gatys import RANDOM_WEIGHTS_NOTE, GramExtractor, resolve_layer_weights, vgg19_features, walk_style_losses
from stylepath.io import StylepathError, write_json, write_parquet


def add_arguments(parser) -> None:
    parser.add_argument("--model-name", required=True, help="model name written in the table")
    parser.add_argument("--replicate", type=int, required=True, help="training seed of the model, written in the table")
    parser.add_argument("--images", required=True, help="decoded walk images (.npy)")
    parser.add_argument("--index", required=True, help="index of the walk images (Parquet)")
    parser.add_argument("--out", required=True, help="style-loss table (Parquet)")
    parser.add_argument("--info", required=True, help="weights and settings used (JSON)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for torch")


def main(args) -> None:
    import torch
    import torchvision

    from stylepath.runtime import seed_everything, select_device, set_threads

    settings, seed = args.settings["style_loss"], args.settings["seed"]
    seed_everything(seed)
    set_threads(args.threads)
    device = select_device(gpu_job=True)
    layers, layer_weights = settings["layers"], resolve_layer_weights(settings)
    images = np.load(args.images, mmap_mode="r")
    index = pd.read_parquet(args.index)
    if len(index) != len(images):
        raise StylepathError(
            f"{args.index} has {len(index)} rows but {args.images} {len(images)} images; re-run `stylepath interpolate`"
        )
    features, weights_id = vgg19_features(settings["weights"], seed)
    if settings["weights"] == "random":
        print(f"WARNING: {RANDOM_WEIGHTS_NOTE}")
    extractor = GramExtractor(features, layers, settings["pooling"]).to(device)
    table = walk_style_losses(
        extractor, images, index, layers, layer_weights,
        settings["normalisation"], settings["batch_size"], device,
    )  # fmt: skip
    table.insert(0, "model", args.model_name)
    table.insert(1, "replicate", args.replicate)
    table["weights_id"] = weights_id
    info = {
        "model": args.model_name,
        "replicate": args.replicate,
        "weights": settings["weights"],
        "weights_id": weights_id,
        "pretrained": settings["weights"] != "random",
        "note": RANDOM_WEIGHTS_NOTE if settings["weights"] == "random" else "",
        "layers": layers,
        "layer_weights": layer_weights,
        "pooling": settings["pooling"],
        "normalisation": settings["normalisation"],
        "image_size": int(images.shape[1]),
        "n_images": int(len(images)),
        "n_transitions": int(len(table)),
        "device": str(device),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
    }
    print(f"{len(table)} transitions, weights {weights_id}, on {device}")
    write_parquet(table, args.out)
    write_json(info, args.info)
