"""Start-up of every `stylepath` command: the seconds `python -m stylepath <command> --help` takes
(the interpreter, the CLI and the command's module imported, no work), the best of a few runs, and
which heavy libraries (torch, sklearn, seaborn, matplotlib, plenoptic, bokeh) the import pulls in.

Usage: python benchmarks/startup.py [--repeats 3]. Quote the machine-speed reference beside it."""

import argparse
import subprocess
import sys
import time

from stylepath.cli import COMMANDS

HEAVY = ("torch", "sklearn", "seaborn", "matplotlib", "plenoptic", "bokeh", "scipy", "pandas")
PROBE = (
    "import importlib, sys; importlib.import_module({module!r}); "
    "print(' '.join(n for n in {heavy!r} if n in sys.modules))"
)


def seconds(argv: list[str], repeats: int) -> float:
    """Best wall time of running argv `repeats` times."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'command':22} {'start-up s':>10}  heavy imports")
    for command, (module, _) in COMMANDS.items():
        wall = seconds([sys.executable, "-m", "stylepath", command, "--help"], args.repeats)
        probe = PROBE.format(module=module, heavy=HEAVY)
        heavy = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
        print(f"{command:22} {wall:10.2f}  {heavy.strip()}")


if __name__ == "__main__":
    main()
