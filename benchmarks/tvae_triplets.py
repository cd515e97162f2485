"""What makes the TVAE's triplet term separate HELD-OUT styles: mining, distance, weight, augmentation.

    python benchmarks/tvae_triplets.py [--variants NAME ...] [--seeds 0 1 2] [--epochs 50] [--list]

Trains, with `stylepath train` (in this process, one run at a time, one thread), the VAE and the
TVAE of the default run (config.yaml: 400 synthetic paintings of 32 px, 320 train / 80 val,
latent 16, batch 32) under each variant below, once per training seed. A variant overrides the
peer's setting (`PEER`: triplet weight 0.1, margin 1, the encoders seeing the image alone), not
config.yaml's, which is this benchmark's outcome; it may also override the VAE it is compared
with. Then prints, per variant and seed:

triplet_acc  share of random validation triplets (anchor, a positive of its style, a negative of
             another) with d(a, p) < d(a, n) on the posterior means (L2 and cosine distance; the
             same triplets for the TVAE and its VAE; chance 0.5), and the VAE's
gain        TVAE - VAE triplet_acc (L2); the target is >= 0.05 in at least 2 of 3 seeds
probe        held-out linear-probe accuracy: a standardised logistic regression fitted on the
             train split's means, scored on the val split's (chance 0.25)
recon_ratio  validation MSE per pixel over that of each image's mean colour (must be <= 0.5)
active       active units (variance over images of the posterior mean > 0.01; must be >= 1)
seconds      training time of the TVAE (the epochs' training steps; the VAE's beside it)
"""

import argparse
import json
import sys
import tempfile
import time
from argparse import Namespace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from stylepath.config import load_config, model_settings  # noqa: E402

N_TRIPLETS = 4000
AUGMENT = {"augment_flip": True, "augment_shift": 4}
COSINE = {"triplet_distance": "cosine", "triplet_margin": 0.5}
HIGH_PASS = {"encoder_input": "image_and_high_pass"}
PEER = {"encoder_input": "image", "triplet_weight": 0.1, "triplet_margin": 1.0}  # what every variant starts from
PEER_VAE = {"encoder_input": PEER["encoder_input"]}  # the VAE it is compared with
VARIANTS = {  # name -> (training.tvae overrides, training.vae overrides)
    "peer: all, l1, m 1, w 0.1": ({}, {}),  # the peer's setting, the encoders seeing the image alone
    "all, l1, m 1, w 30": ({"triplet_weight": 30.0}, {}),
    "hard, l1, m 1, w 30": ({"triplet_mining": "hard", "triplet_weight": 30.0}, {}),
    "all, cosine, m 0.5, w 30": ({**COSINE, "triplet_weight": 30.0}, {}),
    "all, cosine, m 0.5, w 300": ({**COSINE, "triplet_weight": 300.0}, {}),
    "all, cosine, m 0.5, w 3000": ({**COSINE, "triplet_weight": 3000.0}, {}),
    "hard, cosine, m 0.5, w 30": ({**COSINE, "triplet_mining": "hard", "triplet_weight": 30.0}, {}),
    "semi_hard, cosine, m 0.2, w 30": (
        {**COSINE, "triplet_margin": 0.2, "triplet_mining": "semi_hard", "triplet_weight": 30.0},
        {},
    ),
    "peer + flip, shift 4": (AUGMENT, {}),
    "all, l1, m 1, w 30 + flip, shift 4": ({**AUGMENT, "triplet_weight": 30.0}, {}),
    "all, cosine, m 0.5, w 300 + flip, shift 4": ({**AUGMENT, **COSINE, "triplet_weight": 300.0}, {}),
    "hard, cosine, m 0.5, w 30 + flip, shift 4": (
        {**AUGMENT, **COSINE, "triplet_mining": "hard", "triplet_weight": 30.0},
        {},
    ),
    # every model's encoder also sees the high-pass (training.shared.encoder_input), the VAE included
    "peer + high-pass input": (HIGH_PASS, HIGH_PASS),
    "all, l1, m 1, w 3 + high-pass input": ({**HIGH_PASS, "triplet_weight": 3.0}, HIGH_PASS),
    "all, l1, m 1, w 30 + high-pass input": ({**HIGH_PASS, "triplet_weight": 30.0}, HIGH_PASS),
    "all, cosine, m 0.5, w 30 + high-pass input": ({**HIGH_PASS, **COSINE, "triplet_weight": 30.0}, HIGH_PASS),
    "semi_hard, cosine, m 0.2, w 300 + flip, shift 4, 100 epochs": (
        {**AUGMENT, **COSINE, "triplet_margin": 0.2, "triplet_mining": "semi_hard", "triplet_weight": 300.0}
        | {"epochs": 100},
        {},
    ),
}
CLASSIFIER_LR = 1e-3


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=None, help="names of VARIANTS (default: all)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None, help="override the config's epochs")
    parser.add_argument("--n-per-style", type=int, default=None, help="override dataset.synthetic.n_per_style")
    parser.add_argument("--list", action="store_true", help="list the variants and exit")
    parser.add_argument(
        "--classifier",
        action="store_true",
        help="instead: train the shared encoder + a linear head as a supervised style classifier (the ceiling)",
    )
    return parser.parse_args()


def prepare_data(folder: Path, config: dict) -> tuple[Path, Path]:
    """The default run's data set, prepared into `folder` with `stylepath prepare-data`."""
    from stylepath.data import prepare_data as stage

    images, metadata = folder / "images.npy", folder / "metadata.parquet"
    settings = {"dataset": config["dataset"], "seed": config["seed"]}
    stage.main(Namespace(settings=settings, manifest="", images=images, metadata=metadata, report=folder / "r.json"))
    return images, metadata


def train(settings: dict, images: Path, metadata: Path, folder: Path) -> tuple[Path, float]:
    """(model file, seconds of training steps) of one `stylepath train` run."""
    from stylepath import train as stage

    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}" for name in ("checkpoint.pt", "model.pt", "history.csv")}
    args = Namespace(settings=settings, images=images, metadata=metadata, threads=1)
    args.checkpoint, args.model, args.history = (str(p) for p in paths.values())
    stage.main(args)
    return paths["model.pt"], float(pd.read_csv(paths["history.csv"])["seconds"].sum())


def encode(model_path: Path, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(posterior means N x D, per-image validation-style MSE per pixel N) under a model file."""
    from stylepath.models import load_model
    from stylepath.models.backbone import to_model_input

    model = load_model(model_path)
    with torch.no_grad():
        x = to_model_input(torch.from_numpy(images))
        mu = model.encode(x)[0]
        mse = (model.decode(mu) - x).pow(2).mean((1, 2, 3))
    return mu.double().numpy(), mse.double().numpy()


def triplets(styles: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """N_TRIPLETS random (anchor, positive of its style != anchor, negative of another style)."""
    rng = np.random.default_rng([seed, 5])
    anchors = rng.integers(len(styles), size=N_TRIPLETS)
    positives, negatives = np.empty_like(anchors), np.empty_like(anchors)
    for i, a in enumerate(anchors):
        same = np.flatnonzero((styles == styles[a]) & (np.arange(len(styles)) != a))
        positives[i] = rng.choice(same)
        negatives[i] = rng.choice(np.flatnonzero(styles != styles[a]))
    return anchors, positives, negatives


def triplet_accuracy(mu: np.ndarray, chosen, distance: str) -> float:
    """Share of the triplets with d(a, p) < d(a, n); distance 'l2' or 'cosine' (1 - cos)."""
    if distance == "cosine":
        mu = mu / np.linalg.norm(mu, axis=1, keepdims=True)
    a, p, n = (mu[index] for index in chosen)
    return float(np.mean(np.linalg.norm(a - p, axis=1) < np.linalg.norm(a - n, axis=1)))


def probe(mu: np.ndarray, styles: np.ndarray, train: np.ndarray) -> float:
    """Held-out accuracy of a standardised logistic regression fitted on the train rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    fit = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(mu[train], styles[train])
    return float(fit.score(mu[~train], styles[~train]))


def measure(model_path: Path, images: np.ndarray, meta: pd.DataFrame, chosen, baseline: float) -> dict:
    """The figures of one model (see the module doc)."""
    mu, mse = encode(model_path, images)
    train = (meta["split"] == "train").to_numpy()
    styles = meta["style"].to_numpy()
    val_mu = mu[~train]
    return {
        "acc_l2": triplet_accuracy(val_mu, chosen, "l2"),
        "acc_cos": triplet_accuracy(val_mu, chosen, "cosine"),
        "train_acc_l2": triplet_accuracy(mu[train], triplets(styles[train], 0), "l2"),
        "probe": probe(mu, styles, train),
        "recon_ratio": float(mse[~train].mean() / baseline),
        "active": int((val_mu.var(0, ddof=1) > 0.01).sum()),
    }


def mean_colour_mse(images: np.ndarray) -> float:
    """Mean over images of the MSE per pixel of each image replaced by its mean colour."""
    x = images.astype(np.float64) / 255
    return float(((x - x.mean((1, 2), keepdims=True)) ** 2).mean())


def same_style_mosaic(x: torch.Tensor, generator: torch.Generator, labels, pool) -> torch.Tensor:
    """B x 3 x H x W -> same: each image replaced by a 2 x 2 mosaic of quarters, each quarter a
    random quarter of a random training image of its style (`pool` = (images, labels))."""
    pool_x, pool_labels = pool
    side_h, side_w = x.shape[-2] // 2, x.shape[-1] // 2
    out = torch.empty_like(x)
    for i, style in enumerate(labels.tolist()):
        members = torch.nonzero(pool_labels == style).flatten()
        for row in range(2):
            for col in range(2):
                source = members[torch.randint(len(members), (1,), generator=generator)].item()
                r, c = (torch.randint(2, (2,), generator=generator) * torch.tensor([side_h, side_w])).tolist()
                out[i, :, row * side_h : (row + 1) * side_h, col * side_w : (col + 1) * side_w] = pool_x[
                    source, :, r : r + side_h, c : c + side_w
                ]
    return out


def random_roll(x: torch.Tensor, generator: torch.Generator, **_) -> torch.Tensor:
    """B x 3 x H x W -> same: each image shifted circularly by a random offset (0..side-1 px in
    each direction, wrapping round) and mirrored with probability 1/2: no position is fixed."""
    offsets = torch.stack([torch.randint(side, (len(x),), generator=generator) for side in x.shape[-2:]], 1)
    mirrored = (torch.rand(len(x), generator=generator) < 0.5).tolist()
    rolled = [torch.roll(image, tuple(offset), (1, 2)) for image, offset in zip(x, offsets.tolist())]
    return torch.stack([image.flip(-1) if m else image for image, m in zip(rolled, mirrored)])


def classifier_ceiling(images: np.ndarray, meta: pd.DataFrame, epochs: int, batch_size: int, seed: int) -> None:
    """Train the models' encoder (stylepath.models.backbone.Encoder, 16 outputs) and a linear
    head as a supervised style classifier (cross-entropy, Adam), with and without augmentation,
    and print its train and val accuracy: what any term on the means could reach at best. A third
    run feeds it the high-passed images (`backbone.high_pass`: x - Gaussian blur of x, x 10): the
    brushwork without the layout, to show which of the two stands in the way. Two more try
    augmentations that break the layout but keep the brushwork (`same_style_mosaic`,
    `random_roll`), the last gives the encoder both the image and its high-pass (6 channels,
    `training.shared.encoder_input`); every run is scored on the unaltered images."""
    import torch.nn.functional as F

    from stylepath.augmentation import augment
    from stylepath.models.backbone import Encoder, high_pass, to_model_input

    styles = sorted(meta["style"].unique())
    labels = torch.tensor(meta["style"].map(styles.index).to_numpy())
    train = torch.tensor((meta["split"] == "train").to_numpy())
    raw = to_model_input(torch.from_numpy(images))
    high_passed = high_pass(raw)

    def unaltered(x, generator, **_):
        return x

    def flipped_shifted(x, generator, **_):
        return augment(x, generator, flip=True, shift=4)

    for x, alter, encoder_input, what in (
        (raw, unaltered, "image", "images"),
        (raw, flipped_shifted, "image", "images, flip, shift 4"),
        (high_passed, unaltered, "image", "high-passed images"),
        (raw, same_style_mosaic, "image", "images, 2 x 2 mosaic of quarters of its style"),
        (raw, random_roll, "image", "images, random circular shift and flip"),
        (raw, unaltered, "image_and_high_pass", "images and their high-pass (encoder_input: image_and_high_pass)"),
    ):
        torch.manual_seed(seed)
        encoder, head = Encoder(images.shape[1], 16, encoder_input), torch.nn.Linear(16, len(styles))
        optimiser = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=CLASSIFIER_LR)
        generator = torch.Generator().manual_seed(seed)
        x_train, y_train = x[train], labels[train]
        for _ in range(epochs):
            for batch in torch.randperm(len(x_train), generator=generator).split(batch_size):
                logits = head(encoder(alter(x_train[batch], generator, labels=y_train[batch], pool=(x_train, y_train))))
                optimiser.zero_grad(set_to_none=True)
                F.cross_entropy(logits, y_train[batch]).backward()
                optimiser.step()
        with torch.no_grad():
            predicted = head(encoder(x)).argmax(1) == labels
        found = {"train": predicted[train].float().mean().item(), "val": predicted[~train].float().mean().item()}
        print(f"classifier on {what}, {epochs} epochs, seed {seed}:", found, flush=True)


def main():
    args = parse_args()
    if args.list:
        print("\n".join(VARIANTS))
        return
    torch.set_num_threads(1)
    config = load_config(REPO / "config.yaml")
    if args.n_per_style:
        config["dataset"]["synthetic"]["n_per_style"] = args.n_per_style
    names = args.variants or list(VARIANTS)
    rows, vae_cache = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        images_path, metadata_path = prepare_data(Path(tmp), config)
        images, meta = np.load(images_path), pd.read_parquet(metadata_path)
        val = (meta["split"] == "val").to_numpy()
        baseline = mean_colour_mse(images[val])
        chosen = triplets(meta["style"].to_numpy()[val], 0)
        if args.classifier:
            shared = config["training"]["shared"]
            for seed in args.seeds:
                classifier_ceiling(images, meta, args.epochs or shared["epochs"], shared["batch_size"], seed)
            return
        for name in names:
            tvae_overrides, vae_overrides = VARIANTS[name]
            for seed in args.seeds:
                epochs = {"epochs": args.epochs} if args.epochs else {}
                vae_settings = {**model_settings(config, "vae", seed), **PEER_VAE, **epochs, **vae_overrides}
                key = json.dumps(vae_settings, sort_keys=True)
                if key not in vae_cache:
                    path, seconds = train(vae_settings, images_path, metadata_path, Path(tmp) / f"vae{len(vae_cache)}")
                    vae_cache[key] = {**measure(path, images, meta, chosen, baseline), "seconds": seconds}
                vae = vae_cache[key]
                settings = {**model_settings(config, "tvae", seed), **PEER, **epochs, **tvae_overrides}
                path, seconds = train(settings, images_path, metadata_path, Path(tmp) / f"tvae{len(rows)}")
                tvae = measure(path, images, meta, chosen, baseline)
                row = {
                    "variant": name,
                    "seed": seed,
                    **tvae,
                    "vae_acc_l2": vae["acc_l2"],
                    "vae_acc_cos": vae["acc_cos"],
                }
                row.update(gain=tvae["acc_l2"] - vae["acc_l2"], vae_probe=vae["probe"], seconds=seconds)
                row.update(vae_seconds=vae["seconds"], vae_recon_ratio=vae["recon_ratio"])
                rows.append(row)
                print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    print(table.round(3).to_string(index=False))
    passed = table.assign(hit=table["gain"] >= 0.05).groupby("variant", sort=False)["hit"].sum()
    print("\nseeds with gain >= 0.05 (target: >= 2 of 3):")
    print(passed.to_string())


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"{time.perf_counter() - start:.0f} s in all")
