"""Benchmarks of stylepath on this machine, printed as tables with their targets.

    python benchmarks/run.py [--quick] [--skip-default-run] [--threads 2]

1. style-loss stage: decoded images/s vs a bare VGG19 forward (bound, target >= 0.9x)
   and vs the naive per-pair pattern (target >= 2x), and the portilla_simoncelli instrument
   on the same images                                                 bench_style_loss.py
1b. portilla_simoncelli's cost per style-loss job on a finished run's walks (--run-results)
2. training: images/s per model vs a bare forward+backward loop (target >= 0.85x)
                                                                      bench_training.py
3. workflow: the default run from clean, a no-op `snakemake -n` (target <= 3 s) and the
   jobs that changing interpolation.steps re-runs                     bench_workflow.py
4. the same on CUDA where there is a GPU, plus config/study.yaml's training.
Every time is a median of several runs after a warm-up; a ratio compares medians taken
in the same process. Settings come from config.yaml (and config/study.yaml) with the
schema's defaults, as the workflow reads them, except that images are 64 px (the study's
size) in figures 1, 2 and 4. CPU figures use --threads threads, the `threads:` of the
train and style_loss rules.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import bench_style_loss
import bench_training
import bench_workflow
import torch
from timing import REPO, environment, load_average, print_table, verdict

from stylepath.config import load_config, model_settings

IMAGE_SIZE = 64  # px of the style-loss and training figures (the study's size), whatever config.yaml says
STYLE_TARGETS = {"bound": 0.9, "naive": 2.0}
TRAINING_TARGET = 0.85
DRY_RUN_TARGET_S = 3.0
DEFAULT_RUN_TARGET_S = 360.0  # the default run from clean on 2 CPU cores


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer images and repeats (a rough look)")
    parser.add_argument(
        "--skip-default-run", action="store_true", help="time the tiny workflow instead of the default one"
    )
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for torch (the rules' threads:)")
    parser.add_argument("--cores", type=int, default=2, help="snakemake --cores for the workflow runs")
    parser.add_argument(
        "--run-results", type=Path, default=REPO / "results" / "demo",
        help="a finished default run, whose walks time the portilla_simoncelli instrument per style-loss job",
    )  # fmt: skip
    return parser.parse_args(argv)


def sizes(quick: bool) -> dict:
    """How much work each figure does (repeats = timed runs after one warm-up)."""
    if quick:
        return {"repeats": 3, "walks": 8, "train_batches": 3, "dry_runs": 3}
    return {"repeats": 5, "walks": 16, "train_batches": 5, "dry_runs": 5}


def style_loss_section(config: dict, device, size: dict, threads: int, scale: int = 1) -> list[str]:
    """Benchmark 1 on `device`; returns the missed targets."""
    torch.set_num_threads(threads)
    settings, steps, image_size = config["style_loss"], config["interpolation"]["steps"], IMAGE_SIZE
    result = bench_style_loss.benchmark(
        settings, config["seed"], size["walks"] * scale, steps, image_size, size["repeats"], device
    )
    seconds, rate = result["seconds"], result["images_per_s"]
    ratios = {"bound": result["vs_bound"], "naive": result["vs_naive"]}
    rows = [["stage (walk_style_losses)", f"{seconds['stage']:.3f}", f"{rate['stage']:.1f}", "", "", ""]]
    texture_ratio = f"{seconds['texture'] / seconds['stage']:.2f}x its time"
    rows.append(
        [
            f"portilla_simoncelli ({result['texture_n_scales']} scales)",
            f"{seconds['texture']:.3f}",
            f"{rate['texture']:.1f}",
            texture_ratio,
            "",
            "",
        ]
    )
    names = {"bound": "bound: bare VGG19 forward", "naive": "naive: per-pair VGG19 + Grams"}
    for key, name in names.items():
        target = STYLE_TARGETS[key]
        rows.append(
            [
                name,
                f"{seconds[key]:.3f}",
                f"{rate[key]:.1f}",
                f"{ratios[key]:.2f}x",
                f">= {target:g}x",
                verdict(ratios[key], target),
            ]
        )
    print_table(
        f"1. Style-loss stage on {device_label(device, threads)}\n{result['n_images']} images of {image_size} px "
        f"({result['n_images'] // steps} walks x {steps} steps, {result['n_transitions']} transitions), batch "
        f"{result['batch_size']}, layers {', '.join(settings['layers'])}, random weights; "
        f"median of {size['repeats']} runs after a warm-up",
        ["variant", "seconds", "images/s", "stage speed / this", "target", ""],
        rows,
    )
    print(
        f"naive and stage agree (max relative difference of the totals {result['agreement']:.1e}); the stage's\n"
        "time beyond the bound is its Gram differences and losses, and the uint8 -> float conversion"
    )
    return [f"style loss vs {key} on {device}" for key in ratios if ratios[key] < STYLE_TARGETS[key]]


def texture_job_section(config: dict, results: Path, threads: int) -> None:
    """Figure 1b: the Portilla-Simoncelli instrument's cost in each style-loss job of a finished run."""
    if not (results / "data" / "images.npy").is_file():
        print(f"\n1b. portilla_simoncelli per style-loss job: no finished run at {results} (--run-results); skipped")
        return
    torch.set_num_threads(threads)
    result = bench_style_loss.job_seconds(results, config["style_loss"], config["seed"], torch.device("cpu"))
    chains = result["chains"]
    rows = [
        [c.chain, c.n_images, c.n_reference, f"{c.build_s:.2f}", f"{c.reference_s:.2f}", f"{c.walks_s:.2f}",
         f"{c.total_s:.2f}"]
        for c in chains.itertuples()
    ]  # fmt: skip
    print_table(
        f"1b. portilla_simoncelli in each style-loss job of {results} ({result['image_size']} px, "
        f"{result['n_scales']} scales), CPU, {threads} threads; one timing per chain",
        ["chain", "walk images", "reference images", "model s", "reference s", "walks s", "total s"],
        rows,
    )
    print(
        f"per job: median {chains['total_s'].median():.2f} s, all {len(chains)} jobs {chains['total_s'].sum():.1f} s; "
        f"walk images/s {(chains['n_images'] / chains['walks_s']).median():.0f}"
    )


def training_section(config: dict, label: str, device, size: dict, threads: int, scale: int = 1) -> list[str]:
    """Benchmark 2 for every model of `config` on `device` (IMAGE_SIZE px images, the
    config's latent size and batch size); returns the missed targets."""
    image_size = IMAGE_SIZE
    rows, missed, first = [], [], None
    with tempfile.TemporaryDirectory(prefix="stylepath-bench-train-") as tmp:
        for name in config["models"]:
            folder = Path(tmp) / name
            folder.mkdir()
            settings = model_settings(config, name, config["seed"])
            result = bench_training.benchmark(
                settings, image_size, folder, size["train_batches"] * scale, size["repeats"], threads, device
            )
            first = first or result
            rate, ratio = result["images_per_s"], result["vs_bare"]
            rates = [f"{rate[kind]:.1f}" for kind in ("pipeline", "step", "bare")]
            rows.append([
                name, *rates, f"{result['vs_step']:.2f}x",
                f"{ratio:.2f}x", f">= {TRAINING_TARGET:g}x", verdict(ratio, TRAINING_TARGET),
                f"+{100 * result['statistics_share']:.0f}%",
            ])  # fmt: skip
            if ratio < TRAINING_TARGET:
                missed.append(f"training {name} ({label}) on {device}")
    print_table(
        f"2. Training on {device_label(device, threads)}, {label} settings\n{image_size} px, latent "
        f"{first['latent_dim']}, batch {first['batch_size']}, {first['n_images']} train images per epoch; "
        f"median of {size['repeats']} epochs after a warm-up epoch",
        [
            "model",
            "pipeline images/s",
            "own step images/s",
            "bare loop images/s",
            "pipeline / step",
            "pipeline / bare",
            "target",
            "",
            "epoch statistics",
        ],
        rows,
    )
    print(
        "own step = the model's training_step on preloaded float batches: pipeline / step is the training\n"
        "loop's overhead; step / bare what the model's algorithm adds (AAE: a discriminator and an encoder step);\n"
        "epoch statistics = the per-epoch codes of every image and their prior match, as a share of the loop"
    )
    return missed


def workflow_section(skip_default_run: bool, size: dict, cores: int) -> list[str]:
    """Benchmark 3 in a temporary copy of the workflow; returns the missed targets."""
    configfile = "tiny.yaml" if skip_default_run else "config.yaml"
    run_name = "tiny" if skip_default_run else "default"
    with tempfile.TemporaryDirectory(prefix="stylepath-bench-workflow-") as tmp:
        workdir = bench_workflow.copy_workflow(Path(tmp))
        print(f"\n(running the {run_name} workflow from clean with --cores {cores} in {workdir} ...)", flush=True)
        from_clean = bench_workflow.run_from_clean(workdir, configfile, cores)
        dry_run = bench_workflow.noop_dry_run_seconds(workdir, configfile, size["dry_runs"])
        jobs = bench_workflow.jobs_after_steps_change(workdir, configfile)
    per_rule = ", ".join(f"{rule} {count}" for rule, count in sorted(jobs.items()))
    target = "" if skip_default_run else f"<= {DEFAULT_RUN_TARGET_S:g} s"
    met = from_clean <= DEFAULT_RUN_TARGET_S
    rows = [
        [
            f"{run_name} run from clean ({configfile}, --cores {cores})",
            f"{from_clean:.1f} s",
            target,
            "" if not target else "ok" if met else f"MISSED (target {target})",
        ],
        [
            f"no-op `snakemake -n` (median of {size['dry_runs']})",
            f"{dry_run:.2f} s",
            f"<= {DRY_RUN_TARGET_S:g} s",
            "ok" if dry_run <= DRY_RUN_TARGET_S else f"MISSED (target <= {DRY_RUN_TARGET_S:g} s)",
        ],
        ["jobs re-run after interpolation.steps changes", f"{sum(jobs.values())}", "", ""],
    ]
    print_table(
        f"3. Workflow (Snakemake {bench_workflow.snakemake_version()})", ["figure", "value", "target", ""], rows
    )
    print(f"re-run jobs per rule: {per_rule}")
    missed = [] if dry_run <= DRY_RUN_TARGET_S else [f"no-op dry run ({dry_run:.2f} s)"]
    return missed + ([f"default run from clean ({from_clean:.0f} s)"] if target and not met else [])


def device_label(device, threads: int) -> str:
    device = torch.device(device)
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    return f"CPU ({threads} threads)"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else the platform's machine type."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main(argv=None) -> None:
    args = parse_args(argv)
    size = sizes(args.quick)
    config = load_config(REPO / "config.yaml")
    start = time.perf_counter()
    print(f"stylepath benchmarks{' (--quick)' if args.quick else ''}")
    print(
        f"machine: {os.cpu_count()} CPU cores ({cpu_model()}); python {platform.python_version()}, "
        f"torch {torch.__version__}; load average {load_average()}"
    )
    missed = []
    cpu = torch.device("cpu")
    with environment(STYLEPATH_DEVICE="cpu"):
        missed += style_loss_section(config, cpu, size, args.threads)
        texture_job_section(config, args.run_results, args.threads)
        missed += training_section(config, "config.yaml", cpu, size, args.threads)

    missed += workflow_section(args.skip_default_run, size, args.cores)

    if torch.cuda.is_available():
        print("\n4. GPU: the figures above on CUDA (8x the work), then config/study.yaml's training")
        cuda = torch.device("cuda")
        study = load_config(REPO / "config.yaml", REPO / "config" / "study.yaml")  # as the workflow layers them
        missed += style_loss_section(config, cuda, size, args.threads, scale=8)
        missed += training_section(config, "config.yaml", cuda, size, args.threads, scale=8)
        missed += training_section(study, "config/study.yaml", cuda, size, args.threads, scale=8)
    else:
        print("\n4. GPU: no CUDA device available on this machine; the GPU figures were skipped.")
    print(f"\nload average at the end: {load_average()}; total {time.perf_counter() - start:.0f} s")
    if missed:
        print("targets missed: " + "; ".join(missed))
    else:
        print("all targets met")


if __name__ == "__main__":
    sys.exit(main())
