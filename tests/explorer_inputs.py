"""Constructed inputs of `stylepath explorer` in the layout and columns of a run (docs/outputs.md,
/work/notes' calibration contract), of any size: the tests' small ones and the benchmark's
study-sized one (24,000 paintings x 15 chains) without running the study."""

from pathlib import Path

import numpy as np
import pandas as pd

STYLES = ["expressionism", "impressionism", "realism", "romanticism"]
CRITERIA = ["random", "same_style", "across_styles", "nearest", "farthest", "class_centroids", "cluster_centroids"]
LAYERS = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]
PATTERNS = ["horseshoe", "wave", "other"]
KINDS = {"dissolve_linear": "dissolve", "hard_cut": "cut", "translate": "transformation", "noise": "noise"}


def smooth_images(n: int, size: int, rng, base: int = 256) -> np.ndarray:
    """n uint8 images n x size x size x 3: `base` distinct blurry colour fields (upsampled 4 x 4
    noise, like decoded paintings), repeated; cheap at any n."""
    from PIL import Image

    coarse = rng.integers(0, 256, size=(min(n, base), 4, 4, 3), dtype=np.uint8)
    fields = np.stack([np.asarray(Image.fromarray(c).resize((size, size), Image.Resampling.BICUBIC)) for c in coarse])
    return fields[np.arange(n) % len(fields)]


def walk_frames(start: np.ndarray, end: np.ndarray, steps: int) -> np.ndarray:
    """A cross-dissolve from start to end in `steps` frames (uint8)."""
    t = np.linspace(0, 1, steps)[:, None, None, None]
    return ((1 - t) * start[None] + t * end[None]).round().astype(np.uint8)


def style_loss_rows(pair_id: int, criterion: str, steps: int, rng, **columns) -> list[dict]:
    """The style-loss rows of one walk (steps - 1 transitions), every layer and the total."""
    rows, shape = [], 1 + rng.normal(0, 0.3) * np.sin(np.linspace(0, np.pi, steps - 1))
    for step in range(steps - 1):
        layers = {layer: float(abs(shape[step] * 10.0**-k + rng.normal(0, 0.01))) for k, layer in enumerate(LAYERS)}
        rows.append(
            {
                **columns,
                "pair_id": pair_id,
                "criterion": criterion,
                "step": step,
                "t_from": step / (steps - 1),
                "t_to": (step + 1) / (steps - 1),
                **layers,
                "total": float(np.mean(list(layers.values()))),
                "weights_id": "random:seed=0:000",
            }
        )
    return rows


def walk_row(model, replicate, pair_id, criterion, rng) -> dict:
    return {
        "model": model,
        "replicate": replicate,
        "pair_id": pair_id,
        "criterion": criterion,
        "pattern": PATTERNS[pair_id % 3],
        "orientation": "hump",
        "mean_loss": 1.0,
        "cv": 0.2,
        "r2": 0.5,
        "bend": float(rng.normal()),
        "vertex": 0.5,
        "arm": 0.1,
        "turns": int(pair_id % 4),
        "cross_dissolve_index": float(rng.uniform()),
        "linear_blend_index": 0.5,
        "alpha_rmse": 0.1,
        "end_difference": 0.2,
        "weights_id": "random:seed=0:000",
    }


def write_run(
    root: Path,
    models=("vae", "aae"),
    replicates=(0, 1),
    n_images=48,
    image_size=16,
    steps=5,
    walks_per_chain=14,
    components=4,
    calibration=False,
    instruments=None,
    seed=0,
) -> dict:
    """Write a run's explorer inputs under `root`; return the explorer's arguments
    {option name: path or list of paths, one per chain}. `instruments`: names for an
    `instrument` column in the style-loss tables (each walk's rows repeated per instrument)."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    (root / "data").mkdir(parents=True, exist_ok=True)
    metadata = pd.DataFrame(
        {
            "image_id": [f"painting_{i:05d}" for i in range(n_images)],
            "style": [STYLES[i % len(STYLES)] for i in range(n_images)],
            "split": np.where(rng.uniform(size=n_images) < 0.8, "train", "val"),
            "source": "constructed",
        }
    )
    metadata.to_parquet(root / "data" / "metadata.parquet")
    images = smooth_images(n_images, image_size, rng)
    np.save(root / "data" / "images.npy", images)
    args = {"images": str(root / "data" / "images.npy"), "metadata": str(root / "data" / "metadata.parquet")}
    chain_files = {
        name: []
        for name in ["projections", "diagnostics", "pairs", "walk_images", "walk_indexes", "style_losses", "walks"]
    }
    for model in models:
        for replicate in replicates:
            chain = root / "chains" / model / f"seed{replicate}"
            chain.mkdir(parents=True, exist_ok=True)
            centre = rng.normal(0, 3, size=(len(STYLES), components))
            scores = centre[np.arange(n_images) % len(STYLES)] + rng.normal(size=(n_images, components))
            projections = metadata[["image_id", "style", "split"]].assign(
                **{f"pc{k + 1}": scores[:, k] for k in range(components)}
            )
            projections.to_parquet(chain / "pca_projections.parquet")
            reached = (model, replicate) != (models[-1], replicates[-1])
            verdict = "reached its objective" if reached else "did not converge: sphericity = 0.5 (expected >= 0.85)"
            (chain / "diagnostics.json").write_text(
                pd.Series(
                    {"model": model, "training_seed": replicate, "reached_objective": reached, "verdict": verdict}
                ).to_json()
            )
            ends = rng.integers(0, n_images, size=(walks_per_chain, 2))
            ends[:, 1] = np.where(ends[:, 1] == ends[:, 0], (ends[:, 0] + 1) % n_images, ends[:, 1])
            criteria = [CRITERIA[k % len(CRITERIA)] for k in range(walks_per_chain)]
            pairs = pd.DataFrame(
                {
                    "pair_id": np.arange(walks_per_chain),
                    "criterion": criteria,
                    "image_id_a": metadata["image_id"].to_numpy()[ends[:, 0]],
                    "image_id_b": metadata["image_id"].to_numpy()[ends[:, 1]],
                    "style_a": metadata["style"].to_numpy()[ends[:, 0]],
                    "style_b": metadata["style"].to_numpy()[ends[:, 1]],
                    "distance": 1.0,
                }
            )
            pairs.to_parquet(chain / "pairs.parquet")
            write_walks(chain, ends, images, criteria, steps, rng, model, replicate, instruments)
            for name, file in [
                ("projections", "pca_projections.parquet"),
                ("diagnostics", "diagnostics.json"),
                ("pairs", "pairs.parquet"),
                ("walk_images", "images.npy"),
                ("walk_indexes", "index.parquet"),
                ("style_losses", "style_loss.parquet"),
                ("walks", "walks.parquet"),
            ]:
                chain_files[name].append(str(chain / file))
    args.update(chain_files)
    if calibration:
        args.update(write_calibration(root / "calibration", image_size, steps, rng))
    return args


def write_walks(folder, ends, images, criteria, steps, rng, model, replicate, instruments, extra=None) -> None:
    """images.npy, index.parquet, style_loss.parquet and walks.parquet of walks between `ends`."""
    frames = np.lib.format.open_memmap(
        folder / "images.npy", mode="w+", dtype=np.uint8, shape=(len(ends) * steps, *images.shape[1:])
    )
    index, losses, walks = [], [], []
    for pair_id, ((a, b), criterion) in enumerate(zip(ends, criteria)):
        frames[pair_id * steps : (pair_id + 1) * steps] = walk_frames(images[a], images[b], steps)
        index += [
            {"row": pair_id * steps + s, "pair_id": pair_id, "criterion": criterion, "step": s, "t": s / (steps - 1)}
            for s in range(steps)
        ]
        for instrument in instruments or [None]:
            more = {} if instrument is None else {"instrument": instrument}
            losses += style_loss_rows(pair_id, criterion, steps, rng, model=model, replicate=replicate, **more)
        walks.append({**walk_row(model, replicate, pair_id, criterion, rng), **((extra or {}).get(pair_id, {}))})
    frames.flush()
    pd.DataFrame(index).to_parquet(folder / "index.parquet")
    pd.DataFrame(losses).to_parquet(folder / "style_loss.parquet")
    pd.DataFrame(walks).to_parquet(folder / "walks.parquet")


def write_calibration(folder: Path, image_size: int, steps: int, rng, per_kind: int = 3) -> dict:
    """The calibration stage's files (contract: model 'calibration', replicate -1, criterion = kind,
    walks with `kind` and `expected`)."""
    folder.mkdir(parents=True, exist_ok=True)
    kinds = [kind for kind in KINDS for _ in range(per_kind)]
    images = smooth_images(2 * len(kinds), image_size, rng)
    ends = np.arange(2 * len(kinds)).reshape(-1, 2)
    extra = {k: {"kind": kind, "expected": KINDS[kind]} for k, kind in enumerate(kinds)}
    write_walks(folder, ends, images, kinds, steps, rng, "calibration", -1, None, extra)
    pd.DataFrame({"kind": list(KINDS), "n": per_kind}).to_csv(folder / "summary.csv", index=False)
    return {
        "calibration_images": str(folder / "images.npy"),
        "calibration_index": str(folder / "index.parquet"),
        "calibration_style_loss": str(folder / "style_loss.parquet"),
        "calibration_walks": str(folder / "walks.parquet"),
    }


def explorer_argv(args: dict, out, settings: dict) -> list[str]:
    """`stylepath explorer` arguments for the files of write_run."""
    import json

    argv = ["explorer", "--settings", json.dumps({"explorer": settings}), "--html", str(out)]
    for name, value in args.items():
        argv += [f"--{name.replace('_', '-')}", *([value] if isinstance(value, str) else value)]
    return argv
