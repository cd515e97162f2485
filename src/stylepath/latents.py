"""The latent table, `encode`'s output and the input of analysis, pairs and interpolation.

latents/<model>.parquet, one row per image in the order of the prepared metadata:
    image_id, style, split   strings, from the metadata
    z                        fixed_size_list<float32>[latent_dim]: the code (ae, aae) or the
                             posterior mean (vae, beta_vae, tvae)
    logvar                   same type, the posterior log-variance (variational models only)
    recon_mse                float32: mean squared error per pixel (pixels in [0, 1]) of the
                             image decoded from z
    mean_colour_mse          float32: the same for a trivial baseline, the image replaced by its
                             own mean colour
and, in the file's metadata under "stylepath", a record of the model that wrote it: model (name),
its class's capabilities variational, prior (its objective pulls the codes towards N(0, I)),
adversarial and triplet_term, settings (its training settings) and image_size.
"""

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from stylepath.io import StylepathError

META_COLUMNS = ["image_id", "style", "split"]
PER_IMAGE_COLUMNS = ["recon_mse", "mean_colour_mse"]
METADATA_KEY = "stylepath"


def fixed_size_list(matrix: np.ndarray) -> pa.FixedSizeListArray:
    """N x D float array -> pyarrow fixed_size_list<float32>[D] of length N."""
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(matrix.ravel(), pa.float32()), matrix.shape[1])


def latent_table(metadata, encoded: dict, record: dict) -> pa.Table:
    """The latent table from the metadata, `encoded` = {"z": N x D, "logvar": N x D or None,
    "recon_mse": N, "mean_colour_mse": N} and the record of the model."""
    columns = {column: pa.array(metadata[column].astype(str), pa.string()) for column in META_COLUMNS}
    columns["z"] = fixed_size_list(encoded["z"])
    if encoded["logvar"] is not None:
        columns["logvar"] = fixed_size_list(encoded["logvar"])
    for name in ("recon_mse", "mean_colour_mse"):
        columns[name] = pa.array(encoded[name], pa.float32())
    return pa.table(columns, metadata={METADATA_KEY: json.dumps(record, sort_keys=True)})


def read_record(path) -> dict:
    """The record of the model that wrote the latent table at `path` (see the module doc)."""
    metadata = pq.read_schema(path).metadata or {}
    if METADATA_KEY.encode() not in metadata:
        raise StylepathError(f"{path} does not say which model wrote it; re-run `stylepath encode`")
    return json.loads(metadata[METADATA_KEY.encode()])


def list_column(table: pa.Table, name: str, path) -> np.ndarray:
    """A fixed-length list column as float64 N x D (exactly the stored float32 values), checked."""
    column = table.column(name).combine_chunks()
    is_list = pa.types.is_list(column.type) or pa.types.is_fixed_size_list(column.type)
    if table.num_rows == 0 or not is_list or column.null_count:
        raise StylepathError(f"{path}: {name} must be a list of numbers in every row; re-run `stylepath encode`")
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
    if lengths.min() != lengths.max() or lengths[0] == 0:
        raise StylepathError(f"{path}: {name} has a different length in some rows; re-run `stylepath encode`")
    values = column.flatten().to_numpy(zero_copy_only=False).astype(np.float64).reshape(table.num_rows, lengths[0])
    if not np.isfinite(values).all():
        raise StylepathError(
            f"{path}: {name} holds NaN or infinite values (did training diverge?); retrain with a lower learning rate"
        )
    return values


def read_latents(path, logvar: bool = False):
    """Read a latent table.

    Returns (meta, z), or (meta, z, logvar) with `logvar=True`: meta a DataFrame with image_id,
    style, split, recon_mse and mean_colour_mse (when present); z float64 N x D; logvar float64
    N x D, or None for deterministic models.
    """
    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as error:
        raise StylepathError(f"cannot read latent table {path}: {error}; re-run `stylepath encode`") from error
    missing = {*META_COLUMNS, "z"} - set(table.column_names)
    if missing:
        raise StylepathError(f"{path} lacks column(s) {sorted(missing)}; it must be written by `stylepath encode`")
    z = list_column(table, "z", path)
    meta = table.select([c for c in (*META_COLUMNS, *PER_IMAGE_COLUMNS) if c in table.column_names]).to_pandas()
    if not logvar:
        return meta, z
    return meta, z, list_column(table, "logvar", path) if "logvar" in table.column_names else None
