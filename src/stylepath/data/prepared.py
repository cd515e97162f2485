"""The prepared data set, prepare-data's output and every later stage's input:

images.npy        uint8 N x S x S x 3, RGB
metadata.parquet  N rows: image_id, style, split ('train' | 'val'), source; row i describes image i
"""

from pathlib import Path

import numpy as np
import pandas as pd

from stylepath.io import StylepathError, save_npy, write_parquet

METADATA_COLUMNS = ["image_id", "style", "split", "source"]


def write_prepared(images: np.ndarray, metadata: pd.DataFrame, images_path, metadata_path) -> None:
    """Write the array and its table (atomically, each)."""
    save_npy(images, images_path)
    write_parquet(metadata[METADATA_COLUMNS], metadata_path)


def read_prepared(images_path, metadata_path) -> tuple[np.ndarray, pd.DataFrame]:
    """(images, metadata): uint8 N x S x S x 3 (memory-mapped) and its N-row table, checked."""
    for path in (images_path, metadata_path):
        if not Path(path).is_file():
            raise StylepathError(f"{path} does not exist; run `stylepath prepare-data` (or snakemake) first")
    images = np.load(images_path, mmap_mode="r")
    metadata = pd.read_parquet(metadata_path)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[3] != 3 or images.shape[1] != images.shape[2]:
        raise StylepathError(
            f"{images_path} holds {images.dtype} {images.shape}, not uint8 N x H x W x 3 with H = W; "
            "re-run `stylepath prepare-data`"
        )
    missing = [column for column in METADATA_COLUMNS if column not in metadata.columns]
    if missing:
        raise StylepathError(f"{metadata_path} lacks columns {missing}; re-run `stylepath prepare-data`")
    if len(metadata) != len(images):
        raise StylepathError(
            f"{images_path} has {len(images)} images but {metadata_path} has {len(metadata)} rows; "
            "they come from different runs of prepare-data: re-run it"
        )
    return images, metadata.reset_index(drop=True)
