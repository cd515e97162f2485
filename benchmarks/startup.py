"""Start-up of every `stylepath` command: the seconds `python -m stylepath <command> --help` takes
(the interpreter, the CLI and the command's module imported, no work), the best of a few runs, and
which heavy libraries (torch, sklearn, seaborn, matplotlib, plenoptic, bokeh) the import pulls in;
then Snakemake's own cost per job: a throw-away workflow of --jobs independent jobs that do
nothing (`true`), run with --cores 1, over the number of jobs.

Usage: python benchmarks/startup.py [--repeats 3] [--jobs 40]. Quote the machine-speed
reference beside it."""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stylepath.cli import COMMANDS

HEAVY = ("torch", "sklearn", "seaborn", "matplotlib", "plenoptic", "bokeh", "scipy", "pandas")
PROBE = (
    "import importlib, sys; importlib.import_module({module!r}); "
    "print(' '.join(n for n in {heavy!r} if n in sys.modules))"
)


def seconds(argv: list[str], repeats: int, cwd=None) -> float:
    """Best wall time of running argv `repeats` times."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=cwd)
        best = min(best, time.perf_counter() - start)
    return best


EMPTY_JOBS = """
rule all:
    input: expand("done/{i}", i=range(JOBS))

rule nothing:
    output: "done/{i}"
    shell: "true > {output}"
"""


def snakemake_seconds_per_job(jobs: int) -> float:
    """Wall seconds per job of Snakemake running `jobs` jobs that do nothing, one at a time,
    less the time of a dry run of the same workflow (start-up and DAG)."""
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "Snakefile").write_text(f"JOBS = {jobs}\n" + EMPTY_JOBS)
        snakemake = [sys.executable, "-m", "snakemake", "--cores", "1", "--quiet", "all"]
        dry = seconds([*snakemake, "--dry-run"], 1, cwd=folder)
        run = seconds(snakemake, 1, cwd=folder)
    return (run - dry) / jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=40, help="jobs of the Snakemake overhead probe")
    args = parser.parse_args()
    print(f"{'command':22} {'start-up s':>10}  heavy imports")
    for command, (module, _) in COMMANDS.items():
        wall = seconds([sys.executable, "-m", "stylepath", command, "--help"], args.repeats)
        probe = PROBE.format(module=module, heavy=HEAVY)
        heavy = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
        print(f"{command:22} {wall:10.2f}  {heavy.strip()}")
    per_job = snakemake_seconds_per_job(args.jobs)
    print(f"Snakemake's own cost per job (local, {args.jobs} jobs that do nothing): {per_job:.2f} s")


if __name__ == "__main__":
    main()
