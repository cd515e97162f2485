"""`stylepath estimate --configfile FILE`: what a run of the config will cost, predicted from the
measured scaling of each stage (benchmarks/scaling_results.json, written by benchmarks/scaling.py).

A user tool, not a stage: no rule runs it. The config is FILE over the working directory's
config.yaml (as `snakemake --configfile FILE` reads them) with the schema's defaults. The
measurements are read from the repository checkout (benchmarks/scaling_results.json beside
workflow/schemas/, as stylepath.config reads the schema), or from --measurements.

Per stage and job (one job per chain = model x replicate; prepare-data one job):
    seconds  start-up + work(N, P, W): the work measured at the base point times, per axis (images
             N, side P in px, walks W per chain), its measured ratio to the base at the nearest
             measured size and the fitted power law (x / x_measured)^k beyond it (separable,
             assumed); train: start-up + epochs x seconds per epoch (+ the AAE's warm-up steps),
             times the measured epoch ratio of the config's `encoder_input` to `image` (measured per
             model at the base point; assumed the same at every size); the measured epoch includes
             its statistics, which `eval_every` runs only in some epochs: their measured share of the
             epoch (per model, base point; assumed the same at every size) counts only in those.
             Threads beyond those measured (1 and 2): Amdahl's law with the parallel share that the
             1 -> 2 thread speed-up implies (assumed).
    peak MB  the child's RSS after imports + the work's memory scaled the same way.
    disk     images.npy N x P x P x 3 bytes and walk images W x steps x P x P x 3 bytes exactly
             (the 128-byte .npy header aside); other outputs' measured bytes scaled the same way.
The walks job runs the decoding and every instrument in one process (measured apart): its seconds
are the largest of their start-ups (shared: the interpreter and torch; assumed) plus the sum of
their work, its peak the largest of theirs, its disk the sum.
Wall time on a machine of C cores: stage after stage, each stage's jobs run C // threads at a time
(Snakemake's --cores C; the chains' overlap and the jobs not measured, summaries, figures,
calibration, controls, explorer, left out: assumed). The same per-core speed as the machine the
measurements were taken on (its machine-speed reference is quoted).
"""

import math
from pathlib import Path

from stylepath.config import load_config, model_settings
from stylepath.io import StylepathError, read_json

REPO = Path(__file__).resolve().parents[2]
MEASUREMENTS = REPO / "benchmarks" / "scaling_results.json"
ARTBENCH_PER_STYLE = 6000  # ArtBench-10: 5,000 train + 1,000 test images per style
MACHINES = {"2-core CPU": 2, "16-core CPU workstation": 16}
GPU_NOTE = "not measured: no GPU was available"
MEASURED_STEPS = 10  # interpolation.steps of the measurements (walk images = walks x steps)
# stage -> the axes its cost depends on (others: a factor 1), its rule's threads (None: training.threads)
STAGES = {
    "prepare_data": (("images", "image_size"), 1),
    "train": (("images", "image_size"), None),
    "encode": (("images", "image_size"), 1),
    "analyse": (("images",), 1),
    "select_pairs": (("images", "walks"), 1),
    "interpolate": (("image_size", "walks"), 1),
    "style_loss": (("images", "image_size", "walks"), 1),
    "patterns": (("image_size", "walks"), 1),
}
NOT_PREDICTED = "summaries, figures, calibrate, controls, explorer (about 15% of the default run's job seconds)"


def add_arguments(parser) -> None:
    parser.add_argument("--configfile", required=True, help="the run's config (YAML), over ./config.yaml")
    parser.add_argument("--measurements", default=str(MEASUREMENTS), help="benchmarks/scaling.py's JSON")
    parser.add_argument("--n-images", type=int, default=None, help="images in the data set (folder, wikiart)")


# ----------------------------------------------------------------------------- the run's sizes


def read_config(path) -> dict:
    """`path` over ./config.yaml, validated, with the schema's defaults; StylepathError if unusable."""
    path = Path(path)
    if not path.is_file():
        raise StylepathError(f"config file {path} does not exist")
    layers = [p for p in (Path("config.yaml"),) if p.is_file() and p.resolve() != path.resolve()]
    try:
        return load_config(*layers, path)
    except Exception as error:  # YAML or schema errors name the key
        raise StylepathError(f"config file {path} is not a valid stylepath config: {error}") from error


def n_images_of(config: dict, n_images: int | None = None) -> int:
    """Images in the run's data set: synthetic n_per_style, ArtBench 6,000 per style, each capped
    by max_per_style; folder and wikiart need `n_images` (they cannot be known before listing)."""
    dataset = config["dataset"]
    cap = dataset["max_per_style"] or math.inf
    styles = len(dataset["styles"])
    if n_images is not None:
        return int(n_images)
    if dataset["source"] == "synthetic":
        return styles * int(min(dataset["synthetic"]["n_per_style"], cap))
    if dataset["source"] == "artbench":
        return styles * int(min(ARTBENCH_PER_STYLE, cap))
    raise StylepathError(f"dataset.source {dataset['source']}: give the number of images with --n-images")


def walks_per_chain(pairs: dict, n_styles: int) -> int:
    """Walks select-pairs gives per chain when every group is large enough: n per criterion,
    n per pair of styles (or of clusters) for across_styles, class_ and cluster_centroids."""
    per_pair = ("across_styles", "class_centroids", "cluster_centroids")
    n = pairs["n_per_criterion"]
    return sum(n * n_styles * (n_styles - 1) // 2 if c in per_pair else n for c in pairs["criteria"])


def sizes(config: dict, n_images: int | None = None) -> tuple[dict, dict]:
    """({images, image_size, walks}: the axes the costs scale with, {steps, chains})."""
    walks = walks_per_chain(config["pairs"], len(config["dataset"]["styles"]))
    at = {"images": n_images_of(config, n_images), "image_size": config["dataset"]["image_size"], "walks": walks}
    chains = len(config["models"]) * len(config["replicates"])
    return at, {"steps": config["interpolation"]["steps"], "chains": chains}


# ----------------------------------------------------------------------------- scaling


def curve_of(results: dict, series: str, axis: str) -> dict | None:
    return next((c for c in results["curves"] if c["series"] == series and c["axis"] == axis), None)


def base_size(results: dict, axis: str) -> float:
    """The base point's size along `axis` (walks: per chain, from the base's n_per_criterion)."""
    return results["base"][axis] * (results["walks_per_n_per_criterion"] if axis == "walks" else 1)


def base_value(results: dict, series: str, key: str) -> float:
    """`key` of `series` at the base point (from any of its curves holding it)."""
    for curve in (c for c in results["curves"] if c["series"] == series):
        x0 = base_size(results, curve["axis"])
        if x0 in curve["sizes"]:
            return curve[key][curve["sizes"].index(x0)]
    raise StylepathError(f"{series} has no measurement at the base point in the scaling results")


def axis_factor(results: dict, series: str, axis: str, x: float, key: str, exponent: str) -> tuple[float, bool]:
    """(value(x) / value(base), within the measured sizes) along `axis`: the measured ratio at the
    nearest measured size, times (x / that size)^k beyond it."""
    curve = curve_of(results, series, axis)
    if curve is None:
        return 1.0, True
    x0 = base_size(results, axis)
    values = [v if key == "seconds" else max(v, 1.0) for v in measured_values(curve, key)]
    nearest = min(range(len(curve["sizes"])), key=lambda i: abs(math.log(curve["sizes"][i] / x)))
    ratio = values[nearest] / values[curve["sizes"].index(x0)]
    inside = min(curve["sizes"]) <= x <= max(curve["sizes"])
    return ratio * (x / curve["sizes"][nearest]) ** curve[exponent], inside


def measured_values(curve: dict, key: str) -> list[float]:
    """The curve's per-size values of seconds, the work's memory (peak - import MB) or bytes."""
    if key == "memory":
        return [peak - before for peak, before in zip(curve["peak_mb"], curve["import_mb"])]
    return curve["output_bytes"] if key == "bytes" else curve["seconds"]


def scaled(results: dict, series: str, axes, at: dict, key: str) -> tuple[float, bool]:
    """(the base value of `key` of `series` scaled to the sizes `at` along `axes`, measured?)."""
    exponent = {"seconds": "exponent", "memory": "memory_exponent", "bytes": "bytes_exponent"}[key]
    base_key = {"seconds": "seconds", "memory": "peak_mb", "bytes": "output_bytes"}[key]
    value = base_value(results, series, base_key)
    if key == "memory":
        value = max(value - base_value(results, series, "import_mb"), 1.0)
    inside = True
    for axis in axes:
        factor, within = axis_factor(results, series, axis, at[axis], key, exponent)
        value, inside = value * factor, inside and within
    return value, inside


def thread_factor(results: dict, series: str, threads: int, measured_threads: int) -> tuple[float, bool]:
    """(seconds at `threads` / seconds at `measured_threads`, measured?): Amdahl's law with the
    parallel share p = 2 (1 - 1 / S) of the measured 1 -> 2 thread speed-up S of the series (the AE's
    training for every model's)."""
    if threads == measured_threads:
        return 1.0, True
    key = "train:ae" if series.startswith("train") else series
    speedup = results["speedups"].get(key, {}).get("speedup_2", 1.0)
    p = min(max(2 * (1 - 1 / speedup), 0.0), 1.0)

    def amdahl(t):
        return (1 - p) + p / t

    return amdahl(threads) / amdahl(measured_threads), threads <= 2 and measured_threads <= 2


def startup_seconds(results: dict, series: str) -> float:
    """Wall - work at the base point: interpreter, imports, reading and writing (train: all but
    the epoch)."""
    return max(base_value(results, series, "wall_s") - base_value(results, series, "seconds"), 0.0)


# ----------------------------------------------------------------------------- prediction


def jobs_of(config: dict) -> list[tuple[str, str, int, tuple]]:
    """(rule, job, jobs, parts) the config runs, parts the (stage, series) measured apart that one
    job runs: train per model; walks: the decoding and each instrument's style loss."""
    chains = len(config["replicates"])
    rows = [("prepare_data", "prepare_data", 1, (("prepare_data", "prepare_data"),))]
    rows += [("train", f"train:{model}", chains, (("train", f"train:{model}"),)) for model in config["models"]]
    per_chain = chains * len(config["models"])
    rows += [(stage, stage, per_chain, ((stage, stage),)) for stage in ("encode", "analyse", "select_pairs")]
    instruments = (("style_loss", f"style_loss:{i}") for i in config["style_loss"]["instruments"])
    rows.append(("walks", "walks", per_chain, (("interpolate", "interpolate"), *instruments)))
    return rows + [("patterns", "patterns", per_chain, (("patterns", "patterns"),))]


def encoder_input_factor(results: dict, model: str, encoder_input: str) -> float:
    """Epoch seconds with `encoder_input` / with `image` (the measured ratio of `model`, else the
    AE's); a StylepathError when the measurements have none for that input."""
    if encoder_input == "image":
        return 1.0
    ratios = results.get("encoder_input", {})
    of_model = ratios.get(model) or ratios.get("ae") or {}
    if encoder_input not in of_model:
        raise StylepathError(
            f"the scaling measurements hold no epoch time with encoder_input {encoder_input}: "
            "run `python benchmarks/scaling.py` (its encoder_input axis)"
        )
    return of_model[encoder_input]


def evaluated_share(results: dict, settings: dict) -> float:
    """Seconds of the run's epochs on average / a measured (evaluated) epoch's: the evaluation's
    measured share s of an epoch counts in the epochs that `eval_every` evaluates (every
    eval_every-th and the last). Without a measured share, every epoch as measured."""
    shares = results.get("eval_share", {})
    share = shares.get(settings["model"], shares.get("ae"))
    if share is None:
        return 1.0
    epochs, every = int(settings["epochs"]), int(settings["eval_every"])
    evaluated = epochs // every + (epochs % every != 0)
    return (1 - share) + share * evaluated / epochs


def job_seconds(config: dict, results: dict, parts: tuple, at: dict, extra: dict, threads: int):
    """(seconds of one job running `parts` at `threads`, measured?): the largest start-up of its parts
    plus the sum of their work."""
    timed = [part_seconds(config, results, stage, series, at, extra, threads) for stage, series in parts]
    startup = max(startup_seconds(results, series) for _, series in parts)
    return startup + sum(work for work, _ in timed), all(measured for _, measured in timed)


def part_seconds(config: dict, results: dict, stage: str, series: str, at: dict, extra: dict, threads: int):
    """(seconds of `series`' work at `threads`, start-up apart; measured?)."""
    axes, _ = STAGES[stage]
    if stage in ("interpolate", "style_loss", "patterns"):  # their cost follows walk images, walks x steps
        at = dict(at, walks=at["walks"] * extra["steps"] / MEASURED_STEPS)
    work, inside = scaled(results, series, axes, at, "seconds")
    measured_threads = results["torch_threads"]["train"] if stage == "train" else 1
    factor, threads_measured = thread_factor(results, series, threads, measured_threads)
    if stage == "train":
        settings = model_settings(config, series.split(":")[1], 0)
        work *= int(settings["epochs"]) * evaluated_share(results, settings)
        work *= encoder_input_factor(results, settings["model"], settings["encoder_input"])
        if "warm_up_steps" in settings and results.get("warm_up"):
            warm = results["warm_up"]
            # measured at the base size and batch; scaled as an epoch with the side, linearly with the batch
            size_factor, _ = axis_factor(results, series, "image_size", at["image_size"], "seconds", "exponent")
            batch = settings["batch_size"] / warm["batch_size"]
            work += settings["warm_up_steps"] * warm["seconds_per_step"] * size_factor * batch
    return work * factor, inside and threads_measured


def disk_bytes(results: dict, stage: str, series: str, at: dict, extra: dict) -> tuple[float, str]:
    """(bytes one job writes, how it is known): arrays exactly, the rest scaled."""
    pixels = at["image_size"] ** 2 * 3
    if stage == "prepare_data":  # metadata.parquet and report.json: well under 1 MB
        return at["images"] * pixels, "computed: images.npy N x P x P x 3"
    if stage == "interpolate":
        return at["walks"] * extra["steps"] * pixels, "computed: walks x steps x P x P x 3"
    value, inside = scaled(results, series, STAGES[stage][0], at, "bytes")
    return value, "measured" if inside else "extrapolated"


def predict(config: dict, results: dict, n_images: int | None = None) -> dict:
    """Per stage: jobs, threads, seconds per job, job-seconds on the 2-core machine, peak MB per job,
    disk; per machine kind: the wall time. Each figure says how it is known."""
    at, extra = sizes(config, n_images)
    stages = []
    for rule, job, jobs, parts in jobs_of(config):
        rule_threads = max(STAGES[stage][1] or int(config["training"]["threads"]) for stage, _ in parts)
        threads = min(rule_threads, MACHINES["2-core CPU"])
        seconds, measured = job_seconds(config, results, parts, at, extra, threads)
        peaks = [peak_mb(results, stage, series, at) for stage, series in parts]
        disks = [disk_bytes(results, stage, series, at, extra) for stage, series in parts]
        disk = sum(bytes_ for bytes_, _ in disks)
        stages.append(
            {
                "stage": rule,
                "series": job,
                "parts": parts,
                "jobs": jobs,
                "threads": threads,
                "rule_threads": rule_threads,
                "seconds_per_job": seconds,
                "job_seconds": seconds * jobs,
                "seconds_basis": "measured" if measured else "extrapolated",
                "peak_mb": max(peak for peak, _ in peaks),
                "memory_basis": "measured" if all(inside for _, inside in peaks) else "extrapolated",
                "disk_bytes_per_job": disk,
                "disk_bytes": disk * (1 if rule == "prepare_data" else jobs),
                "disk_basis": " + ".join(dict.fromkeys(basis for _, basis in disks)),
            }
        )
    machines = {name: wall_seconds(config, results, stages, at, extra, cores) for name, cores in MACHINES.items()}
    inputs = encoder_inputs(config, results)
    return {"sizes": at | extra, "stages": stages, "machines": machines, "encoder_input": inputs}


def peak_mb(results: dict, stage: str, series: str, at: dict) -> tuple[float, bool]:
    """(peak MB of `series` at the sizes `at`: its RSS after imports + its work's memory scaled, measured?)."""
    memory, inside = scaled(results, series, STAGES[stage][0], at, "memory")
    return base_value(results, series, "import_mb") + memory, inside


def encoder_inputs(config: dict, results: dict) -> dict:
    """{model: (its encoder_input, the epoch factor applied)} for the models not on `image`."""
    chosen = {model: model_settings(config, model, 0)["encoder_input"] for model in config["models"]}
    chosen = {model: given for model, given in chosen.items() if given != "image"}
    return {model: (given, encoder_input_factor(results, model, given)) for model, given in chosen.items()}


def wall_seconds(config: dict, results: dict, stages: list[dict], at: dict, extra: dict, cores: int) -> dict:
    """Stage after stage, each stage's jobs `cores // threads` at a time; the thread count per job
    min(the rule's threads, cores)."""
    total, inside, threads_measured = 0.0, True, True
    for stage in stages:
        threads = min(stage["rule_threads"], cores)
        seconds, measured = job_seconds(config, results, stage["parts"], at, extra, threads)
        total += math.ceil(stage["jobs"] / max(cores // threads, 1)) * seconds
        inside = inside and stage["seconds_basis"] == "measured"
        threads_measured = threads_measured and threads <= 2
    basis = "measured per job" if inside else "extrapolated per job"
    basis += "; threads beyond 2 assumed (Amdahl)" if not threads_measured else ""
    return {"cores": cores, "seconds": total, "basis": basis + "; scheduling assumed"}


# ----------------------------------------------------------------------------- the table


def human_bytes(value: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.3g} {unit}"
        value /= 1000


def human_seconds(value: float) -> str:
    if value < 120:
        return f"{value:.3g} s"
    return f"{value / 60:.3g} min" if value < 7200 else f"{value / 3600:.3g} h"


def report(prediction: dict, results: dict, path) -> str:
    """The printed table and the machine figures, each with its basis."""
    s = prediction["sizes"]
    lines = [
        f"stylepath estimate for {path}: {s['images']} images of {s['image_size']} px, {s['chains']} chains, "
        f"{s['walks']} walks of {s['steps']} steps per chain",
        f"from {results.get('source', 'scaling results')} ({results['mode']} run of {results['started_utc'][:10]}, "
        f"machine-speed reference {results['machine_speed_reference_s']} s)",
        "",
        f"{'stage':31} {'jobs':>4} {'thr':>3} {'per job':>10} {'all jobs':>10} {'':12} {'peak/job':>9} {'':12} "
        f"{'disk':>9}  basis",
    ]
    for r in prediction["stages"]:
        lines.append(
            f"{r['series']:31} {r['jobs']:4d} {r['threads']:3d} {human_seconds(r['seconds_per_job']):>10} "
            f"{human_seconds(r['job_seconds']):>10} {r['seconds_basis']:12} "
            f"{r['peak_mb']:6.0f} MB {r['memory_basis']:12} "
            f"{human_bytes(r['disk_bytes']):>9}  {r['disk_basis']}"
        )
    total_disk = sum(r["disk_bytes"] for r in prediction["stages"])
    lines += ["", f"disk, all stages above: {human_bytes(total_disk)}; peak memory of one job: "
              f"{max(r['peak_mb'] for r in prediction['stages']):.0f} MB; not predicted: {NOT_PREDICTED}"]  # fmt: skip
    for r in (r for r in prediction["stages"] if len(r["parts"]) > 1):
        lines.append(
            f"{r['series']}: one job runs {', '.join(series for _, series in r['parts'])} (measured apart): "
            "the largest of their start-ups (assumed shared) plus the sum of their work"
        )
    if prediction["encoder_input"]:
        factors = ", ".join(f"{model} x{factor:.3f}" for model, (_, factor) in prediction["encoder_input"].items())
        given = next(iter(prediction["encoder_input"].values()))[0]
        base = results["base"]
        lines.append(
            f"train with encoder_input {given}: epochs {factors}, the ratio to `image` measured at "
            f"{base['images']} images of {base['image_size']} px (assumed the same at other sizes)"
        )
    lines.append("wall time:")
    for name, machine in prediction["machines"].items():
        lines.append(f"  {name:26} {human_seconds(machine['seconds']):>10}  ({machine['basis']})")
    lines.append(f"  {'one GPU':26} {'-':>10}  ({results.get('gpu', GPU_NOTE)})")
    lines.append(
        "measured: within the measured sizes and thread counts (1-2); extrapolated: a fitted power law beyond "
        "them; assumed: Amdahl's law beyond 2 threads, stage-by-stage scheduling, the same per-core speed"
    )
    return "\n".join(lines)


def read_measurements(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise StylepathError(f"scaling measurements {path} do not exist: run `python benchmarks/scaling.py`")
    return read_json(path) | {"source": str(path)}


def main(args) -> None:
    config = read_config(args.configfile)
    results = read_measurements(args.measurements)
    print(report(predict(config, results, args.n_images), results, args.configfile))
