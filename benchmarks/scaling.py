"""How each stage's time and peak memory grow with the number of images, the image size and the
number of walks; fitted exponents, a table, a JSON of the measurements and a log-log figure.

    python benchmarks/scaling.py [--quick] [--out benchmarks/scaling_results.json] [--figure docs/scaling.png]
        [--stop-at HH:MM] [--only images,image_size,walks,threads] [--refit ROWS.json ...]

--stop-at starts no run after that UTC time and summarises what ran; every run's row is saved as it
ends (--rows), so --refit can summarise, or merge, saved runs without measuring again.

Every measurement is one child process (`python benchmarks/scaling.py --child SPEC`) running one
stage on generated inputs with config/study.yaml's settings (over config.yaml and the schema's
defaults), except: synthetic paintings (`dataset.synthetic.n_per_style`), random VGG19 weights (the
same network and cost as imagenet's, nothing downloaded), ONE training epoch per model (the study's
cost is the measured per-epoch cost times its epochs, its statistics counted only in the epochs
`eval_every` evaluates: their share of the epoch is recorded, `eval_s`) and no AAE warm-up (timed on its own, per
step). Stages run through one adapter each (`STAGES`): the real command's `main` (prepare-data,
train, encode, analyse, select-pairs, patterns) or the stage's own functions (interpolate:
decode_trajectories; style loss: instruments.measure with one instrument at a time), so a renamed
command needs one edit. A chain's stages downstream of training run on the AAE's codes.

Per run: `wall_s`, the child's wall clock (interpreter start, imports, work); `work_s`, the adapter's
call alone, after the command's module is imported (lazy imports inside it count); `peak_mb`, the
child's max RSS (os.wait4, per child) and `import_mb` its RSS before the work; `output_bytes`, what
the stage wrote. Training: `epoch_s` (an epoch's minibatch loop plus its statistics, from the
history). One torch thread for every stage (the rules' threads but training's); the `threads` axis
repeats training (AE) and both instruments at 1 and 2 threads, alternated twice, the best of each counting.

Axes (full; --quick in brackets), the other two held at the base point (400 images, 32 px, 2 pairs
per criterion = 44 walks; quick: 100 images, only the AE and the AAE trained, 100 bootstraps):
    images      400, 4,000, 24,000 synthetic images at 32 px     [100, 400]
    image_size  32, 64, 128 px at 400 images                     [32, 64 at 100 images]
    walks       pairs.n_per_criterion 2, 8, 25 (44, 176, 550)    [1, 2]
    encoder_input  training.shared.encoder_input image and image_and_high_pass at the base point,
                every model, alternated twice, the best of each counting (the ratio of their epochs;
                `stylepath estimate` applies it to a config that sets image_and_high_pass)
The exponent k of each curve is the slope of log(seconds) on log(axis value) (numpy polyfit;
training: epoch_s, every other stage: work_s).
Quote the machine-speed reference (recorded in the JSON) beside every wall time.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
MACHINE_SPEED = REPO.parent / "shared" / "tools" / "machine-speed"
MODELS = ("ae", "vae", "beta_vae", "aae", "tvae")
CHAIN_MODEL = "aae"  # the chain whose codes feed the stages after training
INSTRUMENTS = ("gatys", "portilla_simoncelli")
N_STYLES = 4
WALKS_PER_N = 22  # walks per pairs.n_per_criterion with 4 styles and every criterion (1+1+6+1+1+6+6)
AXES = {
    "full": {"images": [400, 4000, 24000], "image_size": [32, 64, 128], "walks": [2, 8, 25]},
    "quick": {"images": [100, 400], "image_size": [32, 64], "walks": [1, 2]},
}
BASE = {"full": {"images": 400, "image_size": 32, "walks": 2}, "quick": {"images": 100, "image_size": 32, "walks": 1}}
QUICK_MODELS = ("ae", "aae")  # --quick trains only these (so `stylepath estimate` needs a full run's file)
QUICK_BOOTSTRAP = 100  # --quick: analysis.clustering.n_bootstrap (the study's 1000 otherwise)
WARM_UP_STEPS = 200  # AAE warm-up steps of the run that times one step
THREAD_REPEATS = 2  # runs at each thread count (1, 2, 1, 2): the best of them counts
ENCODER_INPUT_MODELS = MODELS  # trained with each encoder input (the AAE encodes three times a step)
CORES = 2


# ----------------------------------------------------------------------------- settings


def study_config() -> dict:
    """config/study.yaml over config.yaml, with the schema's defaults (as the workflow reads it)."""
    from stylepath.config import load_config

    return load_config(REPO / "config.yaml", REPO / "config" / "study.yaml")


def point_config(config: dict, n_images: int, image_size: int, n_per_criterion: int) -> dict:
    """The study's config at one point: synthetic data of n_images, 1 epoch, random VGG19
    (config as study_config gives it, with --quick's smaller bootstrap)."""
    config = json.loads(json.dumps(config))
    config["dataset"].update(source="synthetic", image_size=image_size, max_per_style=None)
    config["dataset"]["synthetic"] = {"n_per_style": n_images // N_STYLES}
    for model in MODELS:
        config["training"][model]["epochs"] = 1
    config["training"]["aae"]["warm_up_steps"] = 0
    config["pairs"]["n_per_criterion"] = n_per_criterion
    config["style_loss"]["weights"] = "random"
    return config


def train_threads(config: dict) -> int:
    """Threads of the measured training runs: 1, as every other stage's, since on a 2-core machine
    shared with other work two torch threads measure the contention more than the code (the 1 -> 2
    thread speed-up is measured on its own, the `threads` axis)."""
    return 1


# ----------------------------------------------------------------------------- stage adapters (run in the child)


def run_command(command: str, settings: dict, files: dict, threads: int) -> None:
    """`stylepath <command>` itself (its module's main), files by key."""
    from stylepath import cli

    argv = [command, "--settings", json.dumps(settings), "--threads", str(threads)]
    for key, path in files.items():
        argv += [cli.flag(key), str(path)]
    cli.main(argv)


def interpolate_stage(settings: dict, files: dict, threads: int) -> None:
    """Decoded walks: stylepath.interpolate.decode_trajectories on the chain's model and pairs."""
    from stylepath.interpolate import decode_trajectories
    from stylepath.latents import read_latents
    from stylepath.models import load_model
    from stylepath.runtime import select_device, set_threads

    set_threads(threads)
    device = select_device()
    frame, z = read_latents(files["latents"])
    model = load_model(files["model"], device)
    images, index = decode_trajectories(
        model, pd.read_parquet(files["pairs"]), dict(zip(frame["image_id"], z)), settings["interpolation"], device
    )
    np.save(files["images"], images)
    index.to_parquet(files["index"])


def style_loss_stage(settings: dict, files: dict, threads: int) -> None:
    """One instrument (settings['instrument']) on the walks: stylepath.instruments.measure."""
    from stylepath.instruments import measure
    from stylepath.runtime import seed_everything, select_device, set_threads

    seed_everything(settings["seed"])
    set_threads(threads)
    block = {**settings["style_loss"], "instruments": [settings["instrument"]]}
    images = np.load(files["images"], mmap_mode="r")
    data_images = np.load(files["data_images"], mmap_mode="r")
    table, _ = measure(block, settings["seed"], images, pd.read_parquet(files["index"]), data_images, select_device())
    table.insert(0, "model", CHAIN_MODEL)
    table.insert(1, "replicate", 0)
    table.to_parquet(files["style_loss"])


STAGES = {  # stage -> (adapter(settings, files, threads), module imported before the clock starts)
    "prepare_data": (lambda s, f, t: run_command("prepare-data", s, f, t), "stylepath.data.prepare_data"),
    "train": (lambda s, f, t: run_command("train", s, f, t), "stylepath.train"),
    "encode": (lambda s, f, t: run_command("encode", s, f, t), "stylepath.encode"),
    "analyse": (lambda s, f, t: run_command("analyse", s, f, t), "stylepath.analyse"),
    "select_pairs": (lambda s, f, t: run_command("select-pairs", s, f, t), "stylepath.select_pairs"),
    "interpolate": (interpolate_stage, "stylepath.interpolate"),
    "style_loss": (style_loss_stage, "stylepath.instruments"),
    "patterns": (lambda s, f, t: run_command("patterns", s, f, t), "stylepath.patterns"),
}


def child(spec_path: str) -> None:
    """Run one stage as SPEC (JSON: stage, settings, files, threads, result) says; write work_s
    and import_mb (MB of RSS before the work) to spec['result']."""
    import importlib
    import resource

    spec = json.loads(Path(spec_path).read_text())
    adapter, module = STAGES[spec["stage"]]
    importlib.import_module(module)
    import_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    adapter(spec["settings"], spec["files"], spec["threads"])
    work_s = time.perf_counter() - start
    Path(spec["result"]).write_text(json.dumps({"work_s": work_s, "import_mb": import_mb}))


# ----------------------------------------------------------------------------- the parent


def measure_child(stage: str, settings: dict, files: dict, threads: int, folder: Path, label: str) -> dict:
    """Run `stage` in a child; wall_s, work_s, peak_mb (the child's max RSS), import_mb, output_bytes."""
    spec = {"stage": stage, "settings": settings, "files": {k: str(v) for k, v in files.items()}, "threads": threads}
    spec["result"] = str(folder / f"{label}.result.json")
    spec_path = folder / f"{label}.spec.json"
    spec_path.write_text(json.dumps(spec))
    env = {**os.environ, "STYLEPATH_DEVICE": "cpu"}
    with open(folder / f"{label}.log", "w") as log:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, __file__, "--child", str(spec_path)], stdout=log, stderr=log, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{label} failed: see {folder / (label + '.log')}")
    result = json.loads(Path(spec["result"]).read_text())
    outputs = [Path(path) for key, path in spec["files"].items() if key in OUTPUT_KEYS[stage]]
    size = sum(path.stat().st_size for path in outputs if path.is_file())
    return {"wall_s": wall, "peak_mb": usage.ru_maxrss / 1024, **result, "output_bytes": size, "threads": threads}


OUTPUT_KEYS = {
    "prepare_data": ("images", "metadata", "report"),
    "train": ("model", "history"),
    "encode": ("latents",),
    "analyse": ("pca", "projections", "shape", "scores", "labels", "diagnostics", "grouping"),
    "select_pairs": ("pairs",),
    "interpolate": ("images", "index"),
    "style_loss": ("style_loss",),
    "patterns": ("walks", "curves"),
}
ANALYSE_FILES = ("pca", "projections", "shape", "scores", "labels", "diagnostics", "grouping")


class Deadline(Exception):
    """The --stop-at time has passed: no further stage is started."""


class Runner:
    """Runs the stages of each point once (points share their upstream files) and keeps the rows,
    saved to `rows_path` after each one (so that `--refit` can summarise an interrupted run)."""

    def __init__(self, config: dict, root: Path, models, rows_path: Path, meta: dict, stop_at: datetime | None):
        self.config, self.root, self.models, self.rows_path, self.stop_at = config, root, models, rows_path, stop_at
        self.meta, self.rows, self.done = meta, [], {}

    def record(self, stage, model, point, axis, measured, extra=None):
        n_images, image_size, n_per_criterion = point
        row = {"stage": stage, "model": model, "axis": axis, "n_images": n_images, "image_size": image_size}
        row |= {"n_per_criterion": n_per_criterion, "walks": WALKS_PER_N * n_per_criterion, **measured, **(extra or {})}
        self.rows.append(row)
        self.rows_path.write_text(json.dumps({"meta": self.meta, "rows": self.rows}, indent=1))
        label = f"{stage}{':' + model if model else ''}"
        print(f"  {label:22} {n_images:6d} img {image_size:4d} px {row['walks']:4d} walks "
              f"{measured['work_s']:8.2f} s work {measured['wall_s']:8.2f} s wall {measured['peak_mb']:7.0f} MB",
              flush=True)  # fmt: skip

    def once(self, key, function):
        """function() once per key (a stage already run for this point is reused)."""
        if key not in self.done:
            if self.stop_at and datetime.now(UTC) > self.stop_at:
                raise Deadline(f"--stop-at {self.stop_at:%H:%M} UTC passed before {key}")
            self.done[key] = function()
        return self.done[key]

    def data(self, n_images, image_size, axis):
        folder = self.root / f"data_{n_images}_{image_size}"

        def run():
            folder.mkdir(parents=True, exist_ok=True)
            config = point_config(self.config, n_images, image_size, 1)
            files = {"images": folder / "images.npy", "metadata": folder / "metadata.parquet"}
            files["report"] = folder / "report.json"
            settings = {"dataset": config["dataset"], "seed": config["seed"]}
            measured = measure_child("prepare_data", settings, files, 1, folder, "prepare_data")
            self.record("prepare_data", None, (n_images, image_size, 0), axis, measured)
            return files

        return self.once(("data", n_images, image_size), run)

    def train(self, n_images, image_size, model, axis, threads=None, warm_up_steps=0, repeat=0, encoder_input=None):
        data = self.data(n_images, image_size, axis)
        name = f"{model}_t{threads}_w{warm_up_steps}_r{repeat}_e{encoder_input}"
        folder = self.root / f"data_{n_images}_{image_size}" / name

        def run():
            from stylepath.config import model_settings

            folder.mkdir(parents=True, exist_ok=True)
            config = point_config(self.config, n_images, image_size, 1)
            settings = model_settings(config, model, 0)
            if model == "aae":
                settings["warm_up_steps"] = warm_up_steps
            if encoder_input:
                settings["encoder_input"] = encoder_input
            files = {"images": data["images"], "metadata": data["metadata"], "checkpoint": folder / "checkpoint.pt"}
            files |= {"model": folder / "model.pt", "history": folder / "history.csv"}
            used = threads or train_threads(config)
            measured = measure_child("train", settings, files, used, folder, "train")
            epoch = pd.read_csv(files["history"]).iloc[0]
            extra = {"epoch_s": float(epoch["seconds"] + epoch["eval_seconds"]), "warm_up_steps": warm_up_steps}
            extra |= {"encoder_input": settings["encoder_input"], "eval_s": float(epoch["eval_seconds"])}
            extra["batches_per_epoch"] = int(
                np.ceil((n_images - n_images * config["dataset"]["val_fraction"]) / settings["batch_size"])
            )
            self.record("train", model, (n_images, image_size, 0), axis, measured, extra)
            return files

        return self.once(("train", n_images, image_size, model, threads, warm_up_steps, repeat, encoder_input), run)

    def chain_stage(self, stage, point, axis, settings, files, threads=1, tag=""):
        folder = self.root / "chains" / "_".join(map(str, point))
        folder.mkdir(parents=True, exist_ok=True)
        label = stage + tag

        def run():
            measured = measure_child(stage, settings, files, threads, folder, label)
            self.record(label.split("@")[0], settings.get("instrument"), point, axis, measured)
            return files

        return self.once((label, *point), run)

    def chain(self, n_images, image_size, n_per_criterion, axis):
        """Train every model, then the AAE's chain: encode ... patterns."""
        point = (n_images, image_size, n_per_criterion)
        data = self.data(n_images, image_size, axis)
        for model in self.models:
            self.train(n_images, image_size, model, axis)
        trained = self.train(n_images, image_size, CHAIN_MODEL, axis)
        config = point_config(self.config, n_images, image_size, n_per_criterion)
        data_point = (n_images, image_size, 0)
        folder = self.root / "chains" / "_".join(map(str, point))
        latents = self.root / f"data_{n_images}_{image_size}" / "latents.parquet"
        encode = {"model": trained["model"], "images": data["images"], "metadata": data["metadata"], "latents": latents}
        self.chain_stage("encode", data_point, axis, {"encoding": config["encoding"]}, encode)
        analysis = {"latents": latents, "history": trained["history"]}
        analysis |= {key: latents.parent / f"analysis_{key}.out" for key in ANALYSE_FILES}
        self.chain_stage(
            "analyse", data_point, axis, {"analysis": config["analysis"], "seed": config["seed"]}, analysis
        )
        pairs = {"latents": latents, "pairs": folder / "pairs.parquet"}
        self.chain_stage("select_pairs", point, axis, {"pairs": config["pairs"], "seed": config["seed"]}, pairs)
        walks = {"model": trained["model"], "latents": latents, "pairs": pairs["pairs"]}
        walks |= {"images": folder / "walks.npy", "index": folder / "index.parquet"}
        self.chain_stage("interpolate", point, axis, {"interpolation": config["interpolation"]}, walks)
        tables = []
        for instrument in INSTRUMENTS:
            files = {"images": walks["images"], "index": walks["index"], "data_images": data["images"]}
            files["style_loss"] = folder / f"style_loss_{instrument}.parquet"
            settings = {"style_loss": config["style_loss"], "seed": config["seed"], "instrument": instrument}
            self.chain_stage("style_loss", point, axis, settings, files, tag=f"@{instrument}")
            tables.append(pd.read_parquet(files["style_loss"]))
        losses = folder / "style_loss.parquet"
        pd.concat(tables, ignore_index=True).to_parquet(losses)  # as the style-loss command writes it
        patterns = {"style_loss": losses, "images": walks["images"], "index": walks["index"]}
        patterns |= {"walks": folder / "walks.parquet", "curves": folder / "curves.parquet"}
        self.chain_stage(
            "patterns", point, axis, {"patterns": config["patterns"], "style_loss": config["style_loss"]}, patterns
        )
        return walks, data

    def encoder_input_axis(self, n_images, image_size, repeats=THREAD_REPEATS):
        """One epoch of each of ENCODER_INPUT_MODELS with each encoder input, alternated `repeats` times."""
        from stylepath.models.backbone import ENCODER_INPUTS

        for repeat in range(repeats):
            for model in ENCODER_INPUT_MODELS:
                for encoder_input in ENCODER_INPUTS:
                    self.train(n_images, image_size, model, "encoder_input", repeat=repeat, encoder_input=encoder_input)

    def threads_axis(self, train_point, walks_point, repeats=THREAD_REPEATS):
        """Training (AE) and both instruments at 1 and 2 threads, alternated `repeats` times."""
        n_images, image_size, _ = train_point
        walks, data = self.chain(*walks_point, axis="walks")
        config = point_config(self.config, *walks_point)
        for repeat in range(repeats):
            for threads in (1, 2):
                self.train(n_images, image_size, "ae", "threads", threads=threads, repeat=repeat)
            for instrument in INSTRUMENTS:
                for threads in (1, 2):
                    files = {"images": walks["images"], "index": walks["index"], "data_images": data["images"]}
                    files["style_loss"] = self.root / f"threads_{instrument}_{threads}.parquet"
                    settings = {"style_loss": config["style_loss"], "seed": config["seed"], "instrument": instrument}
                    tag = f"@{instrument}@t{threads}@r{repeat}"
                    self.chain_stage("style_loss", walks_point, "threads", settings, files, threads, tag)


# ----------------------------------------------------------------------------- fits, table, figure


def series_name(row) -> str:
    return f"{row['stage']}:{row['model']}" if isinstance(row["model"], str) else row["stage"]


def seconds_of(row) -> float:
    """The per-unit cost a curve follows: an epoch for training, the work for every other stage."""
    return row["epoch_s"] if row["stage"] == "train" else row["work_s"]


AXIS_COLUMN = {"images": "n_images", "image_size": "image_size", "walks": "walks"}


def fits(rows: pd.DataFrame, axes: dict, base: dict) -> list[dict]:
    """One curve per (series, axis): the sizes, seconds, peak MB, output bytes and the exponents
    of seconds, of the work's memory (peak - import) and of the output bytes."""
    curves = []
    for axis in axes:
        column, base_point = AXIS_COLUMN[axis], dict(base)
        for name, group in rows.assign(series=rows.apply(series_name, axis=1)).groupby("series", sort=False):
            group = group[on_axis(group, axis, base_point)].drop_duplicates(column).sort_values(column)
            if group[column].nunique() < 2:
                continue
            x = group[column].to_numpy(float)
            seconds = group.apply(seconds_of, axis=1).to_numpy(float)
            memory = np.maximum(group["peak_mb"] - group["import_mb"], 1.0).to_numpy(float)
            curve = {"series": name, "axis": axis, "sizes": x.tolist(), "seconds": seconds.tolist()}
            curve |= {"peak_mb": group["peak_mb"].tolist(), "import_mb": group["import_mb"].tolist()}
            curve |= {"wall_s": group["wall_s"].tolist(), "output_bytes": group["output_bytes"].tolist()}
            curve["exponent"], curve["intercept"] = np.polyfit(np.log(x), np.log(seconds), 1).tolist()
            curve["memory_exponent"] = slope(x, memory)
            curve["bytes_exponent"] = slope(x, np.maximum(group["output_bytes"].to_numpy(float), 1.0))
            curves.append(curve)
    return curves


def on_axis(group: pd.DataFrame, axis: str, base: dict) -> pd.Series:
    """Rows of `group` on `axis`: the other two quantities at the base point, or 0 where a stage
    has none (prepare-data ... analyse have no walks); the threads and warm-up runs left out."""
    keep = ~group["axis"].isin(["threads", "warm_up", "encoder_input"])
    for other in set(AXIS_COLUMN) - {axis}:
        value = base[other] * WALKS_PER_N if other == "walks" else base[other]
        keep &= group[AXIS_COLUMN[other]].isin([value, 0])
    return keep


AXES_NAMES = ("images", "image_size", "walks")


def slope(x, y) -> float:
    """k of y ∝ x^k: the slope of log y on log x (numpy polyfit)."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def thread_speedups(rows: pd.DataFrame) -> dict:
    """Seconds at 1 thread over seconds at 2 (the best of the repeats of each), per measured series
    (train:ae, style_loss:<instrument>)."""
    speedups = {}
    threads = rows[rows["axis"] == "threads"]
    for name, group in threads.assign(series=threads.apply(series_name, axis=1)).groupby("series"):
        by = {}
        for t, row in zip(group["threads"], group.to_dict("records")):
            by[int(t)] = min(by.get(int(t), np.inf), seconds_of(row))
        if {1, 2} <= set(by):
            speedups[name] = {"seconds_1": by[1], "seconds_2": by[2], "speedup_2": by[1] / by[2]}
    return speedups


def encoder_input_ratios(rows: pd.DataFrame) -> dict:
    """{model: {encoder input: its best epoch seconds / the best with `image`}} of the encoder_input runs."""
    runs = rows[(rows["axis"] == "encoder_input") & (rows["stage"] == "train")]
    best = runs.assign(epoch=runs.apply(seconds_of, axis=1)).groupby(["model", "encoder_input"])["epoch"].min()
    return {
        model: {given: float(seconds / of_model["image"]) for given, seconds in of_model.items()}
        for model, of_model in ((m, best[m]) for m in best.index.get_level_values(0).unique())
        if "image" in of_model
    }


def eval_shares(rows: pd.DataFrame) -> dict:
    """{model: the share of a measured epoch (its one epoch is evaluated) that the evaluation takes}
    at the base point, image input, from the runs that recorded it (the fastest of them)."""
    if "eval_s" not in rows:
        return {}
    runs = rows[(rows["stage"] == "train") & rows["eval_s"].notna() & (rows["encoder_input"] == "image")]
    runs = runs[runs["axis"].isin(["images", "encoder_input"]) & (runs["n_images"] == runs["n_images"].min())]
    fastest = runs.loc[runs.groupby("model")["epoch_s"].idxmin()]
    return {row.model: float(row.eval_s / row.epoch_s) for row in fastest.itertuples()}


def aae_warm_up(rows: pd.DataFrame) -> dict:
    """Seconds per AAE warm-up step: (wall with WARM_UP_STEPS - wall without) / WARM_UP_STEPS."""
    aae = rows[(rows["stage"] == "train") & (rows["model"] == "aae") & (rows["axis"].isin(["warm_up", "images"]))]
    on = aae[aae["warm_up_steps"] > 0].iloc[0]
    off = aae[
        (aae["warm_up_steps"] == 0) & (aae["n_images"] == on["n_images"]) & (aae["image_size"] == on["image_size"])
    ].iloc[0]
    per_step = max(on["work_s"] - off["work_s"], 0.0) / on["warm_up_steps"]
    return {"seconds_per_step": per_step, "image_size": int(on["image_size"]), "batch_size": None}


def print_table(curves: list[dict]) -> None:
    print(f"\n{'stage':28} {'axis':10} {'sizes':>22} {'seconds':>30} {'peak MB':>22} {'k':>5}")
    for curve in curves:
        sizes = "/".join(f"{s:g}" for s in curve["sizes"])
        seconds = "/".join(f"{s:.2f}" for s in curve["seconds"])
        peak = "/".join(f"{m:.0f}" for m in curve["peak_mb"])
        print(f"{curve['series']:28} {curve['axis']:10} {sizes:>22} {seconds:>30} {peak:>22} {curve['exponent']:5.2f}")


def plot(curves: list[dict], path: Path, note: str) -> None:
    """One log-log panel per axis, a line per stage (one colour per stage in every panel), its
    exponent in the legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    names = list(dict.fromkeys(c["series"] for c in curves))
    colours = dict(zip(names, plt.get_cmap("tab10").colors + plt.get_cmap("Dark2").colors))
    axes_names = [axis for axis in AXES_NAMES if any(c["axis"] == axis for c in curves)]
    figure, panels = plt.subplots(1, len(axes_names), figsize=(5.4 * len(axes_names), 5.0), squeeze=False)
    labels = {"images": "images in the data set", "image_size": "image side (px)", "walks": "walks per chain"}
    for panel, axis in zip(panels[0], axes_names):
        for curve in (c for c in curves if c["axis"] == axis):
            label = f"{curve['series']} (k={curve['exponent']:.2f})"
            panel.loglog(curve["sizes"], curve["seconds"], "o-", color=colours[curve["series"]], label=label)
        sizes = sorted({x for c in curves if c["axis"] == axis for x in c["sizes"]})
        panel.set_xticks(sizes)
        panel.xaxis.set_major_formatter(ScalarFormatter())
        panel.xaxis.set_minor_formatter(NullFormatter())
        panel.yaxis.set_major_formatter(ScalarFormatter())
        panel.yaxis.set_minor_formatter(NullFormatter())
        panel.set_xlabel(labels[axis])
        panel.set_ylabel("seconds (train: one epoch; other stages: one job's work)")
        panel.legend(fontsize=6.5, loc="upper left")
        panel.grid(True, which="both", alpha=0.3)
    figure.suptitle(note, fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


# ----------------------------------------------------------------------------- study scale


def dominant_stage(config: dict, results: dict) -> list[tuple[str, float]]:
    """(stage, predicted job-seconds of the whole study on this machine), largest first (stylepath.estimate)."""
    from stylepath.estimate import predict

    by_rule = {}
    for stage in predict(config, results)["stages"]:
        by_rule[stage["stage"]] = by_rule.get(stage["stage"], 0.0) + stage["job_seconds"]
    return sorted(by_rule.items(), key=lambda item: -item[1])


def machine_speed() -> str:
    """The machine-speed reference seconds (last line of shared/tools/machine-speed), or 'not available'."""
    if not MACHINE_SPEED.is_file():
        return "not available"
    result = subprocess.run([str(MACHINE_SPEED), sys.executable], capture_output=True, text=True)
    lines = result.stdout.strip().splitlines()
    return lines[-1].strip() if result.returncode == 0 and lines else "not available"


ONLY = ("images", "image_size", "walks", "threads", "encoder_input")  # --only's choices (threads: + the AAE warm-up)


def merged(paths) -> tuple[list[dict], dict]:
    """(rows, meta) of saved runs (--rows files): the rows of all, the first's meta with the total
    wall time of all and each part's start, reference and load."""
    saved = [json.loads(Path(path).read_text()) for path in paths]
    rows = [row for part in saved for row in part["rows"]]
    meta = dict(saved[0]["meta"])
    if len(saved) > 1:
        meta["parts"] = [part["meta"] for part in saved]
        meta["total_wall_s"] = sum(part["meta"].get("total_wall_s", 0.0) for part in saved)
    return rows, meta


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, AE and AAE only (a few minutes)")
    parser.add_argument("--out", type=Path, default=None, help="JSON of the measurements and fits")
    parser.add_argument("--figure", type=Path, default=None, help="log-log figure (PNG)")
    parser.add_argument(
        "--work", type=Path, default=None, help="folder for the generated files (default: a temporary one)"
    )
    parser.add_argument(
        "--rows", type=Path, default=None, help="rows saved after each run (default: in the temporary folder)"
    )
    parser.add_argument(
        "--refit", type=Path, nargs="+", help="summarise these saved rows (merged) instead of measuring"
    )
    parser.add_argument("--only", default=",".join(ONLY), help=f"comma-separated subset of {','.join(ONLY)}")
    parser.add_argument("--stop-at", default=None, help="HH:MM UTC: start no stage after it, summarise what ran")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (other work on the machine slows every figure)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def stop_time(text: str | None) -> datetime | None:
    if not text:
        return None
    hour, minute = map(int, text.split(":"))
    return datetime.now(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)


def measure_all(config: dict, mode: str, rows_path: Path, meta: dict, work, stop_at, only) -> tuple[list[dict], str]:
    """Every run of `mode` on the axes `only`, in order of importance; returns (rows, '' or why it
    stopped early)."""
    axes, base = AXES[mode], BASE[mode]
    models = QUICK_MODELS if mode == "quick" else MODELS
    if mode == "quick":
        config["analysis"]["clustering"]["n_bootstrap"] = QUICK_BOOTSTRAP
    with tempfile.TemporaryDirectory(dir=work) as folder:
        runner = Runner(config, Path(folder), models, rows_path, meta, stop_at)
        try:
            if "images" in only:
                for n_images in axes["images"]:
                    print(f"images axis: {n_images}", flush=True)
                    runner.chain(n_images, base["image_size"], base["walks"], "images")
            if "image_size" in only:
                for size in axes["image_size"][:2]:  # the study's 64 px before 128
                    print(f"image_size axis: {size} px", flush=True)
                    runner.chain(base["images"], size, base["walks"], "image_size")
            if "walks" in only:
                for n in axes["walks"]:
                    print(f"walks axis: {n} per criterion", flush=True)
                    runner.chain(base["images"], base["image_size"], n, "walks")
            if "threads" in only:
                print("threads and AAE warm-up", flush=True)
                train_point = (axes["images"][1], base["image_size"], 0)
                runner.threads_axis(train_point, (base["images"], base["image_size"], axes["walks"][1]))
                runner.train(base["images"], base["image_size"], "aae", "warm_up", warm_up_steps=WARM_UP_STEPS)
            if "encoder_input" in only and mode == "full":
                print("encoder input", flush=True)
                runner.encoder_input_axis(base["images"], base["image_size"])
            if "image_size" in only:
                for size in axes["image_size"][2:]:
                    print(f"image_size axis: {size} px", flush=True)
                    runner.chain(base["images"], size, base["walks"], "image_size")
        except Deadline as stopped:
            print(f"stopped early: {stopped}", flush=True)
            return runner.rows, str(stopped)
    return runner.rows, ""


def summarise(config: dict, rows: list[dict], meta: dict, out: Path, figure: Path) -> None:
    """Fits, the table, the study's dominant stage, the JSON and the figure."""
    from stylepath.config import model_settings

    mode, rows = meta["mode"], pd.DataFrame(rows)
    curves = fits(rows, AXES[mode], BASE[mode])
    results = meta | {
        "cpu_cores": os.cpu_count(),
        "torch_threads": {"train": train_threads(config), "other stages": 1},
        "base": BASE[mode],
        "models": sorted(rows.loc[rows["stage"] == "train", "model"].unique().tolist()),
        "note": "1 training epoch per model (per-epoch cost; the study's = epochs x it); AAE warm-up timed on its "
        "own; synthetic paintings; random VGG19 weights (imagenet's cost the same); study.yaml's other settings",
        "walks_per_n_per_criterion": WALKS_PER_N,
        "speedups": thread_speedups(rows),
        "curves": curves,
        "rows": json.loads(rows.to_json(orient="records")),
    }
    if (rows["axis"] == "encoder_input").any():
        results["encoder_input"] = encoder_input_ratios(rows)
    results["eval_share"] = eval_shares(rows)
    if (rows["axis"] == "warm_up").any():
        results["warm_up"] = aae_warm_up(rows) | {"batch_size": int(model_settings(config, "aae", 0)["batch_size"])}
    print_table(curves)
    if mode == "full":
        ranking = dominant_stage(config, results)
        results["study_job_seconds"] = dict(ranking)  # by rule
        share = ranking[0][1] / sum(seconds for _, seconds in ranking)
        others = ", ".join(f"{stage} {seconds:.3g} s" for stage, seconds in ranking[1:4])
        print(f"\nAt study scale (config/study.yaml, job-seconds on this machine): {ranking[0][0]} dominates "
              f"({share:.0%}, {ranking[0][1]:.3g} s); then {others}")  # fmt: skip
    speedups = ", ".join(f"{k} {v['speedup_2']:.2f}x" for k, v in results["speedups"].items())
    print(f"1 -> 2 threads: {speedups or 'not measured'}")
    for model, ratios in results.get("encoder_input", {}).items():
        ratio = ratios.get("image_and_high_pass", float("nan"))
        print(f"{model} epoch with image_and_high_pass / with image: {ratio:.3f}")
    for model, share in results["eval_share"].items():
        print(f"{model}: the epoch's statistics take {share:.0%} of an evaluated epoch")
    if "warm_up" in results:
        print(f"AAE warm-up: {results['warm_up']['seconds_per_step'] * 1000:.1f} ms per step")
    reference = meta["machine_speed_reference_s"]
    note = (f"{mode} run {meta['started_utc'][:16]} UTC, {os.cpu_count()} CPU cores, machine-speed reference "
            f"{reference} s; train: s per epoch (1 measured), other stages: s per job")  # fmt: skip
    plot(curves, figure, note)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {out} and {figure}")


def main() -> None:
    args = parse_args()
    if args.child:
        return child(args.child)
    mode = "quick" if args.quick else "full"
    out = args.out or REPO / "benchmarks" / ("scaling_results_quick.json" if args.quick else "scaling_results.json")
    figure = args.figure or REPO / "docs" / ("scaling_quick.png" if args.quick else "scaling.png")
    rows_path = args.rows or Path(tempfile.gettempdir()) / f"stylepath_scaling_{mode}.rows.json"
    config = study_config()
    if args.refit:
        return summarise(config, *merged(args.refit), out, figure)
    started, clock = datetime.now(UTC), time.perf_counter()
    reference = machine_speed()
    print(f"{mode} scaling benchmark, started {started:%Y-%m-%d %H:%M:%S} UTC; machine-speed reference: {reference} s; "
          f"load average {load_average()}", flush=True)  # fmt: skip
    meta = {"mode": mode, "started_utc": started.isoformat(timespec="seconds"), "machine_speed_reference_s": reference}
    meta["load_average_start"] = load_average()
    only = args.only.split(",")
    rows, stopped = measure_all(study_config(), mode, rows_path, meta, args.work, stop_time(args.stop_at), only)
    meta |= {"stopped_early": stopped, "total_wall_s": time.perf_counter() - clock, "load_average_end": load_average()}
    rows_path.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    summarise(config, rows, meta, out, figure)
    total = meta["total_wall_s"]
    print(f"total wall time {total:.0f} s ({total / 60:.1f} min) with a machine-speed reference of {reference} s; "
          f"load average {meta['load_average_end']}; ended {datetime.now(UTC):%H:%M:%S} UTC")  # fmt: skip


if __name__ == "__main__":
    main()
