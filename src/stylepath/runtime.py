"""Seeds, devices and threads: what makes a run repeat to the same numbers."""

import os
import random

import numpy as np


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices).

    On CUDA also ask torch for deterministic kernels (the CPU kernels stylepath uses are
    deterministic already; the switch costs ~2 s of imports, so CPU runs skip it).
    """
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)


def select_device(name: str = "auto"):
    """torch.device: CUDA when available and not disabled, else CPU.

    `STYLEPATH_DEVICE=cpu` in the environment forces the CPU.
    """
    import torch

    name = os.environ.get("STYLEPATH_DEVICE", name)
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def set_threads(threads: int) -> None:
    """Limit torch's intra-op CPU threads (Snakemake's `threads:`)."""
    import torch

    torch.set_num_threads(max(1, int(threads)))
