"""Walks between latent points: positions, end points, decoding, and the command on a real model."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from stylepath import cli
from stylepath.interpolate import decode_images, decode_trajectories, walk_codes, walk_positions
from stylepath.io import StylepathError

SIZE = 32
SETTINGS = {"steps": 6, "method": "linear", "batch_size": 4}


def pattern_images():
    """Two distinct RGB images, float 3 x SIZE x SIZE in [0, 1]: red stripes, blue checks."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    first = np.zeros((3, SIZE, SIZE))
    first[0] = (y // 4) % 2
    first[1] = 0.2
    second = np.zeros((3, SIZE, SIZE))
    second[2] = ((y // 8 + x // 8) % 2) * 0.9
    second[1] = x / SIZE
    return torch.tensor(first, dtype=torch.float32), torch.tensor(second, dtype=torch.float32)


class BlendDecoder(torch.nn.Module):
    """decode(z) = z_0 * first + z_1 * second (z: B x 2): the walk from (1, 0) to (0, 1) is
    exactly the pixel cross-dissolve (1 - t) first + t second; `power` p makes it (1 - t^p) first + t^p second."""

    def __init__(self, power: float = 1.0):
        super().__init__()
        self.first, self.second = pattern_images()
        self.power = power

    def decode(self, z):
        weight = z[:, 1].clamp(0, 1) ** self.power
        return (1 - weight)[:, None, None, None] * self.first + weight[:, None, None, None] * self.second


class BlobDecoder(torch.nn.Module):
    """decode(z) = a bright Gaussian blob on a dark background, centred at x = 4 + z_1 * 24
    pixels: the walk from (1, 0) to (0, 1) moves the shape across the image."""

    def decode(self, z):
        y, x = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
        centre = 4 + z[:, 1, None, None] * (SIZE - 8)
        blob = torch.exp(-((x - centre) ** 2 + (y - SIZE / 2) ** 2) / (2 * 2.0**2))
        return torch.stack([blob, 0.8 * blob, 0.1 + 0 * blob], dim=1)


def two_walk_pairs():
    """Pairs table with two walks, both from image 'a' (z = (1, 0)) to 'b' (z = (0, 1))."""
    pairs = pd.DataFrame(
        {
            "pair_id": [0, 1],
            "criterion": ["random", "nearest"],
            "image_id_a": ["a", "b"],
            "image_id_b": ["b", "a"],
        }
    )
    codes = {"a": np.array([1.0, 0.0], np.float32), "b": np.array([0.0, 1.0], np.float32)}
    return pairs, codes


def test_positions_are_equally_spaced_with_both_ends():
    t = walk_positions(10)
    assert len(t) == 10 and t[0] == 0 and t[-1] == 1
    np.testing.assert_allclose(np.diff(t), 1 / 9)


def test_linear_walk_is_the_straight_segment():
    rng = np.random.default_rng(0)
    z_a, z_b = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    codes = walk_codes(z_a, z_b, walk_positions(5))
    assert codes.shape == (3, 5, 5) and codes.dtype == np.float32
    np.testing.assert_array_equal(codes[:, 0], z_a.astype(np.float32))
    np.testing.assert_array_equal(codes[:, -1], z_b.astype(np.float32))
    np.testing.assert_allclose(codes[:, 2], (z_a + z_b) / 2, rtol=1e-6)
    steps = np.diff(codes, axis=1)  # equal steps along one direction
    np.testing.assert_allclose(steps, np.repeat(steps[:, :1], 4, axis=1), atol=1e-6)


def test_spherical_walk_keeps_the_norm_between_equal_norm_ends():
    z_a, z_b = np.array([[3.0, 0.0, 0.0]]), np.array([[0.0, 3.0, 0.0]])
    codes = walk_codes(z_a, z_b, walk_positions(7), "spherical")
    np.testing.assert_allclose(np.linalg.norm(codes[0], axis=1), 3.0, rtol=1e-6)
    np.testing.assert_array_equal(codes[0, -1], z_b[0])
    # parallel end points fall back to the straight line
    codes = walk_codes(np.array([[1.0, 1.0]]), np.array([[2.0, 2.0]]), walk_positions(3), "spherical")
    np.testing.assert_allclose(codes[0, 1], [1.5, 1.5])


def test_walk_ends_are_the_decoded_end_points_and_the_index_says_where():
    decoder = BlendDecoder()
    pairs, codes = two_walk_pairs()
    images, index = decode_trajectories(decoder, pairs, codes, SETTINGS, "cpu")
    steps = SETTINGS["steps"]
    assert images.shape == (2 * steps, SIZE, SIZE, 3) and images.dtype == np.uint8
    assert list(index.columns) == ["row", "pair_id", "criterion", "step", "t"]
    np.testing.assert_array_equal(index["row"], np.arange(2 * steps))
    np.testing.assert_allclose(index["t"][:steps], np.linspace(0, 1, steps))
    a = decode_images(decoder, codes["a"][None], 1, "cpu")[0]
    b = decode_images(decoder, codes["b"][None], 1, "cpu")[0]
    first = index[index["pair_id"] == 0].set_index("step")["row"]
    second = index[index["pair_id"] == 1].set_index("step")["row"]
    np.testing.assert_array_equal(images[first[0]], a)
    np.testing.assert_array_equal(images[first[steps - 1]], b)
    np.testing.assert_array_equal(images[second[0]], b)  # pair 1 walks from b to a
    assert (index[index["pair_id"] == 1]["criterion"] == "nearest").all()
    # a point inside the blend walk is the pixel blend, to the uint8 rounding
    middle = images[first[2]].astype(float)  # t = 0.4
    expected = (0.6 * decoder.first + 0.4 * decoder.second).permute(1, 2, 0).numpy() * 255
    assert np.abs(middle - expected).max() <= 0.5 + 1e-4


def test_batch_size_does_not_change_the_images():
    pairs, codes = two_walk_pairs()
    one, _ = decode_trajectories(BlobDecoder(), pairs, codes, {**SETTINGS, "batch_size": 1}, "cpu")
    many, _ = decode_trajectories(BlobDecoder(), pairs, codes, {**SETTINGS, "batch_size": 64}, "cpu")
    np.testing.assert_array_equal(one, many)


def test_a_paired_image_missing_from_the_latents_is_a_clear_error():
    pairs, codes = two_walk_pairs()
    del codes["b"]
    with pytest.raises(StylepathError, match="select-pairs"):
        decode_trajectories(BlendDecoder(), pairs, codes, SETTINGS, "cpu")


def test_walks_command_decodes_a_real_model_between_posterior_means_and_measures_them(tmp_path):
    from test_models import settings
    from test_pairs import write_latents

    from stylepath.models import build_model, save_model

    torch.manual_seed(0)
    own = settings("vae", latent_dim=4)
    model = build_model("vae", own, image_size=SIZE).eval()
    save_model(model, own, tmp_path / "model.pt")
    rng = np.random.default_rng(0)
    z = rng.normal(size=(6, 4)).astype(np.float32)
    write_latents(tmp_path / "latents.parquet", z, ["realism"] * 3 + ["impressionism"] * 3)
    pairs = pd.DataFrame(
        {"pair_id": [0, 1], "criterion": ["random", "random"], "image_id_a": ["img0000", "img0002"],
         "image_id_b": ["img0005", "img0003"]}
    )  # fmt: skip
    pairs.to_parquet(tmp_path / "pairs.parquet")
    style_loss = {"instruments": ["gatys"], "weights": "random", "layers": ["conv1_1", "conv2_1"],
                  "layer_weights": None, "pooling": "max", "normalisation": "gatys", "batch_size": 8}  # fmt: skip
    settings = {"interpolation": SETTINGS, "style_loss": style_loss, "seed": 0}
    cli.main(
        ["walks", "--settings", json.dumps(settings), "--model", str(tmp_path / "model.pt"),
         "--latents", str(tmp_path / "latents.parquet"), "--pairs", str(tmp_path / "pairs.parquet"),
         "--images", str(tmp_path / "images.npy"), "--index", str(tmp_path / "index.parquet"),
         "--style-loss", str(tmp_path / "style_loss.parquet"), "--info", str(tmp_path / "style_loss.json"),
         "--model-name", "vae", "--replicate", "0"]
    )  # fmt: skip
    images = np.load(tmp_path / "images.npy")
    index = pd.read_parquet(tmp_path / "index.parquet")
    assert images.shape == (2 * SETTINGS["steps"], SIZE, SIZE, 3) and len(index) == len(images)
    with torch.no_grad():  # the posterior means of the latent table, not samples
        ends = model.decode(torch.from_numpy(z[[0, 5]]))
    ends = (ends.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    np.testing.assert_array_equal(images[0], ends[0])
    np.testing.assert_array_equal(images[SETTINGS["steps"] - 1], ends[1])
    losses = pd.read_parquet(tmp_path / "style_loss.parquet")  # measured on exactly these images
    assert len(losses) == 2 * (SETTINGS["steps"] - 1) and (losses["total"] > 0).all()
    assert not list(tmp_path.glob(".*.tmp"))  # no half-written output left
