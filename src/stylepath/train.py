"""`stylepath train`: train one autoencoder on the train split, resuming from its checkpoint.

The loop reads top to bottom: load the data, build the model and its optimisers, maybe
resume (else the model's one-off warm-up), then for each epoch: the learning rates of the
schedule; one training step per minibatch; validation and prior statistics; a history row;
a checkpoint.

Settings (--settings): model, seed, latent_dim, epochs, batch_size, lr, lr_decay_at,
lr_decay_factor and the model's own keys (training.shared merged with training.<model>).
CUDA when available (bf16 autocast), else the CPU, where a given seed repeats to the same
weights. Weights and minibatches are channels_last on both: the CPU's convolutions then skip a
reorder per call (13-20% faster epochs at 32 px, benchmarks/run.py).

Checkpoint (--checkpoint, written atomically after every epoch): model and optimiser
states, torch's global RNG (and CUDA's), the shuffling generator, completed epochs,
history, settings and a fingerprint of the data and the training code. A re-run resumes
from it when settings, data and code all match, else starts over and says why; a
resumed CPU run ends with exactly the weights of an uninterrupted one. The checkpoint is
deleted once the model file and history are written, so a finished job never resumes.
"""

import hashlib
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm import tqdm

import stylepath.augmentation
import stylepath.models
from stylepath.augmentation import augment
from stylepath.data.prepared import read_prepared
from stylepath.io import StylepathError, atomic_path, write_csv
from stylepath.models import build_model, save_model
from stylepath.models.backbone import to_model_input
from stylepath.runtime import seed_everything, select_device, set_threads

REQUIRED_SETTINGS = (
    "model", "seed", "latent_dim", "epochs", "batch_size", "lr", "lr_decay_at", "lr_decay_factor", "eval_every",
)  # fmt: skip
EPOCH_MMD_SAMPLES = 500  # codes in the MMD^2 logged per epoch (the analysis stage tests more)
EVAL_BATCH = 256  # images per forward pass when encoding for the epoch's statistics


INPUTS = ("images", "metadata", "checkpoint")
OUTPUTS = ("model", "history")


def check_settings(settings: dict) -> None:
    missing = [key for key in REQUIRED_SETTINGS if key not in settings]
    if missing:
        raise StylepathError(f"--settings lacks {missing}; pass training.shared merged with the model's block")


def fingerprint(images: np.ndarray, metadata: pd.DataFrame) -> str:
    """Hash of the images, their labels and splits, and the training code (models + this file)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.ascontiguousarray(images).data)
    digest.update(metadata[["image_id", "style", "split"]].to_csv(index=False).encode())
    code = sorted(Path(stylepath.models.__file__).parent.glob("*.py"))
    code += [Path(stylepath.augmentation.__file__), Path(__file__)]
    for path in code:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def split_tensors(images: np.ndarray, metadata: pd.DataFrame, device):
    """(train_x, train_y, val_x): uint8 N x H x W x 3 tensors on `device` and the integer
    style labels of the train images (index into the sorted style names)."""
    styles = sorted(metadata["style"].unique())
    labels = metadata["style"].map({style: i for i, style in enumerate(styles)}).to_numpy()
    train = (metadata["split"] == "train").to_numpy()
    val = (metadata["split"] == "val").to_numpy()
    if not train.any():
        raise StylepathError("the metadata has no image with split 'train'; re-run `stylepath prepare-data`")
    train_x = torch.from_numpy(np.asarray(images[train])).to(device)
    train_y = torch.from_numpy(labels[train]).long().to(device)
    val_x = torch.from_numpy(np.asarray(images[val])).to(device)
    return train_x, train_y, val_x


def save_checkpoint(path, model, optimisers, generator, epoch, history, settings, data_id) -> None:
    state = {
        "epoch": epoch,
        "history": history,
        "settings": settings,
        "fingerprint": data_id,
        "model": model.state_dict(),
        "optimisers": {name: optimiser.state_dict() for name, optimiser in optimisers.items()},
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "generator": generator.get_state(),
    }
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def resume(path, model, optimisers, generator, settings, data_id) -> tuple[int, list]:
    """(completed epochs, history) restored from the checkpoint at `path`, or (0, []) when
    there is none or it belongs to other settings, data or code."""
    path = Path(path)
    if not path.is_file():
        return 0, []
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a checkpoint from another version: start over
        print(f"Checkpoint {path} is unreadable ({error}); starting over.")
        return 0, []
    if state.get("settings") != settings:
        old = state.get("settings") or {}
        changed = sorted(key for key in old.keys() | settings.keys() if old.get(key) != settings.get(key))
        print(f"Checkpoint {path} was written with other settings (changed: {', '.join(changed)}); starting over.")
        return 0, []
    if state.get("fingerprint") != data_id:
        print(f"Checkpoint {path} was written for other images or training code; starting over.")
        return 0, []
    model.load_state_dict(state["model"])
    for name, optimiser in optimisers.items():
        optimiser.load_state_dict(state["optimisers"][name])
    torch.set_rng_state(state["torch_rng"])
    if state["cuda_rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    generator.set_state(state["generator"])
    print(f"Resuming from {path} after epoch {state['epoch']}.")
    return state["epoch"], state["history"]


def minibatches(train_x: torch.Tensor, batch_size: int, generator):
    """Float channels_last minibatches of the train split in the shuffling generator's order,
    epoch after epoch."""
    while True:
        for batch in torch.randperm(len(train_x), generator=generator).to(train_x.device).split(batch_size):
            yield to_model_input(train_x[batch], channels_last=True)


def learning_rate_scale(epoch: int, settings: dict) -> float:
    """Factor on every learning rate in `epoch` (1-based): lr_decay_factor once more than
    lr_decay_at of the epochs are done (a step schedule), else 1; lr_decay_at null: always 1."""
    decay_at = settings["lr_decay_at"]
    done = epoch - 1
    return settings["lr_decay_factor"] if decay_at is not None and done >= decay_at * settings["epochs"] else 1.0


def set_learning_rates(optimisers: dict, scale: float) -> None:
    """Every parameter group's lr = its initial lr x scale (idempotent, so a resumed run agrees)."""
    for optimiser in optimisers.values():
        for group in optimiser.param_groups:
            group.setdefault("initial_lr", group["lr"])
            group["lr"] = group["initial_lr"] * scale


def check_finite(terms: dict, settings: dict, epoch: int) -> None:
    """Stop with a StylepathError naming the model, epoch and terms when a loss is NaN or inf.

    `terms` are the epoch's summed loss terms: one non-finite step makes its sum non-finite,
    and checking once per epoch spares a host sync per step on a GPU."""
    bad = {term: value for term, value in terms.items() if not np.isfinite(value)}
    if not bad:
        return
    name = settings["model"]
    hint = f"lower the learning rate (training.{name}.lr, now {settings['lr']}"
    hint += f"; or training.aae.disc_lr, now {settings['disc_lr']})" if "disc_lr" in settings else ")"
    terms_text = ", ".join(f"{term} = {value}" for term, value in bad.items())
    raise StylepathError(f"{name} diverged in epoch {epoch}: {terms_text}; {hint}. No model file was written.")


@torch.no_grad()
def encode_split(model, x_uint8: torch.Tensor, decode: bool = False):
    """(codes or posterior means, log-variances or None, squared error sum) of uint8 images
    N x H x W x 3: z and logvar float64 numpy N x D; with `decode`, the error of the images
    decoded from z summed over pixels (else 0)."""
    zs, logvars, squared = [], [], 0.0
    for batch in x_uint8.split(EVAL_BATCH):
        x = to_model_input(batch, channels_last=True)
        z, logvar = model.encode(x)
        if decode:
            squared += F.mse_loss(model.decode(z).float(), x, reduction="sum").item()
        zs.append(z.double().cpu())
        if logvar is not None:
            logvars.append(logvar.double().cpu())
    empty = np.zeros((0, model.latent_dim))
    z = torch.cat(zs).numpy() if zs else empty
    logvar = (torch.cat(logvars).numpy() if logvars else empty) if model.variational else None
    return z, logvar, squared


@torch.no_grad()
def epoch_statistics(model, train_x: torch.Tensor, val_x: torch.Tensor, seed: int) -> dict:
    """What each epoch logs besides the losses: val_recon_mse, the mean squared error per pixel
    (pixels in [0, 1]) of the validation images decoded from their code or posterior mean (NaN
    without validation images); and, for a model whose objective has a prior, how close its
    prior sample over all images is to N(0, I) (the model's prior_statistics: sphericity,
    largest |mean|, smallest and largest variance of a dimension, and MMD^2."""
    model.eval()
    val_z, val_logvar, squared = encode_split(model, val_x, decode=True)
    row = {"val_recon_mse": squared / val_x.numel() if len(val_x) else float("nan")}
    if model.prior:
        train_z, train_logvar, _ = encode_split(model, train_x)
        z = np.concatenate([train_z, val_z])
        logvar = np.concatenate([train_logvar, val_logvar]) if model.variational else None
        row.update(model.prior_statistics(z, logvar, seed, EPOCH_MMD_SAMPLES))
    return row


def main(args) -> None:
    settings = args.settings
    check_settings(settings)
    name, epochs, batch_size = settings["model"], int(settings["epochs"]), int(settings["batch_size"])
    set_threads(args.threads)
    seed_everything(int(settings["seed"]))
    device = select_device(gpu_job=True)
    cuda = device.type == "cuda"
    autocast = partial(torch.autocast, device_type="cuda", dtype=torch.bfloat16, enabled=cuda)

    # Data: both splits preloaded on the device as uint8, converted per minibatch.
    images, metadata = read_prepared(args.images, args.metadata)
    train_x, train_y, val_x = split_tensors(images, metadata, device)
    data_id = fingerprint(images, metadata)
    print(f"Training {name} on {device}: {len(train_x)} train and {len(val_x)} val images of {images.shape[1]} px.")

    # Model, optimisers and the generator that shuffles the train split; maybe resume.
    model = build_model(name, settings, images.shape[1]).to(device, memory_format=torch.channels_last)
    optimisers = model.make_optimisers(float(settings["lr"]))
    generator = torch.Generator().manual_seed(int(settings["seed"]))
    done, history = resume(args.checkpoint, model, optimisers, generator, settings, data_id)

    if done == 0:  # a fresh start, not a resumed run
        model.train()
        model.warm_up(minibatches(train_x, batch_size, generator), float(settings["lr"]))

    for epoch in range(done + 1, epochs + 1):
        start = time.perf_counter()
        set_learning_rates(optimisers, learning_rate_scale(epoch, settings))
        model.train()
        sums = {}
        order = torch.randperm(len(train_x), generator=generator).to(device)
        batches = order.split(batch_size)
        for batch in tqdm(batches, desc=f"{name} epoch {epoch}/{epochs}", unit="batch"):
            x = to_model_input(train_x[batch])
            x = augment(x, generator, settings["augment_flip"], int(settings["augment_shift"]))
            x = x.contiguous(memory_format=torch.channels_last)
            terms = model.training_step(x, train_y[batch], optimisers, autocast)
            for term, value in terms.items():
                sums[term] = sums.get(term, 0.0) + value.float() * len(batch)
        row = {"epoch": epoch, **{term: (total / len(train_x)).item() for term, total in sums.items()}}
        check_finite(row, settings, epoch)
        row["seconds"] = time.perf_counter() - start
        if epoch % int(settings["eval_every"]) == 0 or epoch == epochs:
            start = time.perf_counter()
            row.update(epoch_statistics(model, train_x, val_x, int(settings["seed"])))
            row["eval_seconds"] = time.perf_counter() - start
        history.append(row)
        save_checkpoint(args.checkpoint, model, optimisers, generator, epoch, history, settings, data_id)
        print(" ".join(f"{key} {value:.5g}" for key, value in row.items()), flush=True)

    save_model(model, settings, args.model)
    write_csv(pd.DataFrame(history).assign(model=name, replicate=int(settings["seed"])), args.history)
    Path(args.checkpoint).unlink(missing_ok=True)
    print(f"Wrote {args.model} and {args.history}.")
