"""Gatys style loss: Gram and normalisations by hand, VGG19 layers, one pass per image, weights."""

import urllib.error

import numpy as np
import pandas as pd
import pytest
import torch

from stylepath import gatys
from stylepath.gatys import GramExtractor, gram, layer_loss, vgg19_features, walk_style_losses
from stylepath.io import StylepathError
from stylepath.walks import style_distances

LAYERS = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]
WEIGHTS = [0.2] * 5


@pytest.fixture(scope="module")
def random_vgg():
    torch.set_num_threads(1)
    return vgg19_features("random", 0)


@pytest.fixture(scope="module")
def walks():
    """Three walks of 5 random 32 px images (uint8 N x H x W x 3) and their index."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(15, 32, 32, 3), dtype=np.uint8)
    index = pd.DataFrame(
        {
            "row": np.arange(15),
            "pair_id": np.repeat([0, 1, 2], 5),
            "criterion": np.repeat(["random", "nearest", "farthest"], 5),
            "step": np.tile(np.arange(5), 3),
            "t": np.tile(np.linspace(0, 1, 5), 3),
        }
    )
    return images, index


def test_gram_and_the_three_normalisations_by_hand():
    # N = 2 channels, M = 4 positions. F_a rows (1,0,0,0), (0,1,0,0): G_a = I.
    # F_b rows (1,1,0,0), (0,0,0,0): G_b = [[2,0],[0,0]]. sum((G_a - G_b)^2) = 2.
    f_a = torch.tensor([[1.0, 0, 0, 0], [0, 1, 0, 0]]).view(1, 2, 2, 2)
    f_b = torch.tensor([[1.0, 1, 0, 0], [0, 0, 0, 0]]).view(1, 2, 2, 2)
    g_a, g_b = gram(f_a), gram(f_b)
    np.testing.assert_array_equal(g_a[0], [[1, 0], [0, 1]])
    np.testing.assert_array_equal(g_b[0], [[2, 0], [0, 0]])
    assert layer_loss(g_a, g_b, 4, "gatys").item() == pytest.approx(2 / (4 * 2**2 * 4**2))  # 1/128
    assert layer_loss(g_a, g_b, 4, "mean").item() == pytest.approx(1 / 32)  # mean((G/M)^2 diff) = 4 E
    assert layer_loss(g_a, g_b, 4, "none").item() == pytest.approx(2.0)
    with pytest.raises(StylepathError, match="normalisation"):
        layer_loss(g_a, g_b, 4, "l1")


def test_mean_normalisation_is_mse_of_gram_over_m():
    rng = torch.Generator().manual_seed(0)
    f_a, f_b = torch.rand(2, 5, 3, 4, generator=rng), torch.rand(2, 5, 3, 4, generator=rng)
    m = 12
    mse = ((gram(f_a) / m - gram(f_b) / m) ** 2).mean(dim=(1, 2))
    torch.testing.assert_close(layer_loss(gram(f_a), gram(f_b), m, "mean"), mse)
    torch.testing.assert_close(layer_loss(gram(f_a), gram(f_b), m, "gatys"), mse / 4)


def reference_losses(features, image_a, image_b):
    """E_l at conv1_1..conv5_1 straight from torchvision's features (ReLU outputs at 1, 6,
    11, 20, 29), in numpy: the formula of the paper, independent of GramExtractor."""
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    x = torch.from_numpy(np.stack([image_a, image_b])).permute(0, 3, 1, 2).float() / 255
    x = (x - mean) / std
    out = []
    with torch.no_grad():
        for index, module in enumerate(features):
            x = module(x)
            if index in (1, 6, 11, 20, 29):
                f = x.flatten(2).double().numpy()
                n, m = f.shape[1], f.shape[2]
                g = f @ f.transpose(0, 2, 1)
                out.append(((g[0] - g[1]) ** 2).sum() / (4 * n**2 * m**2))
            if index == 29:
                return np.array(out)


def test_walk_losses_match_the_paper_formula_on_vgg19(random_vgg, walks):
    features, _ = random_vgg
    images, index = walks
    extractor = GramExtractor(features, LAYERS, "max")
    table = walk_style_losses(extractor, images, index, LAYERS, WEIGHTS, "gatys", 4, "cpu")
    assert list(table.columns) == ["pair_id", "criterion", "step", "t_from", "t_to", *LAYERS, "total"]
    assert len(table) == 3 * 4  # steps - 1 per walk, never across walks
    row = table[(table["pair_id"] == 1) & (table["step"] == 2)].iloc[0]
    expected = reference_losses(features, images[7], images[8])
    np.testing.assert_allclose(row[LAYERS].to_numpy(float), expected, rtol=1e-5)
    assert row["total"] == pytest.approx(np.dot(WEIGHTS, expected), rel=1e-5)
    assert (row["t_from"], row["t_to"], row["criterion"]) == (0.5, 0.75, "nearest")


def nudged(image):
    """The image one grey level apart at one pixel."""
    image = image.copy()
    image[5, 7, 1] += 1 if image[5, 7, 1] < 255 else -1
    return image


NOISE = np.random.default_rng(1).integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
GRATING = np.repeat(
    np.repeat((127 + 100 * np.sin(np.arange(64) * np.pi / 4)).astype(np.uint8)[None, :, None], 64, 0), 3, 2
)


@pytest.mark.parametrize(
    "image, other",
    [(NOISE, nudged(NOISE)), (GRATING, np.roll(GRATING, 1, axis=1))],
    ids=["one grey level at one pixel", "grating shifted by a pixel"],
)
def test_small_changes_keep_their_loss_to_float64_precision(random_vgg, image, other):
    """Small changes: one grey level at one pixel (float32 Grams subtracted are 2e-4 off the
    float64 formula there: cancellation), and a grating shifted by a pixel (its features change
    everywhere, its Grams barely). The stage must keep the float64 formula's value."""
    features, _ = random_vgg
    extractor = GramExtractor(features, LAYERS, "max")
    index = pd.DataFrame({"row": [0, 1], "pair_id": 0, "criterion": "random", "step": [0, 1], "t": [0.0, 1.0]})
    table = walk_style_losses(extractor, np.stack([image, other]), index, LAYERS, WEIGHTS, "gatys", 2, "cpu")
    expected = reference_losses(features, image, other)
    assert (expected > 0).all()
    np.testing.assert_allclose(table.loc[0, LAYERS].to_numpy(float), expected, rtol=1e-5)


def test_identical_images_give_zero_and_the_loss_is_symmetric(random_vgg, walks):
    features, _ = random_vgg
    images, _ = walks
    extractor = GramExtractor(features, LAYERS, "max")
    same = np.stack([images[0], images[0], images[1], images[0]])
    index = pd.DataFrame(
        {"row": [0, 1, 2, 3], "pair_id": 0, "criterion": "random", "step": [0, 1, 2, 3], "t": [0, 1 / 3, 2 / 3, 1]}
    )
    table = walk_style_losses(extractor, same, index, LAYERS, WEIGHTS, "gatys", 8, "cpu")
    assert table.loc[0, "total"] == 0.0
    assert table.loc[1, "total"] > 0
    assert table.loc[1, "total"] == pytest.approx(table.loc[2, "total"], rel=1e-6)  # a->b == b->a


def test_each_image_goes_through_vgg19_once_whatever_the_batch_size(random_vgg, walks):
    features, _ = random_vgg
    images, index = walks
    extractor = GramExtractor(features, LAYERS, "max")
    seen = []
    hook = extractor.body[0].register_forward_hook(lambda module, inputs, output: seen.append(len(inputs[0])))
    try:
        by_three = walk_style_losses(
            extractor, images, index.sample(frac=1, random_state=0), LAYERS, WEIGHTS, "gatys", 3, "cpu"
        )
        assert sum(seen) == len(images) and max(seen) == 3
        all_at_once = walk_style_losses(extractor, images, index, LAYERS, WEIGHTS, "gatys", 64, "cpu")
    finally:
        hook.remove()
    np.testing.assert_allclose(by_three[LAYERS].to_numpy(), all_at_once[LAYERS].to_numpy(), rtol=1e-4)
    # the network stops after the deepest layer asked for
    assert len(GramExtractor(features, ["conv2_1"], "max").body) == 7


def test_average_pooling_replaces_max_pooling(random_vgg, walks):
    features, _ = random_vgg
    images, index = walks
    avg = GramExtractor(features, LAYERS, "avg")
    kinds = {type(m).__name__ for m in avg.body}
    assert "AvgPool2d" in kinds and "MaxPool2d" not in kinds
    assert any(type(m).__name__ == "MaxPool2d" for m in features)  # the original is untouched
    with_avg = walk_style_losses(avg, images, index, LAYERS, WEIGHTS, "gatys", 8, "cpu")
    with_max = walk_style_losses(
        GramExtractor(features, LAYERS, "max"), images, index, LAYERS, WEIGHTS, "gatys", 8, "cpu"
    )
    np.testing.assert_allclose(with_avg["conv1_1"], with_max["conv1_1"])  # before any pooling
    assert not np.allclose(with_avg["conv3_1"], with_max["conv3_1"])


def test_random_weights_are_seeded(random_vgg):
    features, weights_id = random_vgg
    again, again_id = vgg19_features("random", 0)
    other, other_id = vgg19_features("random", 1)
    assert weights_id == again_id and weights_id.startswith("random:seed=0:")
    torch.testing.assert_close(features[0].weight, again[0].weight)
    assert other_id != weights_id and other_id.startswith("random:seed=1:")


TEXTURE = {"n_scales": None, "n_orientations": 4, "spatial_corr_width": 7, "reference_images": 512}


def run_command(tmp_path, walks, weights, name="out", instruments=("gatys",), data_images=None):
    """The style-loss table and info the walks command writes for these walk images."""
    images, index = walks
    settings = {"instruments": list(instruments), "weights": weights, "layers": LAYERS, "layer_weights": None,
                "pooling": "max", "normalisation": "gatys", "batch_size": 4,
                "portilla_simoncelli": TEXTURE}  # fmt: skip
    data = None if data_images is None else np.load(data_images)
    return style_distances(settings, 0, images, index, data, "cpu", "vae", 3)


def test_command_with_random_weights_writes_the_documented_table(tmp_path, walks, random_vgg):
    table, info = run_command(tmp_path, walks, "random")
    assert list(table.columns) == [
        "model", "replicate", "instrument", "pair_id", "criterion", "step", "t_from", "t_to", *LAYERS, "total",
        "weights_id",
    ]  # fmt: skip
    assert (table["instrument"] == "gatys").all()
    assert len(table) == 12 and (table["model"] == "vae").all() and (table["replicate"] == 3).all()
    assert (table["weights_id"] == random_vgg[1]).all()
    assert info["weights_id"] == random_vgg[1] and info["pretrained"] is False
    assert "untrained" in info["note"] and "not the paper's measure" in info["note"]
    assert info["layer_weights"] == WEIGHTS and info["n_images"] == 15
    np.testing.assert_allclose(table["total"], table[LAYERS].to_numpy() @ np.array(WEIGHTS))


def test_weights_file_gives_the_same_numbers_as_the_same_random_weights(tmp_path, walks, random_vgg):
    features, weights_id = random_vgg
    full = {f"features.{key}": value for key, value in features.state_dict().items()}
    full["classifier.0.weight"] = torch.zeros(2, 2)  # a full vgg19 state dict: classifier ignored
    torch.save(full, tmp_path / "vgg19_random.pth")
    from_file, info = run_command(tmp_path, walks, str(tmp_path / "vgg19_random.pth"), "file")
    from_random, _ = run_command(tmp_path, walks, "random", "random")
    np.testing.assert_array_equal(from_file["total"], from_random["total"])
    sha = weights_id.rsplit(":", 1)[1]
    assert (from_file["weights_id"] == f"file:vgg19_random.pth:{sha}").all()
    assert info["pretrained"] is True and info["note"] == ""
    # a features-only state dict works too
    torch.save(features.state_dict(), tmp_path / "features.pth")
    assert vgg19_features(str(tmp_path / "features.pth"), 5)[1] == f"file:features.pth:{sha}"


def test_bad_weights_are_clear_errors(tmp_path):
    with pytest.raises(StylepathError, match="no file"):
        vgg19_features(str(tmp_path / "missing.pth"), 0)
    torch.save({"0.weight": torch.zeros(3)}, tmp_path / "wrong.pth")
    with pytest.raises(StylepathError, match="not a torchvision vgg19 state dict"):
        vgg19_features(str(tmp_path / "wrong.pth"), 0)
    with pytest.raises(StylepathError, match="one per layer"):
        gatys.resolve_layer_weights({"layers": LAYERS, "layer_weights": [1.0, 2.0]})
    with pytest.raises(StylepathError, match="unknown VGG19 layer"):
        GramExtractor(torch.nn.Sequential(), ["conv6_1"])


def test_imagenet_weights_offline_and_not_cached_say_how_to_fetch_them(tmp_path, monkeypatch):
    import torchvision.models._api

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(torchvision.models._api, "load_state_dict_from_url", offline)
    with pytest.raises(StylepathError) as error:
        vgg19_features("imagenet", 0)
    message = str(error.value)
    assert "no network" in message
    assert "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth" in message
    assert str(tmp_path / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth") in message
    assert "IMAGENET1K_V1" in message and "'random'" in message


def test_command_writes_both_instruments_in_one_long_table(tmp_path, walks, random_vgg):
    """Gatys rows first, as before; then the Portilla-Simoncelli rows, standardised on the data set
    images, with their own component columns (NaN in the other instrument's rows)."""
    images, _ = walks
    data_images = tmp_path / "data.npy"
    np.save(data_images, np.random.default_rng(1).integers(0, 256, size=(20, 32, 32, 3), dtype=np.uint8))
    table, info = run_command(tmp_path, walks, "random", "both", ("gatys", "portilla_simoncelli"), data_images)
    gatys_only, _ = run_command(tmp_path, walks, "random", "gatys")
    assert list(table["instrument"]) == ["gatys"] * 12 + ["portilla_simoncelli"] * 12
    gatys, texture = table[table["instrument"] == "gatys"], table[table["instrument"] == "portilla_simoncelli"]
    np.testing.assert_array_equal(gatys["total"], gatys_only["total"])  # unchanged by the second instrument
    groups = info["portilla_simoncelli"]["groups"]
    assert groups[0] == "pixel_statistics" and "magnitude_std" in groups and "var_highpass_residual" in groups
    assert list(table.columns) == [
        "model", "replicate", "instrument", "pair_id", "criterion", "step", "t_from", "t_to", *LAYERS, *groups,
        "total", "weights_id",
    ]  # fmt: skip
    assert gatys[groups].isna().all().all() and texture[LAYERS].isna().all().all()
    assert (texture["weights_id"] == "none").all() and (gatys["weights_id"] == random_vgg[1]).all()
    np.testing.assert_allclose(texture["total"], texture[groups].mean(axis=1))
    assert (texture["total"] > 0).all()
    assert info["instruments"] == ["gatys", "portilla_simoncelli"] and info["weights_id"] == random_vgg[1]
    assert info["portilla_simoncelli"]["n_scales"] == 2 and info["portilla_simoncelli"]["reference_images"] == 20
    assert list(texture[["pair_id", "step"]].itertuples(index=False)) == list(
        gatys[["pair_id", "step"]].itertuples(index=False)
    )
    with pytest.raises(StylepathError, match="needs --data-images"):
        run_command(tmp_path, walks, "random", "none", ("portilla_simoncelli",))
    np.save(data_images, images[:, :16, :16])
    with pytest.raises(StylepathError, match="re-run the pipeline from prepare_data"):
        run_command(tmp_path, walks, "random", "small", ("portilla_simoncelli",), data_images)
