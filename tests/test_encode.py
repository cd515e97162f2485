"""`stylepath encode` and `stylepath plot-reconstructions` on tiny data: the latent table's
schema and values, repeatability, user errors, the seeded reconstruction grid."""

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from PIL import Image
from test_models import STYLES, make_paintings, settings, write_dataset

from stylepath import cli
from stylepath.figures.common import choose_per_style
from stylepath.figures.plot_reconstructions import reconstruction_figure
from stylepath.latents import read_record
from stylepath.models import build_model, save_model
from stylepath.models.backbone import to_model_input


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """(images.npy, metadata.parquet): 4 styles x 8 images of 32 px, 24 train and 8 val."""
    return write_dataset(tmp_path_factory.mktemp("data"), n_per_style=8, size=32)


def saved_model(folder, name: str, image_size: int = 32):
    """A seeded, untrained model saved as a model file (encoding needs no training)."""
    torch.manual_seed(0)
    own = settings(name, latent_dim=4, disc_hidden=[32, 32])
    model = build_model(name, own, image_size).eval()
    save_model(model, own, folder / f"{name}.pt")
    return folder / f"{name}.pt", model


def encode(dataset, model_path, out, batch_size: int = 32) -> pa.Table:
    images, metadata = dataset
    cli.main(
        ["encode", "--settings", json.dumps({"encoding": {"batch_size": batch_size}}), "--model", str(model_path)]
        + ["--images", str(images), "--metadata", str(metadata), "--latents", str(out)]
    )
    return pq.read_table(out)


@pytest.mark.parametrize("name", ["vae", "aae"])
def test_latent_table_has_one_row_per_image_and_the_documented_schema(dataset, tmp_path, name):
    model_path, model = saved_model(tmp_path, name)
    table = encode(dataset, model_path, tmp_path / "latents.parquet")
    vector = pa.list_(pa.float32(), 4)
    expected = [("image_id", pa.string()), ("style", pa.string()), ("split", pa.string()), ("z", vector)]
    expected += [("logvar", vector)] if name == "vae" else []
    expected += [("recon_mse", pa.float32()), ("mean_colour_mse", pa.float32())]
    assert [(field.name, field.type) for field in table.schema] == expected
    record = read_record(tmp_path / "latents.parquet")
    assert (record["model"], record["variational"], record["prior"]) == (name, name == "vae", True)
    assert record["settings"] == model.settings and record["image_size"] == 32

    images, metadata = make_paintings(8, 32)
    assert table.num_rows == len(metadata) == 32
    assert table["image_id"].to_pylist() == metadata["image_id"].tolist()
    assert table["style"].to_pylist() == metadata["style"].tolist()
    assert table["split"].to_pylist() == metadata["split"].tolist()

    # Independently: z is the code / posterior mean, recon_mse the per-pixel MSE of decode(z).
    x = to_model_input(torch.from_numpy(images))
    with torch.no_grad():
        z, logvar = model.encode(x)
        mse = (model.decode(z) - x).pow(2).mean(dim=(1, 2, 3))
    baseline = ((x - x.mean(dim=(2, 3), keepdim=True)) ** 2).mean(dim=(1, 2, 3))
    np.testing.assert_allclose(np.stack(table["z"].to_numpy(zero_copy_only=False)), z.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(table["recon_mse"].to_numpy(), mse.numpy(), rtol=1e-5)
    np.testing.assert_allclose(table["mean_colour_mse"].to_numpy(), baseline.numpy(), rtol=1e-5)
    if name == "vae":
        logvars = np.stack(table["logvar"].to_numpy(zero_copy_only=False))
        np.testing.assert_allclose(logvars, logvar.numpy(), rtol=1e-5, atol=1e-6)


def test_encoding_repeats_byte_for_byte_and_batch_size_does_not_change_it(dataset, tmp_path):
    model_path, _ = saved_model(tmp_path, "tvae")
    first = encode(dataset, model_path, tmp_path / "a.parquet", batch_size=32)
    encode(dataset, model_path, tmp_path / "b.parquet", batch_size=32)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    batched = encode(dataset, model_path, tmp_path / "c.parquet", batch_size=5)
    for column in ("z", "logvar", "recon_mse"):
        np.testing.assert_allclose(
            np.stack(batched[column].to_numpy(zero_copy_only=False)),
            np.stack(first[column].to_numpy(zero_copy_only=False)),
            rtol=1e-5,
            atol=1e-6,
        )


def test_images_of_another_size_are_a_user_error(dataset, tmp_path):
    model_path, _ = saved_model(tmp_path, "ae", image_size=64)
    with pytest.raises(SystemExit, match="32 px images but .* was trained on 64 px"):
        encode(dataset, model_path, tmp_path / "latents.parquet")
    assert not (tmp_path / "latents.parquet").exists()


def test_reconstruction_choice_is_seeded_and_from_the_val_split():
    _, metadata = make_paintings(8, 32)
    chosen = choose_per_style(metadata, per_style=2, seed=0, split="val")
    assert list(chosen) == sorted(STYLES)
    for style, rows in chosen.items():
        assert len(rows) == 2
        assert (metadata.loc[rows, "style"] == style).all() and (metadata.loc[rows, "split"] == "val").all()
    again = choose_per_style(metadata, per_style=2, seed=0, split="val")
    assert all(np.array_equal(chosen[style], again[style]) for style in chosen)
    # Asking for more than the val split holds (2 per style here) gives what there is.
    assert all(len(rows) == 2 for rows in choose_per_style(metadata, per_style=5, seed=1, split="val").values())


def test_plot_reconstructions_writes_a_figure_per_model(dataset, tmp_path):
    vae, _ = saved_model(tmp_path, "vae")
    aae, _ = saved_model(tmp_path, "aae")
    images, metadata = dataset
    settings = {"figures": {"dpi": 50, "palette": "colorblind", "recon_per_style": 2}, "seed": 0}
    cli.main(
        ["plot-reconstructions", "--settings", json.dumps(settings), "--models", str(vae), str(aae)]
        + ["--images", str(images), "--metadata", str(metadata), "--figures", str(tmp_path / "figures")]
    )
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["aae.png", "vae.png"]
    with Image.open(tmp_path / "figures" / "vae.png") as image:
        assert image.format == "PNG" and min(image.size) > 100


def test_reconstruction_figure_puts_each_replicate_beside_the_original():
    images, metadata = make_paintings(8, 32)
    chosen = choose_per_style(metadata, per_style=2, seed=0, split="val")
    originals = {style: images[rows] for style, rows in chosen.items()}
    by_replicate = {seed: {style: (1 - originals[style] / 255) * (seed + 1) / 2 for style in chosen} for seed in (0, 1)}
    fig = reconstruction_figure(originals, by_replicate, "vae", "colorblind")
    assert len(fig.axes) == 4 * 6  # a row per style; per image: original, seed 0, seed 1
    assert [ax.get_ylabel() for ax in fig.axes[::6]] == sorted(STYLES)
    assert [ax.get_title() for ax in fig.axes[:3]] == ["original", "seed 0", "seed 1"]
    first_style = sorted(STYLES)[0]
    np.testing.assert_array_equal(fig.axes[2].get_images()[0].get_array(), by_replicate[1][first_style][0])
    expected = ((by_replicate[1][first_style][0] - originals[first_style][0] / 255) ** 2).mean()
    assert fig.axes[2].get_xlabel() == f"{expected:.4f}"
