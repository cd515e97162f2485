"""The synthetic paintings: deterministic, styles separable by colour/texture, content shared."""

import itertools

import numpy as np
import pytest
from scipy import ndimage
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from stylepath.data import synthetic
from stylepath.io import StylepathError

STYLES = list(synthetic.STYLES)
N = 40  # per style, 32 px: a fraction of a second


@pytest.fixture(scope="module")
def paintings():
    images, rows = synthetic.generate(STYLES, N, 32, seed=0)
    return images, np.array([row["style"] for row in rows])


def test_same_seed_same_bytes_other_seed_other_images(paintings):
    images, _ = paintings
    again, rows = synthetic.generate(STYLES, N, 32, seed=0)
    assert images.dtype == np.uint8 and images.shape == (4 * N, 32, 32, 3)
    assert images.tobytes() == again.tobytes()
    other, _ = synthetic.generate(STYLES, N, 32, seed=1)
    assert np.abs(images.astype(int) - other).mean() > 10
    assert [row["image_id"] for row in rows[:2]] == [
        "synthetic/impressionism/00000",
        "synthetic/impressionism/00001",
    ]


def test_a_style_does_not_depend_on_the_others():
    alone, _ = synthetic.generate(["realism"], 3, 32, seed=0)
    together, _ = synthetic.generate(["romanticism", "realism"], 3, 32, seed=0)
    assert alone.tobytes() == together[3:].tobytes()


def style_features(images: np.ndarray) -> np.ndarray:
    """Per image: brightness, contrast, saturation, edge energy, fine texture, dark share."""
    x = images.astype(float) / 255
    value, low = x.max(-1), x.min(-1)
    saturation = (value - low) / (value + 1e-6)
    grey = x.mean(-1)
    edges = np.abs(np.diff(grey, axis=1)).mean((1, 2)) + np.abs(np.diff(grey, axis=2)).mean((1, 2))
    fine = np.abs(grey - ndimage.gaussian_filter(grey, (0, 1, 1))).mean((1, 2))
    return np.column_stack(
        [
            grey.mean((1, 2)),
            grey.std((1, 2)),
            saturation.mean((1, 2)),
            edges,
            fine,
            (value < 0.25).mean((1, 2)),
        ]
    )


def test_styles_are_separable_by_colour_and_texture_statistics(paintings):
    images, styles = paintings
    features = style_features(images)
    index = np.arange(len(styles)) % N  # first half of each style trains, second half tests
    train, test = index < N // 2, index >= N // 2
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    classifier.fit(features[train], styles[train])
    accuracy = classifier.score(features[test], styles[test])
    assert accuracy > 0.9, accuracy  # chance is 0.25


def structure(image: np.ndarray) -> np.ndarray:
    """Where the colour changes (blurred edge map, z-scored): layout, whatever the palette."""
    blurred = ndimage.gaussian_filter(image.astype(float) / 255, (1, 1, 0))
    gy, gx = np.diff(blurred, axis=0)[:, :-1], np.diff(blurred, axis=1)[:-1]
    edges = ndimage.gaussian_filter(np.sqrt((gx**2 + gy**2).sum(-1)), 1.5)
    return ((edges - edges.mean()) / (edges.std() + 1e-9)).ravel()


def test_content_varies_within_a_style_and_is_shared_across_styles(paintings):
    images, _ = paintings
    maps = np.stack([structure(image) for image in images]).reshape(4, N, -1) / np.sqrt(31 * 31)
    off_diagonal = ~np.eye(N, dtype=bool)
    for a in range(4):  # within a style, layouts differ from image to image
        within = maps[a] @ maps[a].T
        assert within[off_diagonal].mean() < 0.35
    gains = []
    for a, b in itertools.combinations(range(4), 2):  # image i of every style has the same layout
        across = maps[a] @ maps[b].T
        same, other = np.diag(across).mean(), across[off_diagonal].mean()
        assert same > other, (STYLES[a], STYLES[b], same, other)
        gains.append(same - other)
    assert np.mean(gains) > 0.15
    horizons = [synthetic.content(0, i)["horizon"] for i in range(N)]
    assert np.std(horizons) > 0.08  # the horizon moves from one image to the next


def test_unknown_style_is_a_clear_error():
    with pytest.raises(StylepathError, match=r"no style \['baroque', 'cubism'\].*impressionism"):
        synthetic.generate(["realism", "cubism", "baroque"], 4, 32, seed=0)
