"""The synthetic paintings: deterministic; style is in the texture, not in the colour
statistics; content varies from image to image and is drawn the same way in every style.
And the separability measures that say so (also reported for real data sets)."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy import ndimage
from sklearn.linear_model import LogisticRegression

from stylepath.data import separability, synthetic
from stylepath.data.prepare_data import split
from stylepath.figures.plot_data import accuracy_line, contact_sheet
from stylepath.io import StylepathError, save_figure

STYLES = list(synthetic.STYLES)
N = 100  # per style: the default run's data set (400 images of 32 px, seed 0), ~2 s


@pytest.fixture(scope="module")
def default_set():
    """(images, styles, splits) of the default run, split as prepare-data splits it."""
    images, rows = synthetic.generate(STYLES, N, 32, seed=0)
    styles = np.array([row["style"] for row in rows])
    return images, styles, split(list(styles), 0.2, 0)


def test_same_seed_same_bytes_other_seed_other_images(default_set):
    images, _, _ = default_set
    assert images.dtype == np.uint8 and images.shape == (4 * N, 32, 32, 3)
    again, rows = synthetic.generate(STYLES, 5, 32, seed=0)  # image i does not depend on n_per_style
    assert again.tobytes() == images.reshape(4, N, 32, 32, 3)[:, :5].tobytes()
    assert [row["image_id"] for row in rows[:2]] == ["synthetic/impressionism/00000", "synthetic/impressionism/00001"]
    other, _ = synthetic.generate(STYLES, 5, 32, seed=1)
    assert np.abs(again.astype(int) - other).mean() > 10
    assert synthetic.paint("realism", 0, 3, 32).tobytes() == images[2 * N + 3].tobytes()


def test_a_style_does_not_depend_on_the_others():
    alone, _ = synthetic.generate(["realism"], 3, 32, seed=0)
    together, _ = synthetic.generate(["romanticism", "realism"], 3, 32, seed=0)
    assert alone.tobytes() == together[3:].tobytes()


@pytest.mark.parametrize("size", [64, 128])
def test_a_painting_is_the_same_scene_at_every_size(size):
    small = synthetic.paint("expressionism", 0, 7, 32).astype(float)
    large = synthetic.paint("expressionism", 0, 7, size)
    assert large.dtype == np.uint8 and large.shape == (size, size, 3)
    factor = size // 32
    shrunk = large.reshape(32, factor, 32, factor, 3).mean(axis=(1, 3))
    blurred = [ndimage.gaussian_filter(image, (1.5, 1.5, 0)).ravel() for image in (small, shrunk)]
    assert np.corrcoef(*blurred)[0, 1] > 0.9  # the brushwork differs in detail, the scene does not


def edge_map(image: np.ndarray) -> np.ndarray:
    """Where the colour changes (blurred edge map, z-scored): layout, whatever the palette."""
    blurred = ndimage.gaussian_filter(image.astype(float) / 255, (1, 1, 0))
    gy, gx = np.diff(blurred, axis=0)[:, :-1], np.diff(blurred, axis=1)[:-1]
    edges = ndimage.gaussian_filter(np.sqrt((gx**2 + gy**2).sum(-1)), 1.5)
    return ((edges - edges.mean()) / (edges.std() + 1e-9)).ravel()


def test_content_varies_and_is_drawn_the_same_way_in_every_style(default_set):
    images, _, _ = default_set
    maps = np.stack([edge_map(image) for image in images[:: N // 25]]).reshape(4, 25, -1) / np.sqrt(31 * 31)
    off_diagonal = ~np.eye(25, dtype=bool)
    for a in range(4):  # within a style, layouts differ from image to image
        assert (maps[a] @ maps[a].T)[off_diagonal].mean() < 0.35
    scenes = {style: [synthetic.content(0, style, i) for i in range(N)] for style in STYLES}
    for style in STYLES:
        horizons = np.array([scene["horizon"] for scene in scenes[style]])
        assert horizons.std() > 0.08 and abs(horizons.mean() - 0.5) < 0.06  # drawn from U(0.25, 0.75)
        counts = [len(scene["shapes"]) for scene in scenes[style]]
        assert min(counts) >= 2 and max(counts) >= 6  # masses, a focal object, details
    # Image i of two styles is a different scene (no layout shared across the split).
    assert scenes["realism"][0]["horizon"] != scenes["romanticism"][0]["horizon"]
    # Mean colours spread as widely within each style as over the whole set.
    means = images.reshape(4, N, -1, 3).mean(axis=2) / 255
    assert (means.std(axis=1) > 0.6 * means.reshape(-1, 3).std(axis=0)).all()


def test_colour_statistics_do_not_give_the_style_away(default_set):
    images, styles, splits = default_set
    accuracy = separability.held_out_accuracy(separability.colour_features(images), styles, splits, 0)
    assert accuracy <= 0.55, accuracy  # chance 0.25; measured 0.35 (0.25-0.35 over seeds 0-7)


def test_texture_statistics_do(default_set):
    images, styles, splits = default_set
    accuracy = separability.held_out_accuracy(separability.texture_features(images), styles, splits, 0)
    assert accuracy >= 0.9, accuracy  # measured 1.00 (0.95-1.00 over seeds 0-7)


def test_colour_accuracy_is_high_when_colour_gives_the_style_away(default_set):
    images, styles, splits = default_set
    # Each style glazed half-way towards its own colour, as if each had its own palette.
    glazes = dict(zip(STYLES, [(230, 200, 120), (200, 40, 60), (110, 100, 80), (40, 60, 120)]))
    tinted = (0.5 * images + 0.5 * np.array([glazes[style] for style in styles])[:, None, None]).astype(np.uint8)
    accuracy = separability.held_out_accuracy(separability.colour_features(tinted), styles, splits, 0)
    assert accuracy >= 0.9, accuracy


def test_colour_features_are_channel_means_and_deviations():
    images = np.zeros((2, 4, 4, 3), np.uint8)
    images[0, :2, :, 0] = 255  # top half red
    images[1] = 51
    expected = [[0.5, 0, 0, 0.5, 0, 0], [0.2, 0.2, 0.2, 0, 0, 0]]
    np.testing.assert_allclose(separability.colour_features(images), expected, atol=1e-6)


def test_texture_features_ignore_the_mean_colour_and_work_at_every_size(default_set, monkeypatch):
    images, _, _ = default_set
    x = images[:: N // 4].astype(np.float32) / 255
    features = separability.texture_features(x)
    assert features.shape == (16, separability.N_TEXTURE) and np.isfinite(features).all()
    shifted = separability.texture_features(x + np.array([0.2, -0.1, 0.05], np.float32))  # another mean colour
    np.testing.assert_allclose(shifted, features, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(separability.texture_features(images[:: N // 4]), features, rtol=1e-4, atol=1e-5)
    monkeypatch.setattr(separability, "CHUNK", 5)  # blocks give the same numbers as one block
    np.testing.assert_allclose(separability.texture_features(x), features, rtol=1e-5, atol=1e-6)
    for size in (64, 128):
        large = np.stack([synthetic.paint(style, 0, 0, size) for style in STYLES])
        assert separability.texture_features(large).shape == (4, separability.N_TEXTURE)
    flat = np.full((2, 32, 32, 3), 128, np.uint8)  # no texture at all: finite, not NaN
    assert np.isfinite(separability.texture_features(flat)).all()


def test_held_out_accuracy_fits_on_train_and_scores_on_val():
    rng = np.random.default_rng(0)
    styles = np.repeat(["a", "b", "c"], 40)
    splits = np.tile(np.where(np.arange(40) < 30, "train", "val"), 3)
    signal = np.repeat([0.0, 1.0, 2.0], 40)[:, None]
    features = np.hstack([signal * 100 + rng.normal(0, 1, (120, 1)), rng.normal(0, 1000, (120, 2))])
    assert separability.held_out_accuracy(features, styles, splits, 0) == 1.0
    # Val rows that look like the next style in train: every one is wrong.
    shifted = features.copy()
    val = splits == "val"
    shifted[val, 0] = (signal[val, 0] + 1) % 3 * 100
    assert separability.held_out_accuracy(shifted, styles, splits, 0) == 0.0
    # The same number as an independent computation: standardise with the train rows' mean and std.
    noisy = signal + rng.normal(0, 1.2, (120, 1))
    train = splits == "train"
    mean, std = noisy[train].mean(0), noisy[train].std(0)
    classifier = LogisticRegression(max_iter=5000).fit((noisy[train] - mean) / std, styles[train])
    expected = (classifier.predict((noisy[~train] - mean) / std) == styles[~train]).mean()
    assert separability.held_out_accuracy(noisy, styles, splits, 0) == pytest.approx(expected)
    assert 0.4 < expected < 1.0  # a case where the numbers can differ


def test_contact_sheet_draws_a_block_per_style(default_set, tmp_path):
    images, styles, splits = default_set
    metadata = pd.DataFrame({"image_id": np.arange(len(styles)).astype(str), "style": styles, "split": splits})
    accuracies = {"colour": 0.41, "texture": 0.97}
    fig = contact_sheet(images, metadata, per_style=10, seed=0, palette="colorblind", accuracies=accuracies)
    assert len(fig.axes) == 4 * 2 * 8  # two rows of eight per style
    assert sorted(ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()) == sorted(STYLES)
    assert sum(len(ax.get_images()) for ax in fig.axes) == 4 * 10
    assert "from colour statistics: 0.41, from texture: 0.97" in fig.get_suptitle()
    assert "chance 0.25" in accuracy_line(accuracies, 4) and accuracy_line(None, 4) == ""
    again = contact_sheet(images, metadata, per_style=10, seed=0, palette="colorblind")  # same seed, same images
    for ax, ax_again in zip(fig.axes, again.axes):
        assert [im.get_array().tobytes() for im in ax.get_images()] == [
            im.get_array().tobytes() for im in ax_again.get_images()
        ]
    assert again.get_suptitle().count("\n") == 0  # no accuracies, no second line
    out = tmp_path / "data.png"
    save_figure(fig, out, dpi=60)
    with Image.open(out) as png:
        assert png.format == "PNG" and min(png.size) > 100


def test_unknown_style_is_a_clear_error():
    with pytest.raises(StylepathError, match=r"no style \['baroque', 'cubism'\].*impressionism"):
        synthetic.generate(["realism", "cubism", "baroque"], 4, 32, seed=0)
