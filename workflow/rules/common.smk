"""Config validation and the helpers every rule file uses."""

import json
import os
import shlex
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")


validate(config, "../schemas/config.schema.yaml")

RESULTS = f"results/{config['run']}"
MODELS = config["models"]
REPLICATES = config[
    "replicates"
]  # training seeds: each (model, replicate) is one chain of jobs
CHAIN = "{model}/seed{replicate}"  # the path of one chain's outputs within a stage
DOWNLOADS = config["dataset"]["download_dir"]
ENV = "../../envs/stylepath.yaml"
SRC = Path(workflow.basedir) / "src" / "stylepath"
# Jobs run `python -m stylepath` from this checkout: the code declared as inputs (see `code`)
# is the code that runs, also in conda environments (envs/) that hold only the dependencies.
# Without conda, `python` is the interpreter running Snakemake (e.g. the project's venv).
os.environ.update(
    PYTHONPATH=str(SRC.parent),
    PATH=os.pathsep.join(
        [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    ),
)
sys.path.insert(
    0, str(SRC.parent)
)  # stylepath.config and .sources import only the stdlib and yaml

from stylepath.config import DOWNLOADED_SOURCES
from stylepath.config import model_settings as training_settings
from stylepath.gpus import visible_gpu_count
from stylepath.sources import command_sources

# The GPU rules ask for a GPU only where this machine has one, so that on a CPU machine the
# default profile's `gpu: 1` does not run them one at a time. On SLURM, profiles/slurm gives
# train, walks and calibrate `gpu: 1` whatever the submitting host has.
GPU = 1 if visible_gpu_count() else 0


def logs(name):
    """Path of a job's log: results/<run>/logs/<name>."""
    return f"{RESULTS}/logs/{name}"


def benchmarks(name):
    """Path of a job's benchmark table: results/<run>/benchmarks/<name>."""
    return f"{RESULTS}/benchmarks/{name}"


def code(command):
    """The source files `stylepath <command>` runs (found from its imports), declared as
    inputs so that editing the code a stage runs re-runs that stage and what follows it. A job
    of one model's chain depends on its own model's file, not on the other models'.
    """
    return lambda wildcards: list(command_sources(command, wildcards.get("model")))


# Inputs a rule declares so that a change re-runs it, which its command does not take as file
# arguments: its source code, the VGG19 weights file (named in style_loss.weights) and the
# folder source's images (found from dataset.folder).
UNREAD_INPUTS = ("code", "weights", "user_images")


def files(wildcards, input, output):
    """A rule's file arguments, as params: `--<key> path ...` for each named input (but
    UNREAD_INPUTS) and output, the flag named after the key (stylepath.cli.FILES). An input
    with no file (an optional one the run does not need) is left out."""
    arguments = []
    for key, value in [*input.items(), *output.items()]:
        paths = [value] if isinstance(value, str) else list(value)
        if paths and key not in UNREAD_INPUTS:
            arguments += [f"--{key.replace('_', '-')}", *map(shlex.quote, paths)]
    return " ".join(arguments)


def stylepath(command, extra=""):
    """The shell command of a rule: `stylepath <command>` with the rule's settings and file
    arguments (params.settings, params.files), `extra` options and its threads, logged.
    """
    return (
        f"python -m stylepath {command} --settings {{params.settings:q}} {{params.files}}{extra}"
        " --threads {threads} > {log} 2>&1"
    )


def settings(*keys, **extra):
    """The config slice under top-level `keys` (plus `extra`) as a JSON string.

    Used as a rule's params: Snakemake re-runs a job when this string changes,
    so each rule names only the keys its stage reads.
    """
    return json.dumps({**{k: config[k] for k in keys}, **extra}, sort_keys=True)


def control_analysis_settings():
    """The analysis keys the known-answer controls read: the held-out shape and grouping."""
    analysis = config["analysis"]
    threshold = analysis["diagnostics"]["active_unit_threshold"]
    return {
        "shape": analysis["shape"],
        "grouping": analysis["grouping"],
        "diagnostics": {"active_unit_threshold": threshold},
    }


def chains(path):
    """`path` (with {model} and {replicate}) for every model and replicate of the run."""
    return expand(path, model=MODELS, replicate=REPLICATES)


def model_settings(wildcards):
    """Training settings of one chain: training.shared overridden by the model's own block,
    and the replicate as the training seed (the data and its split stay fixed by `seed`).
    """
    settings = training_settings(config, wildcards.model, int(wildcards.replicate))
    return json.dumps(settings, sort_keys=True)


# Once the trainings have the cores (train_priority), the analysis branch (encode, analyse and
# its figure job) goes before the walks, so that the run does not end on plot_analysis waiting
# for the last analyse job while the walks held the cores.
ANALYSIS_FIRST = 1


def train_priority(wildcards):
    """The longest trainings start first (most epochs), so that a run does not end waiting on one."""
    return int(
        training_settings(config, wildcards.model, int(wildcards.replicate))["epochs"]
    )


def triplet_reference(wildcards):
    """For a model with a triplet term, the VAE's latent table and diagnostics of the same
    replicate: its diagnostics ask whether the triplet term makes a difference against a VAE that
    reached its own objective (the VAE is the same objective without it). Nothing for the other
    models, or when the run has no VAE (the check then says so)."""
    from stylepath.models import (
        model_class,
    )  # imports torch: only when a DAG holds analyse jobs

    if not model_class(wildcards.model).triplet_term or "vae" not in MODELS:
        return {}
    return {
        "reference_latents": f"{RESULTS}/latents/vae/seed{wildcards.replicate}.parquet",
        "reference_diagnostics": f"{RESULTS}/analysis/vae/seed{wildcards.replicate}/diagnostics.json",
    }


def download_manifest(wildcards):
    """The download manifest the chosen source needs (none for synthetic and folder)."""
    source = config["dataset"]["source"]
    if source in DOWNLOADED_SOURCES:
        return f"{DOWNLOADS}/{source}/manifest.json"
    return []


def user_images(wildcards):
    """The folder source's CSV or style folders, so that changing them re-runs the data stage."""
    dataset = config["dataset"]
    if dataset["source"] != "folder":
        return []
    folder = dataset["folder"]
    if folder["csv"]:
        return folder["csv"]
    if folder["path"] and Path(folder["path"]).is_dir():
        return sorted(str(p) for p in Path(folder["path"]).iterdir() if p.is_dir())
    return []  # prepare-data names the missing folder


def download_settings(wildcards):
    """Only what a download depends on: the source's own block (and the styles kept)."""
    dataset = config["dataset"]
    block = {"source": wildcards.source, "styles": dataset["styles"]}
    return json.dumps({**block, **dataset[wildcards.source]}, sort_keys=True)


def vgg_weights_file(wildcards):
    """The VGG19 state dict when style_loss.weights is a path (a new file re-runs the job)."""
    weights = config["style_loss"]["weights"]
    return [] if weights in ("imagenet", "random") else weights


CALIBRATION = f"{RESULTS}/calibration"


def calibration_files(wildcards):
    """The calibration stage's outputs (notes: calibration contract) where this workflow has
    the stage, else none: the explorer shows them when they are there."""
    if "calibrate" not in {r.name for r in workflow.rules}:
        return {}
    return {
        "calibration_images": f"{CALIBRATION}/images.npy",
        "calibration_index": f"{CALIBRATION}/index.parquet",
        "calibration_style_loss": f"{CALIBRATION}/style_loss.parquet",
        "calibration_walks": f"{CALIBRATION}/walks.parquet",
    }


def texture_reference_images(wildcards):
    """The run's data set, whose images set the spread of the Portilla-Simoncelli statistics
    (only when that instrument is measured)."""
    if "portilla_simoncelli" not in config["style_loss"]["instruments"]:
        return []
    return f"{RESULTS}/data/images.npy"


wildcard_constraints:
    model="|".join(MODELS),
    replicate=r"\d+",
