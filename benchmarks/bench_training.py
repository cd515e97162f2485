"""Training throughput of each model against a bare forward+backward loop of its network.

pipeline  `stylepath train` itself (its command line, as the train rule calls it) on a
          data set of random uint8 images, all in the train split. Its history's per-epoch
          `seconds` cover the shuffle, the uint8 -> float conversion, the model's
          training_step (every phase of its algorithm), the loss sums and the finiteness
          check; not the epoch's statistics (`eval_seconds`: the codes of every image and
          their prior match), which are reported beside it.
step      the model's own training_step (all of its algorithm: e.g. AAE's three phases)
          with its own optimisers, on the same images preloaded as float batches in a
          fixed order: the pipeline without its loop (shuffle, conversion, checks, sums).
bare      the same network (encoder + decoder, same initialisation and device settings) on
          those preloaded batches: binary cross-entropy of the decoder logits, backward,
          one Adam step over encoder + decoder.
So pipeline / step is the loop's overhead and step / bare what the model's algorithm
costs beyond one forward + backward. The first epoch of each is a warm-up; throughput
is train images per second.
"""

import json
import time
from functools import partial

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from timing import environment, median, quiet, synchronize

from stylepath import cli
from stylepath.models import build_model
from stylepath.models.backbone import to_model_input

N_STYLES = 4


def write_train_data(folder, n_images: int, size: int, seed: int = 0) -> tuple[str, str]:
    """images.npy (uint8 n x size x size x 3, random) and metadata.parquet (4 styles in
    turn, every image in the train split) under `folder`; returns their paths."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n_images, size, size, 3), dtype=np.uint8)
    metadata = pd.DataFrame(
        {
            "image_id": [f"img{i:05d}" for i in range(n_images)],
            "style": [f"style{i % N_STYLES}" for i in range(n_images)],
            "split": "train",
            "source": "benchmark",
        }
    )
    images_path, metadata_path = folder / "images.npy", folder / "metadata.parquet"
    np.save(images_path, images)
    metadata.to_parquet(metadata_path)
    return str(images_path), str(metadata_path)


def pipeline_epoch_seconds(settings: dict, images_path, metadata_path, folder, threads: int) -> pd.DataFrame:
    """Per-epoch `seconds` (the minibatch loop) and `eval_seconds` (the epoch's statistics) of
    `stylepath train` with `settings`, from its history."""
    files = {
        "images": images_path,
        "metadata": metadata_path,
        "checkpoint": folder / f"{settings['model']}.checkpoint.pt",
        "model": folder / f"{settings['model']}.pt",
        "history": folder / f"{settings['model']}.history.csv",
    }
    argv = ["train", "--settings", json.dumps(settings), "--threads", str(threads)]
    for key, path in files.items():
        argv += [cli.flag(key), str(path)]
    with quiet():
        cli.main(argv)  # the command line as the rule gives it, so that a renamed file argument fails here too
    return pd.read_csv(files["history"])[["seconds", "eval_seconds"]]


def preloaded_model_and_batches(settings: dict, images: np.ndarray, labels: np.ndarray, device):
    """(model, [(x, y)]): a fresh model as `stylepath train` builds it and the images as float
    B x 3 x H x W batches in [0, 1] with their labels, on `device`, in a fixed order."""
    torch.manual_seed(int(settings["seed"]))
    model = build_model(settings["model"], settings, images.shape[1]).to(device, memory_format=torch.channels_last)
    model.train()
    x_all = to_model_input(torch.from_numpy(images).to(device), channels_last=True)
    y_all = torch.from_numpy(labels).long().to(device)
    batch_size = int(settings["batch_size"])
    return model, list(zip(x_all.split(batch_size), y_all.split(batch_size)))


def epoch_seconds(step, batches, epochs: int, device) -> list[float]:
    """Seconds of each of `epochs` passes of step(x, y) over `batches`."""
    seconds = []
    for _ in range(epochs):
        synchronize(device)
        start = time.perf_counter()
        for x, y in batches:
            step(x, y)
        synchronize(device)
        seconds.append(time.perf_counter() - start)
    return seconds


def step_epoch_seconds(settings: dict, images: np.ndarray, labels: np.ndarray, device) -> list[float]:
    """Per-epoch seconds of the model's own training_step on preloaded batches."""
    model, batches = preloaded_model_and_batches(settings, images, labels, device)
    optimisers = model.make_optimisers(float(settings["lr"]))
    autocast = partial(torch.autocast, device_type="cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    return epoch_seconds(
        lambda x, y: model.training_step(x, y, optimisers, autocast), batches, int(settings["epochs"]), device
    )


def bare_epoch_seconds(settings: dict, images: np.ndarray, labels: np.ndarray, device) -> list[float]:
    """Per-epoch seconds of the bare loop (channels_last, and on CUDA bf16 autocast, as
    the pipeline): decoder(encoder(x)), binary cross-entropy, backward, one Adam step."""
    model, batches = preloaded_model_and_batches(settings, images, labels, device)
    parameters = [*model.encoder.parameters(), *model.decoder.parameters()]
    optimiser = torch.optim.Adam(parameters, lr=float(settings["lr"]))

    def step(x, y):
        optimiser.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits = model.decoder(model.encoder(x)[:, : model.latent_dim])
        loss = F.binary_cross_entropy_with_logits(logits.float(), x, reduction="sum") / len(x)
        loss.backward()
        optimiser.step()

    return epoch_seconds(step, batches, int(settings["epochs"]), device)


def benchmark(settings: dict, size: int, folder, n_batches: int, repeats: int, threads: int, device) -> dict:
    """Median train images/s of the pipeline and the bare loop for one model.

    settings: the model's training settings (model_settings); eval_every is 1, epochs
    repeats + 1 (one warm-up epoch); the data set holds n_batches full minibatches of
    size x size px images; `folder` receives the data and the pipeline's files.
    """
    device = torch.device(device)
    # the AAE's one-off warm-up aside; every epoch's statistics, to time them
    settings = {**settings, "epochs": repeats + 1, "warm_up_steps": 0, "eval_every": 1}
    n_images = n_batches * int(settings["batch_size"])
    images_path, metadata_path = write_train_data(folder, n_images, size, int(settings["seed"]))
    with environment(STYLEPATH_DEVICE=device.type):  # the device select_device() gives train
        history = pipeline_epoch_seconds(settings, images_path, metadata_path, folder, threads).iloc[1:]
    pipeline = history["seconds"].tolist()
    torch.set_num_threads(threads)
    images, labels = np.load(images_path), np.arange(n_images) % N_STYLES
    step = step_epoch_seconds(settings, images, labels, device)[1:]
    bare = bare_epoch_seconds(settings, images, labels, device)[1:]
    seconds = {"pipeline": median(pipeline), "step": median(step), "bare": median(bare)}
    return {
        "n_images": n_images,
        "batch_size": settings["batch_size"],
        "latent_dim": settings["latent_dim"],
        "seconds": seconds,
        "images_per_s": {name: n_images / value for name, value in seconds.items()},
        "vs_bare": seconds["bare"] / seconds["pipeline"],
        "vs_step": seconds["step"] / seconds["pipeline"],
        "statistics_share": median(history["eval_seconds"].tolist()) / seconds["pipeline"],
    }
