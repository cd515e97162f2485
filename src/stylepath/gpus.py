"""One GPU per GPU job: a pool of slots, one lock file per physical GPU.

A job that holds Snakemake's `gpu` resource claims a GPU by taking an exclusive, non-blocking
`flock` on that GPU's lock file and keeps the file open for the rest of its life; the kernel
drops the lock when the process ends, however it ends (SIGKILL included), so no stale claim
is ever left behind. Lock files are named after the GPU's UUID, not its CUDA index: two jobs
whose CUDA_VISIBLE_DEVICES differ (or two SLURM jobs that each see their own card as cuda:0)
still agree on which card is which.

This module imports neither torch nor numpy, so the Snakefile can call `visible_gpu_count`
while it parses.
"""

import fcntl
import glob
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LOCK_DIR_ENV = "STYLEPATH_GPU_LOCK_DIR"  # where the lock files live (default: see lock_dir)
WAIT_ENV = "STYLEPATH_GPU_WAIT_S"  # give up after this many seconds when every GPU is busy (default: wait)
POLL_S = 1.0  # seconds between two looks at the locks while every GPU is busy


def visible_gpu_count(environ=None, dev_dir: str = "/dev") -> int:
    """How many NVIDIA GPUs a job started here would see, without importing torch.

    CUDA_VISIBLE_DEVICES, when set, decides: its entries up to the first empty or negative
    one ("", "-1" and SLURM's "NoDevFiles" give 0). Unset, the number of /dev/nvidia<N>
    device nodes. Limits: it does not ask the driver, so a card the driver cannot use still
    counts; AMD (ROCm) GPUs and HIP_/ROCR_VISIBLE_DEVICES are not seen (0); a MIG-partitioned
    card counts once unless CUDA_VISIBLE_DEVICES lists its MIG instances.
    """
    environ = os.environ if environ is None else environ
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        nodes = glob.glob(os.path.join(glob.escape(dev_dir), "nvidia*"))
        return sum(1 for node in nodes if re.fullmatch(r"nvidia\d+", os.path.basename(node)))
    count = 0
    for entry in visible.split(","):
        entry = entry.strip()
        if not entry or entry.startswith("-") or entry == "NoDevFiles":
            break  # CUDA stops at the first invalid entry
        count += 1
    return count


def lock_dir(environ=None) -> Path:
    """$STYLEPATH_GPU_LOCK_DIR, else `stylepath-gpu-locks-<uid>` in the system temp dir
    (per user and per machine: /tmp is local to each node)."""
    environ = os.environ if environ is None else environ
    return Path(environ.get(LOCK_DIR_ENV) or Path(tempfile.gettempdir()) / f"stylepath-gpu-locks-{os.getuid()}")


def device_key(props, index: int) -> str:
    """The name of a GPU that does not depend on CUDA_VISIBLE_DEVICES: its UUID as nvidia-smi
    writes it (GPU-...), else its PCI address, else (neither known) its visible index."""
    uuid = str(getattr(props, "uuid", "") or "")
    if uuid.strip("0-"):
        return uuid if uuid.startswith(("GPU-", "MIG-")) else f"GPU-{uuid}"
    if getattr(props, "pci_bus_id", None) is not None:
        return f"PCI-{props.pci_domain_id:04x}:{props.pci_bus_id:02x}:{props.pci_device_id:02x}"
    return f"visible-{index}"


@dataclass
class GpuSlot:
    """A claimed GPU: its visible index, key and lock file. The lock holds while `file` is open."""

    index: int
    key: str
    path: Path
    file: IO

    def release(self) -> None:
        self.file.close()


def lock_path(key: str, directory) -> Path:
    return Path(directory) / (re.sub(r"[^A-Za-z0-9._-]", "_", key) + ".lock")


def try_claim(keys: list[str], directory, order=None) -> GpuSlot | None:
    """The first GPU of `order` (default: visible order) whose lock is free, now locked, or None."""
    directory = Path(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for index in range(len(keys)) if order is None else order:
        path = lock_path(keys[index], directory)
        file = open(path, "a+")  # never truncated before the lock is ours; never deleted
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            continue
        file.truncate(0)
        file.write(f"pid {os.getpid()} on {os.uname().nodename} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        file.flush()
        return GpuSlot(index, keys[index], path, file)
    return None


def holder(key: str, directory) -> str:
    """Who holds `key`'s lock, as its holder wrote it (best effort, for messages)."""
    try:
        return lock_path(key, directory).read_text().strip() or "unknown"
    except OSError:
        return "unknown"


def claim_gpu(keys: list[str], directory, timeout_s: float | None = None, poll_s: float | None = None) -> GpuSlot:
    """Claim one of the GPUs named by `keys` (index = CUDA index) for the life of this process.

    Tries them in visible order and takes the first free one: the locks alone keep jobs apart,
    so the first free card is as good as any, and the choice is predictable (with one GPU job
    at a time, it is always cuda:0). When every GPU is held by another stylepath job, says so
    once and waits; after `timeout_s` seconds (None: never) raises StylepathError.
    """
    if not keys:
        raise ValueError("no GPU to claim")
    start, said = time.monotonic(), False
    while (slot := try_claim(keys, directory)) is None:
        busy = ", ".join(f"cuda:{i} ({key}: {holder(key, directory)})" for i, key in enumerate(keys))
        if timeout_s is not None and time.monotonic() - start >= timeout_s:
            from stylepath.io import StylepathError

            raise StylepathError(
                f"every visible GPU stayed busy for {timeout_s:g} s: {busy}; locks in {directory}. "
                f"Run fewer GPU jobs at once (--resources gpu=N) or raise {WAIT_ENV}"
            )
        if not said:
            print(f"Every visible GPU is held by another stylepath job: {busy}. Waiting for one.", flush=True)
            said = True
        time.sleep(POLL_S if poll_s is None else poll_s)
    return slot


def wait_timeout(environ=None) -> float | None:
    """$STYLEPATH_GPU_WAIT_S as seconds, or None (wait as long as it takes)."""
    value = (os.environ if environ is None else environ).get(WAIT_ENV, "").strip()
    return float(value) if value else None
