"""Portilla & Simoncelli (2000) texture statistics and the distance between two images under them.

The statistics are plenoptic's port of the model (`plenoptic.models.PortillaSimoncelli`, 2.x): a
complex steerable pyramid with `n_scales` scales and `n_orientations` orientations, and on it the
pixel moments (mean, variance, skew, kurtosis, min, max), the central auto-correlations (width
`spatial_corr_width`) of the coefficient magnitudes and of the lowpass images reconstructed at
each scale, their std, skew and kurtosis, the cross-orientation and cross-scale correlations of
the magnitudes, the cross-scale correlations of the real parts with the phase-doubled coarser
coefficients, and the variance of the highpass residual; redundant (symmetric) entries dropped,
as the model does. No learned weights.

Colour: the model is defined on grey images; each RGB channel (in [0, 1]) is analysed on its own
(the model treats channels independently), so an image has 3 x S statistics, S per channel.
Colour texture (broken colour, coloured strokes) is then seen; cross-channel correlations are not.

Degenerate signals: for a band (or image) of zero variance the normalised statistics (skew,
kurtosis, auto- and cross-correlations) are 0/0. They are given the values of a Gaussian signal,
the convention plenoptic itself uses for the reconstructed images' skew and kurtosis: skew 0,
kurtosis 3, every correlation 0. This applies to every non-finite statistic, and to all the
normalised statistics of a channel whose pixel variance is below FLAT_VARIANCE (a flat channel,
whose float32 rounding would otherwise give skews of 1e5; a uint8 image differing from flat by
one level in one pixel of 128 x 128 still has a variance of 4e-9).

Image size: the pyramid halves the image n_scales times and the auto-correlations of the
coarsest lowpass image need spatial_corr_width positions, so for a side of P px

    1 <= n_scales <= min(log2(P) - 2, log2(P / spatial_corr_width)), P divisible by 2^n_scales

(log2(P) - 2 is the highest pyramid plenoptic builds). `n_scales: null` takes the largest valid
value up to plenoptic's default of 4: with the default width 7, 2 at 32 px, 3 at 64 px, 4 at 128 px.

Distance. Each statistic i is standardised by its spread sd_i: the standard deviation (ddof 1)
of that statistic over reference images, the run's own data set (data/images.npy; at most
`reference_images` of them, a subset drawn with the run's `seed`), so the scale is the same for
every chain of a run and reproducible. Statistics with no spread there (sd_i <= 1e-6 max(1, |mean_i|),
e.g. a pixel min that is 0 in every image) are left out. Per group g of statistics (the keys of
the model's `convert_to_dict`, all channels together), between images a and b

    D_g(a, b) = mean over i in g of ((s_i(a) - s_i(b)) / sd_i)^2
    total     = mean over groups of D_g

a squared distance like Gatys' E_l, with each group weighted equally so that neither units nor
the number of statistics in a group (about 200 auto-correlations against 6 pixel moments) lets
one group dominate. D is 0 between identical images and symmetric.
"""

import hashlib
import math

import numpy as np
import pandas as pd
from tqdm import tqdm

from stylepath.io import StylepathError
from stylepath.transitions import transitions, walk_order

INSTRUMENT = "portilla_simoncelli"
LIBRARY_N_SCALES = 4  # plenoptic's default
SPREAD_RESOLUTION = 1e-6  # float32: a spread below this (relative) is rounding, not variation
FLAT_VARIANCE = 1e-10  # pixel variance (pixels in [0, 1]) of a flat channel
# The normalised statistics (group, positions in it or None for all): 0/0 on a flat signal, where
# they take the Gaussian value, 3 for the kurtoses and 0 for the others.
KURTOSIS = {("pixel_statistics", (3,)), ("kurtosis_reconstructed", None)}
NORMALISED = {
    ("pixel_statistics", (2, 3)),
    ("skew_reconstructed", None),
    ("kurtosis_reconstructed", None),
    ("auto_correlation_magnitude", None),
    ("auto_correlation_reconstructed", None),
    ("cross_orientation_correlation_magnitude", None),
    ("cross_scale_correlation_magnitude", None),
    ("cross_scale_correlation_real", None),
}
PIXEL_VARIANCE = 1  # position of the variance among the pixel statistics


def max_n_scales(image_size: int, spatial_corr_width: int) -> int:
    """Largest n_scales plenoptic's model admits for square images of `image_size` px (0 if none)."""
    n = 0
    while (
        image_size % 2 ** (n + 1) == 0
        and n + 1 <= int(math.log2(image_size)) - 2
        and image_size // 2 ** (n + 1) >= spatial_corr_width
    ):
        n += 1
    return n


def resolve_n_scales(settings: dict, image_size: int) -> int:
    """`n_scales` of the settings (style_loss.portilla_simoncelli), or the largest valid one up to 4
    when null; a clear error when the image size does not allow it."""
    width, largest = settings["spatial_corr_width"], max_n_scales(image_size, settings["spatial_corr_width"])
    if largest < 1:
        raise StylepathError(
            f"style_loss.portilla_simoncelli: {image_size} px images are too small for spatial_corr_width "
            f"{width}; lower spatial_corr_width (at most {image_size // 2}) or use larger images"
        )
    n_scales = settings["n_scales"]
    if n_scales is None:
        return min(LIBRARY_N_SCALES, largest)
    if not 1 <= n_scales <= largest:
        raise StylepathError(
            f"style_loss.portilla_simoncelli.n_scales is {n_scales}, but {image_size} px images with "
            f"spatial_corr_width {width} allow 1 to {largest}; set it in that range or null"
        )
    return n_scales


class TextureStatistics:
    """plenoptic's PortillaSimoncelli model on RGB images, channel by channel.

    `__call__`: images float B x 3 x H x W in [0, 1] (a torch tensor on `device`) -> float64 numpy
    B x 3S, the S statistics of channel 0, then of channel 1, then of channel 2. `groups` names the
    groups of statistics in the model's order; `group_of[j]` is the group index of column j.
    """

    def __init__(self, image_size: int, n_scales: int, n_orientations: int, spatial_corr_width: int, device="cpu"):
        import plenoptic
        import torch

        self.model = plenoptic.models.PortillaSimoncelli(
            (image_size, image_size),
            n_scales=n_scales,
            n_orientations=n_orientations,
            spatial_corr_width=spatial_corr_width,
        ).to(device)
        self.device = device
        # Where each statistic sits: run the numbers 0..S-1 through the model's own unpacking.
        n_statistics = len(self.model._representation_scales)
        positions = self.model.convert_to_dict(torch.arange(n_statistics, dtype=torch.float64).view(1, 1, -1))
        self.groups = list(positions)
        group_of, fill, normalised = np.empty(n_statistics, int), np.zeros(n_statistics), np.zeros(n_statistics, bool)
        for g, (name, where) in enumerate(positions.items()):
            flat = where.flatten()
            columns = flat[~torch.isnan(flat)].long().numpy()
            group_of[columns] = g
            for group, chosen in KURTOSIS:
                if group == name:
                    fill[columns if chosen is None else columns[list(chosen)]] = 3.0
            for group, chosen in NORMALISED:
                if group == name:
                    normalised[columns if chosen is None else columns[list(chosen)]] = True
        self.n_statistics = n_statistics
        self.variance_column = int(positions["pixel_statistics"].flatten()[PIXEL_VARIANCE])
        self.group_of = np.tile(group_of, 3)
        self.fill = fill  # per channel: the Gaussian value of each statistic where it is 0/0
        self.normalised = normalised

    def __call__(self, images) -> np.ndarray:
        import torch

        with torch.inference_mode():
            statistics = self.model(images).double().cpu().numpy()  # B x 3 x S
        flat = statistics[..., self.variance_column] < FLAT_VARIANCE  # B x 3
        undefined = ~np.isfinite(statistics) | (flat[..., None] & self.normalised)
        return np.where(undefined, self.fill, statistics).reshape(len(statistics), -1)


def texture_statistics(texture: TextureStatistics, images, rows, batch_size: int, desc: str) -> np.ndarray:
    """Statistics of images[rows]: images uint8 N x H x W x 3 (array or memmap) -> float64 len(rows) x 3S,
    computed `batch_size` images at a time on the texture's device."""
    import torch

    out = []
    for start in tqdm(range(0, len(rows), batch_size), desc=desc, unit="batch"):
        pixels = np.asarray(images[rows[start : start + batch_size]])
        batch = torch.from_numpy(pixels).to(texture.device).permute(0, 3, 1, 2).float() / 255.0
        out.append(texture(batch))
    return np.concatenate(out) if out else np.empty((0, 3 * texture.n_statistics))


def reference_rows(n_images: int, limit: int, seed: int) -> np.ndarray:
    """Rows of the data set whose statistics set the spread: all of them, or `limit` drawn with `seed`
    (sorted), the same for every chain of a run."""
    if n_images <= limit:
        return np.arange(n_images)
    return np.sort(np.random.default_rng(seed).choice(n_images, size=limit, replace=False))


def spread(statistics: np.ndarray) -> np.ndarray:
    """Standard deviation (ddof 1) of each statistic over images (rows); NaN where it is too small
    to standardise by (see the module doc): those statistics are left out of the distance."""
    if len(statistics) < 2:
        raise StylepathError("the spread of the texture statistics needs at least 2 reference images")
    sd = statistics.std(axis=0, ddof=1)
    usable = sd > SPREAD_RESOLUTION * np.maximum(1.0, np.abs(statistics.mean(axis=0)))
    return np.where(usable, sd, np.nan)


def group_distances(a: np.ndarray, b: np.ndarray, sd: np.ndarray, group_of: np.ndarray, n_groups: int) -> np.ndarray:
    """D_g between rows of a and b (float64 K x 3S each; sd, group_of: 3S) -> K x n_groups.
    A group without a usable statistic is NaN."""
    squared = ((a - b) / sd) ** 2  # NaN in the columns left out
    out = np.full((len(a), n_groups), np.nan)
    for g in range(n_groups):
        columns = (group_of == g) & np.isfinite(sd)
        if columns.any():
            out[:, g] = squared[:, columns].mean(axis=1)
    return out


def total_distance(groups: np.ndarray) -> np.ndarray:
    """Mean of D_g over the groups that have usable statistics: K x G -> K."""
    return np.nanmean(groups, axis=1) if groups.size else np.empty(len(groups))


def distance(texture: TextureStatistics, a, b, sd: np.ndarray) -> np.ndarray:
    """Total distance between images a and b (float B x 3 x H x W tensors in [0, 1]) -> B."""
    groups = group_distances(texture(a), texture(b), sd, texture.group_of, len(texture.groups))
    return total_distance(groups)


# ----------------------------------------------------------------------------- the instrument


def walk_texture_distances(texture, sd, images, index, batch_size):
    """Portilla-Simoncelli distance between consecutive images of each walk (stylepath.portilla_simoncelli):
    each image's statistics computed once, in batches. Returns pair_id, criterion, step, t_from, t_to,
    one column per group of statistics (D_g), total (their mean)."""
    index, same_walk = walk_order(index, len(images))
    statistics = texture_statistics(texture, images, index["row"].to_numpy(), batch_size, "texture statistics")
    groups = group_distances(statistics[:-1], statistics[1:], sd, texture.group_of, len(texture.groups))
    table = transitions(index, same_walk)
    for g, name in enumerate(texture.groups):
        table[name] = groups[same_walk, g]
    table["total"] = total_distance(groups[same_walk])
    return table


def texture_table(settings: dict, seed: int, images, index, data_images, device) -> tuple[pd.DataFrame, dict]:
    """The Portilla-Simoncelli instrument: its table (weights_id 'none': no learned weights) and what the
    info file records of it, the reference images that set the spread included."""
    import plenoptic

    block, image_size = settings[INSTRUMENT], int(images.shape[1])
    if data_images is None:
        raise StylepathError("the portilla_simoncelli instrument needs --data-images (the run's data/images.npy)")
    if data_images.shape[1:] != images.shape[1:]:
        raise StylepathError(
            f"the data set's images are {data_images.shape[1:]} but the walk's {images.shape[1:]}; "
            "re-run the pipeline from prepare_data"
        )
    n_scales = resolve_n_scales(block, image_size)
    texture = TextureStatistics(image_size, n_scales, block["n_orientations"], block["spatial_corr_width"], device)
    reference = reference_rows(len(data_images), block["reference_images"], seed)
    sd = spread(texture_statistics(texture, data_images, reference, settings["batch_size"], "reference statistics"))
    table = walk_texture_distances(texture, sd, images, index, settings["batch_size"])
    table["weights_id"] = "none"
    usable = np.isfinite(sd)
    info = {
        "plenoptic": plenoptic.__version__,
        "n_scales": n_scales,
        "n_orientations": block["n_orientations"],
        "spatial_corr_width": block["spatial_corr_width"],
        "colour": "each RGB channel on its own",
        "groups": texture.groups,
        "n_statistics": {g: int((texture.group_of == k).sum()) for k, g in enumerate(texture.groups)},
        "n_standardised": {g: int((usable & (texture.group_of == k)).sum()) for k, g in enumerate(texture.groups)},
        "reference_images": int(len(reference)),
        "reference_rows_sha256": hashlib.sha256(reference.astype(np.int64).tobytes()).hexdigest()[:12],
        "spread_sha256": hashlib.sha256(np.nan_to_num(sd, nan=-1.0).tobytes()).hexdigest()[:12],
    }
    return table, info
