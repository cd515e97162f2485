"""Portilla-Simoncelli instrument: the statistics against their definition on images whose
statistics are known in closed form, the size rule, the standardisation and the distance."""

import numpy as np
import pandas as pd
import pytest
import torch

from stylepath.io import StylepathError
from stylepath.portilla_simoncelli import (
    TextureStatistics,
    distance,
    max_n_scales,
    reference_rows,
    resolve_n_scales,
    spread,
    walk_texture_distances,
)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def texture64():
    return TextureStatistics(64, n_scales=3, n_orientations=4, spatial_corr_width=7)


def unpack(texture, row, channel=0) -> dict:
    """One channel's statistics of one image as {group: array} in the model's own layout
    (magnitude_std: orientations x scales, ...)."""
    n = texture.n_statistics
    flat = torch.from_numpy(row[channel * n : (channel + 1) * n]).view(1, 1, -1)
    return {k: v[0, 0].numpy() for k, v in texture.model.convert_to_dict(flat).items()}


def grey(image: np.ndarray) -> torch.Tensor:
    """H x W (or B x H x W) array -> float B x 3 x H x W tensor, the same grey in every channel."""
    image = np.asarray(image, np.float32)
    image = image[None] if image.ndim == 2 else image
    return torch.from_numpy(np.repeat(image[:, None], 3, axis=1))


# ----------------------------------------------------------------------------- image size


def test_n_scales_follow_from_the_image_size():
    # side P: P / 2^n >= width (coarsest lowpass holds the auto-correlation), n <= log2(P) - 2
    assert [max_n_scales(p, 7) for p in (32, 64, 128)] == [2, 3, 4]
    assert [max_n_scales(p, 3) for p in (32, 64, 128)] == [3, 4, 5]
    assert max_n_scales(48, 7) == 2  # 48 / 4 = 12, 48 / 8 = 6 < 7
    settings = {"n_scales": None, "spatial_corr_width": 7}
    assert [resolve_n_scales(settings, p) for p in (32, 64, 128)] == [2, 3, 4]  # capped at plenoptic's 4
    assert resolve_n_scales({**settings, "n_scales": 1}, 32) == 1
    with pytest.raises(StylepathError, match="allow 1 to 2"):
        resolve_n_scales({**settings, "n_scales": 3}, 32)
    with pytest.raises(StylepathError, match="too small"):
        resolve_n_scales({"n_scales": None, "spatial_corr_width": 17}, 32)


def test_the_largest_n_scales_is_what_the_model_accepts():
    for side in (32, 64):
        largest = max_n_scales(side, 7)
        TextureStatistics(side, largest, 4, 7)(torch.rand(1, 3, side, side))
        with pytest.raises(ValueError):
            TextureStatistics(side, largest + 1, 4, 7)(torch.rand(1, 3, side, side))


# ----------------------------------------------------------------------------- closed forms


@pytest.mark.parametrize("level", [0.0, 0.3, 1.0])
def test_constant_image_has_its_level_and_no_variation(texture64, level):
    stats = unpack(texture64, texture64(grey(np.full((64, 64), level)))[0])
    mean, var, skew, kurtosis, low, high = stats["pixel_statistics"]
    assert mean == pytest.approx(level) and low == pytest.approx(level) and high == pytest.approx(level)
    assert var == pytest.approx(0, abs=1e-12)
    assert (skew, kurtosis) == (0.0, 3.0)  # 0/0: the Gaussian convention
    for group in ("std_reconstructed", "magnitude_std", "var_highpass_residual"):
        np.testing.assert_allclose(stats[group], 0, atol=1e-6)
    np.testing.assert_array_equal(stats["skew_reconstructed"], 0)
    np.testing.assert_array_equal(stats["kurtosis_reconstructed"], 3)
    for group in ("cross_orientation_correlation_magnitude", "cross_scale_correlation_real"):
        kept = stats[group][np.isfinite(stats[group])]
        np.testing.assert_array_equal(kept, 0)


@pytest.mark.parametrize("band", [0, 1, 2, 3])
def test_a_grating_puts_its_energy_in_its_orientation_band(texture64, band):
    """A grating whose frequency vector points at angle theta = pi band / 4 (4 orientations): the
    steerable pyramid's band k has angular response |cos(theta - pi k / 4)|^3 (order 3), so band
    `band` holds the energy, its neighbours cos^3(45 deg) = 0.354 of it and the orthogonal band none.
    The magnitude of a pure grating is constant, so a slow envelope (one cycle along the same
    direction) makes the magnitude vary; its std is then amplitude x the angular response."""
    y, x = np.mgrid[0:64, 0:64]
    direction = [(1, 0), (1, 1), (0, 1), (-1, 1)][band]
    cycles = 12 if band in (0, 2) else 8  # |frequency| ~ 0.36 pi: inside scale 1
    along = direction[0] * x + direction[1] * y
    envelope = 1 + 0.5 * np.cos(2 * np.pi * along / 64)
    image = 0.5 + 0.2 * envelope * np.cos(2 * np.pi * cycles * along / 64)
    magnitude_std = unpack(texture64, texture64(grey(image))[0])["magnitude_std"]  # orientations x scales
    at_scale = magnitude_std[:, magnitude_std.max(axis=0).argmax()]
    theta = np.pi * band / 4
    expected = np.abs(np.cos(theta - np.pi * np.arange(4) / 4)) ** 3
    np.testing.assert_allclose(at_scale / at_scale.max(), expected, atol=0.01)
    assert at_scale.argmax() == band
    np.testing.assert_allclose(magnitude_std[(band + 2) % 4], 0, atol=1e-4 * at_scale.max())  # orthogonal
    np.testing.assert_allclose(magnitude_std[:, 2], 0, atol=1e-3 * at_scale.max())  # no coarse energy


def test_white_noise_is_gaussian_and_isotropic(texture64):
    """Gaussian white noise N(0.5, 0.1^2): pixel skew 0 and kurtosis 3; every band and lowpass image
    is a linear filter of it, hence Gaussian too (skew 0, kurtosis 3); no orientation is preferred;
    and x -> -x leaves the noise's law unchanged but flips the real coefficients while keeping the
    phase-doubled ones, so their cross-scale correlations are 0."""
    rng = np.random.default_rng(0)
    noise = 0.5 + 0.1 * rng.standard_normal((16, 64, 64))
    rows = texture64(grey(noise))
    stats = [unpack(texture64, row) for row in rows]

    def mean_of(group):
        return np.mean([s[group] for s in stats], axis=0)

    mean, var, skew, kurtosis = mean_of("pixel_statistics")[:4]
    assert mean == pytest.approx(0.5, abs=0.002) and var == pytest.approx(0.01, rel=0.02)
    assert skew == pytest.approx(0, abs=0.02) and kurtosis == pytest.approx(3, abs=0.05)
    np.testing.assert_allclose(mean_of("skew_reconstructed")[:3], 0, atol=0.05)
    np.testing.assert_allclose(mean_of("kurtosis_reconstructed")[:3], 3, atol=0.15)
    magnitude_std = mean_of("magnitude_std")  # orientations x scales
    np.testing.assert_allclose(magnitude_std / magnitude_std.mean(axis=0), 1, atol=0.05)
    real = mean_of("cross_scale_correlation_real")
    real = real[np.isfinite(real)]
    assert abs(real.mean()) < 0.005 and np.abs(real).max() < 0.06  # sampling error of 16 images


# ----------------------------------------------------------------------------- the distance


def oriented_texture(angle: float, seed: int, side: int = 40) -> np.ndarray:
    """Noise smoothed along `angle` (radians): streaks in that direction, in [0, 1], side x side."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((side, side))
    fy, fx = np.meshgrid(np.fft.fftfreq(side), np.fft.fftfreq(side), indexing="ij")
    along = fx * np.cos(angle) + fy * np.sin(angle)
    across = -fx * np.sin(angle) + fy * np.cos(angle)
    spectrum = np.exp(-((along / 0.03) ** 2) - (across / 0.25) ** 2)
    field = np.real(np.fft.ifft2(np.fft.fft2(noise) * spectrum))
    return np.clip(0.5 + 0.15 * field / field.std(), 0, 1)


@pytest.fixture(scope="module")
def textures():
    """32 px crops of two textures (streaks at 0 and 90 degrees), a texture statistic model, and
    the spread over crops of both (the reference set)."""
    texture = TextureStatistics(32, 2, 4, 7)
    reference = [oriented_texture(a, s)[:32, :32] for a in (0, np.pi / 2) for s in range(10, 30)]
    sd = spread(texture(grey(np.stack(reference))))
    return texture, sd


def test_distance_is_zero_for_identical_images_and_symmetric(textures):
    texture, sd = textures
    a, b = grey(oriented_texture(0, 1)[:32, :32]), grey(oriented_texture(np.pi / 2, 2)[:32, :32])
    assert distance(texture, a, a, sd)[0] == 0.0
    assert distance(texture, a, b, sd)[0] == pytest.approx(distance(texture, b, a, sd)[0], rel=1e-12)
    assert distance(texture, a, b, sd)[0] > 0


def test_a_texture_change_is_farther_than_a_small_shift_of_the_same_texture(textures):
    texture, sd = textures
    for seed in range(3):
        big = oriented_texture(0, seed)
        crop, shifted = grey(big[:32, :32]), grey(big[2:34, 3:35])
        other = grey(oriented_texture(np.pi / 2, seed)[:32, :32])
        shift, change = distance(texture, crop, shifted, sd)[0], distance(texture, crop, other, sd)[0]
        assert change > 2 * shift, (seed, shift, change)


def test_spread_leaves_out_statistics_that_do_not_vary():
    statistics = np.array([[1.0, 0.0, 5.0], [1.0, 1.0, 5.0 + 1e-9], [1.0, 2.0, 5.0]])
    sd = spread(statistics)
    assert np.isnan(sd[0]) and np.isnan(sd[2]) and sd[1] == pytest.approx(1.0)
    with pytest.raises(StylepathError, match="at least 2"):
        spread(statistics[:1])


def test_reference_rows_are_seeded_and_all_rows_when_few():
    np.testing.assert_array_equal(reference_rows(10, 512, 0), np.arange(10))
    rows = reference_rows(1000, 100, 3)
    assert len(rows) == 100 == len(set(rows)) and (np.diff(rows) > 0).all()
    np.testing.assert_array_equal(rows, reference_rows(1000, 100, 3))
    assert not np.array_equal(rows, reference_rows(1000, 100, 4))


def test_walk_distances_compare_consecutive_images_of_each_walk_once(textures):
    """Two walks of 4 images, given shuffled: each transition's distance equals the distance between
    its two images computed directly; the groups' mean is the total."""
    texture, sd = textures
    frames = [oriented_texture(angle, 5)[:32, :32] for angle in np.linspace(0, np.pi / 2, 4)]
    frames += [oriented_texture(0, seed)[:32, :32] for seed in range(40, 44)]
    images = (np.repeat(np.stack(frames)[..., None], 3, axis=-1) * 255).round().astype(np.uint8)
    index = pd.DataFrame(
        {"row": np.arange(8), "pair_id": np.repeat([0, 1], 4), "criterion": np.repeat(["random", "nearest"], 4),
         "step": np.tile(np.arange(4), 2), "t": np.tile(np.linspace(0, 1, 4), 2)}
    ).sample(frac=1, random_state=0)  # fmt: skip
    table = walk_texture_distances(texture, sd, images, index, batch_size=3)
    assert list(table["pair_id"]) == [0, 0, 0, 1, 1, 1] and list(table["step"]) == [0, 1, 2] * 2
    as_float = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    direct = distance(texture, as_float[[0, 1, 2, 4, 5, 6]], as_float[[1, 2, 3, 5, 6, 7]], sd)
    np.testing.assert_allclose(table["total"], direct, rtol=1e-9)
    np.testing.assert_allclose(table["total"], table[texture.groups].mean(axis=1), rtol=1e-12)
