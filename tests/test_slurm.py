"""The workflow on a real one-node SLURM through profiles/slurm (issue #7).

tests/slurm/start.sh installs (once, with apt) and starts slurmctld, slurmd and
munged on this machine; without root or apt the tests skip and say why. The tiny
workflow then runs twice, each in its own copy of the repository: through the
SLURM profile, and locally. The SLURM run must have run every job as a SLURM job,
asked SLURM for a GPU for the GPU rules and only for them, and written the same
numbers as the local run (CPU runs are deterministic).
"""

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from workflow_utils import SNAKEMAKE, copy_workflow, tiny_config

pytestmark = pytest.mark.slurm

REPO = Path(__file__).resolve().parents[1]
START, STOP = REPO / "tests" / "slurm" / "start.sh", REPO / "tests" / "slurm" / "stop.sh"
CANNOT_PROVIDE_SLURM = 77  # start.sh's exit status when this machine cannot host SLURM

TARGET = "all"  # what both runs build: a rule or a file, e.g. "results/tiny/data/images.npy"
MODELS = ["vae"]  # one model keeps the two runs to a few minutes; every rule still runs
REPLICATES = [0, 1]  # two training seeds: one training job (one GPU job) per replicate
GPU_RULES = {"train", "walks", "calibrate"}  # rules whose `resources: gpu=1` must reach SLURM
TIMING_COLUMNS = {"seconds", "eval_seconds"}  # table columns that hold wall-clock times, not results
NOT_RESULTS = {"logs", "benchmarks"}  # folders under results/<run>/ that differ by nature
# Test-only settings on top of the profile: check on jobs 1 s after a submission or a
# finished job, not 40 s (the plugin then backs off by 10 s a check), and keep the
# per-job SLURM logs of successful jobs to check them.
SLURM_TEST_ARGS = ["--slurm-init-seconds-before-status-checks", "1", "--slurm-keep-successful-logs"]
RUN_TIMEOUT_S = 600


def env_with_this_python() -> dict:
    """The environment with this interpreter's bin/ first on PATH (the rules call `python`)."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def run(command: list) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env_with_this_python(), capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def start_workflow(workdir: Path, *args: str) -> subprocess.Popen:
    """Start Snakemake on the test config in `workdir`; its output goes to snakemake.log there."""
    with open(workdir / "snakemake.log", "w") as log:
        command = [*SNAKEMAKE, "--configfile", "tiny.yaml", *args, TARGET]
        return subprocess.Popen(command, cwd=workdir, env=env_with_this_python(), stdout=log, stderr=log)


def finish_workflow(process: subprocess.Popen, workdir: Path) -> str:
    """Wait for a Snakemake started by start_workflow; its log, or a failure showing its end."""
    try:
        process.wait(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        stop_workflow(process)
    log = (workdir / "snakemake.log").read_text()
    if process.returncode != 0:
        pytest.fail(f"{' '.join(process.args)} failed or ran over {RUN_TIMEOUT_S} s:\n{log[-20000:]}")
    return log


def stop_workflow(process: subprocess.Popen) -> None:
    """Stop a Snakemake that is still running (on SIGTERM it cancels its SLURM jobs)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def slurm():
    """A running one-node SLURM (tests/slurm/start.sh), stopped at the end of the module."""
    if sys.platform != "linux":
        pytest.skip("the test SLURM needs Linux (Debian or Ubuntu)")
    started = run(["bash", str(START)])
    if started.returncode == CANNOT_PROVIDE_SLURM:
        pytest.skip(started.stderr.strip().splitlines()[-1])
    if started.returncode != 0:
        pytest.fail(f"tests/slurm/start.sh failed:\n{started.stdout}\n{started.stderr}")
    yield
    stopped = run(["bash", str(STOP)])
    assert stopped.returncode == 0, f"tests/slurm/stop.sh failed:\n{stopped.stderr}"


@pytest.fixture(scope="module")
def runs(slurm, tmp_path_factory) -> dict:
    """The test config run through profiles/slurm and locally (profiles/default), each in
    its own copy of the repository, at the same time (the SLURM run mostly waits).
    {"slurm": (work dir, log), "local": (work dir, log)}"""
    config = {**tiny_config(), "models": MODELS, "replicates": REPLICATES}
    slurm_dir = copy_workflow(tmp_path_factory.mktemp("slurm"), config)
    local_dir = copy_workflow(tmp_path_factory.mktemp("local"), config)
    local = start_workflow(local_dir, "--cores", "2")
    on_slurm = start_workflow(slurm_dir, "--workflow-profile", "profiles/slurm", *SLURM_TEST_ARGS)
    try:
        slurm_log = finish_workflow(on_slurm, slurm_dir)
        local_log = finish_workflow(local, local_dir)
    finally:  # neither run outlives a failure of the other
        stop_workflow(on_slurm)
        stop_workflow(local)
    return {"slurm": (slurm_dir, slurm_log), "local": (local_dir, local_log)}


def slurm_jobs(run_id: str) -> list[dict]:
    """Every SLURM job named `run_id` (the plugin names a run's jobs so), with its
    id, state, rule and GPU request, from `squeue` and `scontrol` (no sacct here)."""
    listing = run(["squeue", "--states=all", "--noheader", "--name", run_id, "--format=%i"])
    assert listing.returncode == 0, listing.stderr
    jobs = []
    for job_id in listing.stdout.split():
        shown = run(["scontrol", "show", "job", "--oneliner", job_id])
        assert shown.returncode == 0, shown.stderr
        fields = dict(re.findall(r"(\w+)=(\S*)", shown.stdout))
        # the plugin's comment: rule_<rule> or rule_<rule>_wildcards_<values>
        rule = fields["Comment"].removeprefix("rule_").split("_wildcards_")[0]
        jobs.append({"id": job_id, "state": fields["JobState"], "rule": rule, "gpus": fields.get("TresPerJob", "")})
    return jobs


def executed_rules(log: str) -> Counter:
    """How many jobs of each rule a Snakemake log says ran (the target rule `all` aside)."""
    rules = Counter(re.findall(r"^\s*(?:local)?rule (\w+):$", log, flags=re.MULTILINE))
    rules.pop("all", None)
    return rules


def run_id(log: str) -> str:
    """The SLURM job name the plugin gave every job of a run (it logs it first)."""
    return re.search(r"SLURM run ID: (\S+)", log).group(1)


def test_every_job_ran_as_a_slurm_job(runs):
    workdir, log = runs["slurm"]
    jobs = slurm_jobs(run_id(log))
    assert jobs, f"no SLURM job named {run_id(log)}"
    assert {job["state"] for job in jobs} == {"COMPLETED"}, jobs
    assert Counter(job["rule"] for job in jobs) == executed_rules(runs["local"][1])
    assert Counter(job["rule"] for job in jobs)["train"] == len(MODELS) * len(REPLICATES)
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", log)
    assert sorted(submitted) == sorted(job["id"] for job in jobs)
    slurm_logs = {path.stem for path in (workdir / ".snakemake" / "slurm_logs").rglob("*.log")}
    assert slurm_logs >= set(submitted), "a SLURM job left no log under .snakemake/slurm_logs"


def test_gpu_rules_asked_slurm_for_a_gpu(runs):
    jobs = slurm_jobs(run_id(runs["slurm"][1]))
    asked = {job["rule"] for job in jobs if job["gpus"]}
    assert asked, f"no job asked for a GPU: {jobs}"
    assert asked == GPU_RULES & {job["rule"] for job in jobs}, jobs
    for job in jobs:  # sbatch --gpus=1; Slurm 22 shows gres:gpu:1, later ones gres/gpu:1
        assert not job["gpus"] or re.fullmatch(r"gres[:/]gpu:1", job["gpus"]), job


def test_start_script_without_root_says_so_and_asks_to_skip():
    """start.sh exits with the status that makes the fixture skip (never pass) and says why."""
    command = ["bash", str(START)]
    if os.geteuid() == 0:
        if not shutil.which("runuser"):
            pytest.skip("root without runuser: cannot run start.sh as another user")
        command = ["runuser", "-u", "nobody", "--", *command]
    result = run(command)
    assert result.returncode == CANNOT_PROVIDE_SLURM, result.stderr
    assert "must run as root" in result.stderr


def same_values(path_a: Path, path_b: Path) -> None:
    """Assert that two output files hold the same data (timing columns aside)."""
    if path_a.suffix == ".npy":
        np.testing.assert_array_equal(np.load(path_a), np.load(path_b))
    elif path_a.suffix == ".parquet":
        pd.testing.assert_frame_equal(pd.read_parquet(path_a), pd.read_parquet(path_b), check_exact=True)
    elif path_a.suffix == ".csv":
        table_a, table_b = pd.read_csv(path_a), pd.read_csv(path_b)
        timing = [c for c in table_a.columns if c in TIMING_COLUMNS]
        pd.testing.assert_frame_equal(table_a.drop(columns=timing), table_b.drop(columns=timing), check_exact=True)
    elif path_a.suffix == ".json":
        assert json.loads(path_a.read_text()) == json.loads(path_b.read_text())
    elif path_a.suffix == ".pt":
        same_objects(torch.load(path_a, weights_only=False), torch.load(path_b, weights_only=False), path_a.name)


def same_objects(a, b, where: str) -> None:
    """Assert that two nested dicts/lists of tensors and plain values are equal."""
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            same_objects(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for index, (item_a, item_b) in enumerate(zip(a, b)):
            same_objects(item_a, item_b, f"{where}[{index}]")
    else:
        assert a == b, where


def result_files(results: Path) -> set[Path]:
    """Paths (relative to results/<run>/) of every output file but logs and benchmarks."""
    files = {path.relative_to(results) for path in results.rglob("*") if path.is_file()}
    return {path for path in files if path.parts[0] not in NOT_RESULTS}


def test_slurm_outputs_equal_local_outputs(runs):
    slurm_results, local_results = (runs[name][0] / "results" / "tiny" for name in ("slurm", "local"))
    files = result_files(local_results)
    assert files == result_files(slurm_results)
    compared = sorted(f for f in files if f.suffix in {".npy", ".parquet", ".csv", ".json", ".pt"})
    assert {".npy", ".parquet"} <= {f.suffix for f in compared}, compared
    for relative in compared:
        same_values(local_results / relative, slurm_results / relative)
