"""What the models read: the prepared images with their metadata, and uint8 -> float tensors."""

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from stylepath.io import StylepathError

METADATA_COLUMNS = ["image_id", "style", "split"]


def load_images(images_path, metadata_path) -> tuple[np.ndarray, pd.DataFrame]:
    """(images, metadata): uint8 N x H x W x 3 (memory-mapped) and its N-row table with
    at least image_id, style, split; row i of the table describes image i."""
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


def to_model_input(batch: torch.Tensor, channels_last: bool = False) -> torch.Tensor:
    """uint8 B x H x W x 3 -> float32 B x 3 x H x W in [0, 1] (on the batch's device)."""
    x = batch.permute(0, 3, 1, 2).float().div(255)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    return x.contiguous(memory_format=memory_format)
