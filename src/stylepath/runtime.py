"""Seeds, devices and threads: what makes a run repeat to the same numbers."""

import os
import random

from stylepath import gpus

_SLOT = None  # the GpuSlot this process holds: its open lock file keeps the GPU ours until exit


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices).

    On CUDA also ask torch for deterministic kernels (the CPU kernels stylepath uses are
    deterministic already; the switch costs ~2 s of imports, so CPU runs skip it).
    """
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)


def select_device(name: str = "auto", *, gpu_job: bool = False):
    """The torch.device this process computes on.

    `auto` (the default): a job that holds Snakemake's `gpu` resource (`gpu_job=True`: train,
    walks, calibrate) claims a GPU of its own from the slot pool (`stylepath.gpus`; it waits while
    every visible GPU is held by another stylepath job) and keeps it until it exits; every
    other job, and every job on a machine without CUDA, uses the CPU: a job Snakemake does not
    count as a GPU job must not take a GPU from one that it counts.

    `STYLEPATH_DEVICE` in the environment overrides `name`, for every job: `cpu` forces the CPU;
    a device such as `cuda:1` (or `cuda`, meaning cuda:0) is used as given, even by CPU jobs,
    and never waits: its slot is taken when free, so pool jobs keep off it, and shared with a
    note in the log when another stylepath job holds it.
    """
    import torch

    global _SLOT
    name = os.environ.get("STYLEPATH_DEVICE") or name
    if name == "cpu" or (name == "auto" and not (gpu_job and torch.cuda.is_available())):
        return torch.device("cpu")
    if name != "auto" and torch.device(name).type != "cuda":
        return torch.device(name)  # mps, xpu, ...: no slot pool there
    if _SLOT is not None:  # claimed earlier in this process
        return torch.device("cuda", _SLOT.index)
    count = torch.cuda.device_count()
    keys = [gpus.device_key(torch.cuda.get_device_properties(i), i) for i in range(count)]
    directory = gpus.lock_dir()
    if name == "auto":
        slot = gpus.claim_gpu(keys, directory, gpus.wait_timeout())
        index, note = slot.index, f"slot lock {slot.path}"
    else:
        index = torch.device(name).index or 0
        if index >= count:
            from stylepath.io import StylepathError

            raise StylepathError(f"STYLEPATH_DEVICE={name}, but torch sees {count} CUDA devices: unset it or pick one")
        slot = gpus.try_claim(keys, directory, order=[index])
        shared = f"shared with another stylepath job ({gpus.holder(keys[index], directory)})"
        note = f"pinned by STYLEPATH_DEVICE, {f'slot lock {slot.path}' if slot else shared}"
    _SLOT = slot
    torch.cuda.set_device(index)
    props = torch.cuda.get_device_properties(index)
    print(f"Using cuda:{index} ({props.name}, uuid {keys[index]}), {note}", flush=True)
    return torch.device("cuda", index)


def set_threads(threads: int) -> None:
    """Limit torch's intra-op CPU threads (Snakemake's `threads:`)."""
    import torch

    torch.set_num_threads(max(1, int(threads)))
