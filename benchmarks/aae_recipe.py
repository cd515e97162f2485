"""How the AAE's codes approach the prior N(0, I) under the settings tried for its recipe.

    python benchmarks/aae_recipe.py [--epochs 100] [--seeds 0 1] [--workers 2] [--out docs/aae_recipe.png]

Trains the AAE of the default run (config.yaml: 400 synthetic paintings of 32 px, latent 16,
batch 32) with `stylepath train` under each variant below, two at a time, then prints per variant
and seed the final prior match of the codes of all images (sphericity, largest |mean|, variance
range, MMD test p-value, a fresh discriminator's held-out accuracy; stylepath.diagnostics) and
plots the sphericity and MMD^2 that training logs per epoch against the training steps. The
variants differ only in config keys of training.aae, from the paper's procedure to the recipe.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from stylepath.config import load_config, model_settings  # noqa: E402

VARIANTS = {  # name -> training.aae overrides
    "paper: 1 D step, no warm-up, constant lr": {"disc_steps": 1, "warm_up_steps": 0, "lr_decay_at": None},
    "2 D steps": {"disc_steps": 2, "warm_up_steps": 0, "lr_decay_at": None},
    "warm-up": {"disc_steps": 1, "warm_up_steps": 1000, "lr_decay_at": None},
    "warm-up + 2 D steps": {"disc_steps": 2, "warm_up_steps": 1000, "lr_decay_at": None},
    "recipe: warm-up + 2 D steps + lr decay": {"disc_steps": 2, "warm_up_steps": 1000, "lr_decay_at": 0.7},
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(REPO / "docs" / "aae_recipe.png"))
    return parser.parse_args()


def prepare_data(folder: Path, config: dict) -> tuple[Path, Path]:
    """The default run's data set, prepared into `folder`."""
    settings = json.dumps({"dataset": config["dataset"], "seed": config["seed"]})
    images, metadata = folder / "images.npy", folder / "metadata.parquet"
    command = ["prepare-data", "--settings", settings, "--manifest", "", "--images", str(images)]
    run([*command, "--metadata", str(metadata), "--report", str(folder / "report.json")])
    return images, metadata


def run(arguments: list[str]) -> None:
    subprocess.run([sys.executable, "-m", "stylepath", *arguments], check=True, capture_output=True, cwd=REPO)


def train(job: tuple) -> dict:
    """Train one variant and seed; return its history and the final prior match of its codes."""
    name, settings, images, metadata, folder = job
    folder.mkdir(parents=True, exist_ok=True)
    run(
        ["train", "--settings", json.dumps(settings), "--images", str(images), "--metadata", str(metadata)]
        + ["--checkpoint", str(folder / "checkpoint.pt"), "--model", str(folder / "model.pt")]
        + ["--history", str(folder / "history.csv"), "--threads", "1"]
    )
    history = pd.read_csv(folder / "history.csv")
    return {"name": name, "seed": settings["seed"], "history": history, **final(folder, images)}


def final(folder: Path, images: Path) -> dict:
    """Prior match of the codes of every image under the model in `folder`."""
    from stylepath.config import with_defaults
    from stylepath.diagnostics import fresh_discriminator_accuracy, prior_match
    from stylepath.models import load_model
    from stylepath.models.backbone import to_model_input

    torch.set_num_threads(1)
    model = load_model(folder / "model.pt")
    with torch.no_grad():
        codes = model.encode(to_model_input(torch.from_numpy(np.load(images))))[0].double().numpy()
    match = prior_match(codes, with_defaults({})["analysis"]["diagnostics"], seed=0)
    fresh = fresh_discriminator_accuracy(codes, model.settings["disc_hidden"], seed=0)["accuracy"]
    keys = ("sphericity", "max_abs_mean", "min_variance", "max_variance", "mmd_p")
    return {**{key: match[key] for key in keys}, "fresh_discriminator": fresh}


def plot(results: list[dict], steps_per_epoch: int, out: str) -> None:
    from stylepath.figures.common import new_figure
    from stylepath.io import save_figure

    fig, axes = new_figure(1, 2, width=5.0, height=3.6)
    colours = dict(zip(VARIANTS, ["0.6", "tab:orange", "tab:purple", "tab:blue", "tab:green"]))
    for result in results:
        history, colour = result["history"], colours[result["name"]]
        steps = history["epoch"] * steps_per_epoch
        label = result["name"] if result["seed"] == min(r["seed"] for r in results) else None
        style = "-" if result["seed"] == min(r["seed"] for r in results) else "--"
        axes[0, 0].plot(steps, history["prior_sphericity"], style, color=colour, label=label, linewidth=1.2)
        axes[0, 1].plot(steps, history["prior_mmd2"].clip(lower=1e-4), style, color=colour, linewidth=1.2)
    axes[0, 0].axhline(0.85, color="0.3", linestyle=":", linewidth=1)
    axes[0, 0].set(xlabel="training steps (after the warm-up)", ylabel="sphericity of the codes", ylim=(0, 1.02))
    axes[0, 1].set(xlabel="training steps (after the warm-up)", ylabel="MMD² to N(0, I) draws", yscale="log")
    axes[0, 0].legend(fontsize="x-small", loc="lower right")
    fig.suptitle("AAE of the default run: codes vs the prior per epoch (solid: seed 0, dashed: seed 1)", fontsize=9)
    fig.tight_layout()
    save_figure(fig, out, dpi=120)


def main():
    args = parse_args()
    config = load_config(REPO / "config.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        images, metadata = prepare_data(Path(tmp), config)
        jobs = []
        for name, overrides in VARIANTS.items():
            for seed in args.seeds:
                settings = {**model_settings(config, "aae", seed), "epochs": args.epochs, **overrides}
                jobs.append((name, settings, images, metadata, Path(tmp) / f"{len(jobs)}"))
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(pool.map(train, jobs))
        n_train = int((pd.read_parquet(metadata)["split"] == "train").sum())
    steps_per_epoch = -(-n_train // config["training"]["shared"]["batch_size"])
    table = pd.DataFrame([{k: v for k, v in r.items() if k != "history"} for r in results])
    print(table.round(3).to_string(index=False))
    plot(results, steps_per_epoch, args.out)
    print(f"Wrote {args.out}.")


if __name__ == "__main__":
    main()
