"""Files in and out: errors users can fix, and atomic writes (no half-written output ever
sits under its final name)."""

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

_UMASK = os.umask(0)
os.umask(_UMASK)


class StylepathError(Exception):
    """An error the user can fix: the message names the cause and the fix.

    The `stylepath` command prints it as one line and exits non-zero.
    """


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; rename it to `path` only if the block succeeds.

    On any error the temporary file is removed and `path` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        tmp.chmod(0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(obj, path) -> None:
    """Write `obj` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def read_json(path):
    return json.loads(Path(path).read_text())


def save_npy(array: np.ndarray, path) -> None:
    """Save an array as .npy, atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, array)


def write_parquet(table, path) -> None:
    """Write a pandas DataFrame or pyarrow Table to Parquet, atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def write_csv(frame, path) -> None:
    """Write a DataFrame to CSV, atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def save_figure(fig, path, dpi: int) -> None:
    """Save a matplotlib figure atomically and close it. A figure already laid out (by
    `fig.tight_layout()` or a layout engine) is saved as it is; one that is not is cropped to
    what it draws (bbox_inches="tight"), which costs a second full draw of the figure."""
    import matplotlib.pyplot as plt

    path = Path(path)
    crop = "tight" if fig.get_layout_engine() is None else None
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches=crop, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
