"""What every benchmark shares: timing on a device, medians, the table (configs: stylepath.config)."""

import contextlib
import io
import os
import statistics
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]


def synchronize(device) -> None:
    """Wait for queued CUDA work, so that a clock read after it counts it."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def seconds_of(function, device) -> float:
    """Wall-clock seconds of one call of `function()` on `device`."""
    synchronize(device)
    start = time.perf_counter()
    function()
    synchronize(device)
    return time.perf_counter() - start


def interleaved_seconds(functions: dict, repeats: int, device, warmup: int = 1) -> dict[str, list[float]]:
    """Seconds per call of each of `functions` (name -> no-argument callable): `warmup`
    untimed calls each, then `repeats` rounds calling each once in turn, so that a change
    in machine load hits all of them alike. Returns name -> list of `repeats` seconds."""
    for _ in range(warmup):
        for function in functions.values():
            function()
    seconds = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            seconds[name].append(seconds_of(function, device))
    return seconds


def median(values) -> float:
    return statistics.median(values)


@contextlib.contextmanager
def quiet():
    """Swallow what the code under test prints (progress bars, log lines)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


@contextlib.contextmanager
def environment(**variables):
    """Set environment variables for the block, then restore them."""
    old = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min)"


def verdict(ratio: float, target: float) -> str:
    """'ok' or the missed target, for the table's last column."""
    return "ok" if ratio >= target else f"MISSED (target >= {target:g}x)"


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    """A plain fixed-width table (numbers already formatted as strings)."""
    cells = [header, *[[str(cell) for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    line = "  ".join("-" * width for width in widths)
    print(f"\n{title}\n{line}")
    for i, row in enumerate(cells):
        print(
            "  ".join(
                cell.ljust(width) if j == 0 else cell.rjust(width) for j, (cell, width) in enumerate(zip(row, widths))
            )
        )
        if i == 0:
            print(line)
    print(line)
