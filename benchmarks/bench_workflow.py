"""Workflow timings in a throw-away copy of the repository (tests/workflow_utils.py).

run from clean  `snakemake --cores N` on an empty results folder, wall-clock seconds
no-op dry run   `snakemake -n` once everything is up to date: the price of asking
                "anything to do?" after each edit (median of several, process start included)
re-run count    the jobs a dry run plans after interpolation.steps changes
"""

import collections
import importlib.util
import subprocess
import time

from timing import REPO, median

_spec = importlib.util.spec_from_file_location("workflow_utils", REPO / "tests" / "workflow_utils.py")
workflow_utils = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(workflow_utils)


def copy_workflow(workdir):
    """The workflow (Snakefile, rules, src, configs, profiles; no results) copied into workdir."""
    return workflow_utils.copy_workflow(workdir)


def run_from_clean(workdir, configfile: str, cores: int) -> float:
    """Wall-clock seconds of the whole workflow from nothing; raises if it fails."""
    start = time.perf_counter()
    workflow_utils.snakemake(workdir, "--cores", str(cores), configfile=configfile)
    return time.perf_counter() - start


def noop_dry_run_seconds(workdir, configfile: str, repeats: int) -> float:
    """Median seconds of `snakemake -n` when nothing is left to do (one untimed warm-up).
    Raises if Snakemake would run anything."""
    seconds = []
    for attempt in range(repeats + 1):
        start = time.perf_counter()
        result = workflow_utils.snakemake(workdir, "--dry-run", configfile=configfile)
        elapsed = time.perf_counter() - start
        if "Nothing to be done" not in result.stdout + result.stderr:
            raise AssertionError(f"the workflow in {workdir} is not up to date:\n{result.stdout[-2000:]}")
        if attempt:
            seconds.append(elapsed)
    return median(seconds)


def jobs_after_steps_change(workdir, configfile: str) -> collections.Counter:
    """Jobs per rule that a dry run plans once interpolation.steps is changed (by +2)."""
    config = workflow_utils.yaml.safe_load((workdir / configfile).read_text())
    interpolation = config.setdefault("interpolation", {})
    interpolation["steps"] = int(interpolation.get("steps", 10)) + 2
    workflow_utils.write_config(workdir / "steps_changed.yaml", config)
    jobs = workflow_utils.planned_jobs(workdir, configfile="steps_changed.yaml")
    return collections.Counter(rule for rule, *_ in jobs)


def snakemake_version() -> str:
    result = subprocess.run([*workflow_utils.SNAKEMAKE, "--version"], capture_output=True, text=True)
    return result.stdout.strip()
