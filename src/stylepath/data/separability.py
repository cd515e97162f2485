"""How far style is visible in simple image statistics: colour versus texture.

Two per-image descriptors and one score, general enough for any data set (any number of
styles, any square size; the same code reports the synthetic set and real ones):

- `colour_features`: mean and standard deviation of each RGB channel (6 numbers). If these
  predict the style, a model can "cluster by style" by learning little more than colour.
- `texture_features`: statistics of the grey levels that ignore the mean colour (and any
  constant shift of it): energy, robust energy and heavy-tailedness of three band-pass
  images (sigma 0-1, 1-2, 2-4 px); how directed the fine texture is (structure-tensor
  coherence: strokes vs dabs vs grain); and the autocorrelation of the finest band at lags
  1, 2 and 4 px, summarised over four directions so that the way strokes run does not
  matter. Nothing here knows how the synthetic set is made.
- `held_out_accuracy`: a standardised multinomial logistic regression fitted on the 'train'
  rows and scored on the 'val' rows (chance is 1 / number of styles).
"""

import numpy as np
from scipy import ndimage
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

CHUNK = 512  # images per block in texture_features: bounded memory on large sets
N_TEXTURE = 28  # texture features per image
LAGS = (1, 2, 4)
DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))  # (dy, dx): horizontal, vertical, two diagonals
EPS = 1e-8


def as_float(images) -> np.ndarray:
    """uint8 (0-255) or float (0-1) N x H x W x 3 -> float32 in [0, 1]."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255
    return images.astype(np.float32)


def colour_features(images) -> np.ndarray:
    """N x 6: the mean of the R, G and B channels, then their standard deviations."""
    x = as_float(images)
    return np.concatenate([x.mean(axis=(1, 2)), x.std(axis=(1, 2))], axis=1).astype(np.float64)


def grey_levels(images) -> np.ndarray:
    """N x H x W luma (Rec. 601 weights), each image minus its own mean."""
    grey = as_float(images) @ np.array([0.299, 0.587, 0.114], np.float32)
    return grey - grey.mean(axis=(1, 2), keepdims=True)


def blur(grey: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of each image of an N x H x W stack (reflecting borders)."""
    return ndimage.gaussian_filter(grey, sigma=(0, sigma, sigma), mode="reflect")


def band_statistics(band: np.ndarray) -> list[np.ndarray]:
    """log mean |b|, log median |b| (the texture of flat areas, robust to a few edges) and
    log kurtosis (sparse edges vs dense texture) of one band-pass image per row."""
    magnitude = np.abs(band).reshape(len(band), -1)
    power = (band**2).reshape(len(band), -1).mean(1)
    kurtosis = (band**4).reshape(len(band), -1).mean(1) / (power**2 + EPS)
    return [
        np.log(magnitude.mean(1) + 1e-5),
        np.log(np.median(magnitude, axis=1) + 1e-5),
        np.log(kurtosis + EPS),
    ]


def coherence_statistics(grey: np.ndarray) -> list[np.ndarray]:
    """How directed the fine texture is (strokes vs dabs vs grain): the coherence of the
    structure tensor, (l1 - l2) / (l1 + l2) in [0, 1], of the high-pass images below sigma 1
    and 2 px (so that the broad gradients of the content do not count); per band its mean
    and median over the pixels within windows of sigma 1 and 2 px, and the coherence of the
    whole image (one direction shared by all strokes)."""
    features = []
    for cutoff in (1.0, 2.0):
        gy, gx = np.gradient(grey - blur(grey, cutoff), axis=(1, 2))
        tensor = (gx * gx, gy * gy, gx * gy)
        for window in (1.0, 2.0):
            jxx, jyy, jxy = (blur(t, window) for t in tensor)
            coherence = (np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (jxx + jyy + EPS)).reshape(len(grey), -1)
            features += [coherence.mean(1), np.median(coherence, axis=1)]
        jxx, jyy, jxy = (t.sum(axis=(1, 2)) for t in tensor)
        features.append(np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (jxx + jyy + EPS))
    return features


def shifted_pairs(band: np.ndarray, dy: int, dx: int) -> tuple[np.ndarray, np.ndarray]:
    """The overlapping parts of a stack and of itself shifted by (dy >= 0, dx) pixels."""
    height, width = band.shape[1:]
    if dx >= 0:
        return band[:, : height - dy, : width - dx], band[:, dy:, dx:]
    return band[:, : height - dy, -dx:], band[:, dy:, : width + dx]


def autocorrelation_statistics(band: np.ndarray) -> list[np.ndarray]:
    """Normalised autocorrelation of a band-pass image at lags 1, 2, 4 px in four directions;
    per lag the largest, the smallest and the mean over the directions (so that it does not
    matter which way strokes run: long strokes give a high maximum and a low minimum)."""
    power = (band**2).mean(axis=(1, 2)) + EPS
    features = []
    for lag in LAGS:
        values = []
        for dy, dx in DIRECTIONS:
            a, b = shifted_pairs(band, lag * dy, lag * dx)
            values.append((a * b).mean(axis=(1, 2)) / power)
        values = np.stack(values, axis=1)
        features += [values.max(1), values.min(1), values.mean(1)]
    return features


def texture_block(grey: np.ndarray) -> np.ndarray:
    """texture_features of one block of mean-free grey images."""
    smooth1, smooth2, smooth4 = blur(grey, 1.0), blur(grey, 2.0), blur(grey, 4.0)
    fine, middle, coarse = grey - smooth1, smooth1 - smooth2, smooth2 - smooth4
    columns = []
    for band in (fine, middle, coarse):
        columns += band_statistics(band)
    columns += coherence_statistics(grey)
    columns += autocorrelation_statistics(fine)
    return np.stack(columns, axis=1).astype(np.float64)


def texture_features(images) -> np.ndarray:
    """N x 28 texture descriptor of the grey levels, blind to the mean colour: statistics of
    the band-pass images at sigma 0-1, 1-2 and 2-4 px (9), the coherence of the fine
    texture (10) and the autocorrelation of the 0-1 px band (9). Scales are in pixels:
    compare descriptors only between images of one size. Vectorised, in blocks of CHUNK
    images (float32)."""
    images = np.asarray(images)
    blocks = [texture_block(grey_levels(images[start : start + CHUNK])) for start in range(0, len(images), CHUNK)]
    return np.concatenate(blocks) if blocks else np.zeros((0, N_TEXTURE))


def held_out_accuracy(features, styles, splits, seed: int) -> float:
    """Accuracy on the 'val' rows of a multinomial logistic regression fitted on the 'train'
    rows to predict the style, the features standardised with the train rows' mean and
    standard deviation. `seed` is passed to the solver (lbfgs: deterministic anyway)."""
    features, styles, splits = np.asarray(features, float), np.asarray(styles), np.asarray(splits)
    train, val = splits == "train", splits == "val"
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, random_state=seed))
    classifier.fit(features[train], styles[train])
    return float(classifier.score(features[val], styles[val]))
