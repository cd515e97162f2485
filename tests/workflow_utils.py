"""Run the workflow in a throw-away copy of the repository and read what Snakemake plans."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = ["Snakefile", "config.yaml", "workflow", "src", "envs", "profiles"]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def copy_workflow(target: Path, config: dict | None = None) -> Path:
    """Copy the workflow (not results) into `target`; write `config` as tiny.yaml there."""
    target.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif source.exists():
            shutil.copy2(source, target / name)
    write_config(target / "tiny.yaml", config if config is not None else tiny_config())
    return target


def tiny_config() -> dict:
    return yaml.safe_load((REPO / "tests" / "config" / "tiny.yaml").read_text())


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def snakemake(workdir: Path, *args: str, configfile: str = "tiny.yaml", check: bool = True):
    """Run snakemake in `workdir` with the tiny config; return the CompletedProcess."""
    command = [*SNAKEMAKE, "--configfile", configfile, *args]
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def planned_jobs(workdir: Path, configfile: str = "tiny.yaml") -> set[tuple[str, str, str]]:
    """The jobs a dry run would execute, as (rule, model, replicate) triples ('' where the rule
    has no such wildcard)."""
    output = snakemake(workdir, "--dry-run", configfile=configfile).stdout
    jobs, rule = set(), None
    for line in output.splitlines():
        header = re.match(r"^(?:local)?rule (\w+):$", line.strip())
        if header:
            rule = header.group(1)
            jobs.add((rule, "", ""))
            continue
        wildcards = re.match(r"^wildcards: (.*)$", line.strip())
        if wildcards and rule:
            values = dict(w.split("=", 1) for w in wildcards.group(1).split(", "))
            jobs.discard((rule, "", ""))
            jobs.add((rule, values.get("model", ""), values.get("replicate", "")))
            rule = None
    jobs.discard(("all", "", ""))
    return jobs
