"""prepare-data on the synthetic source and on real image files of every awkward kind."""

import io
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from stylepath.cli import main as cli
from stylepath.data.image_files import load_square
from stylepath.data.prepare_data import prepare
from stylepath.io import StylepathError


def dataset_block(**changes) -> dict:
    """The dataset config block with the schema's defaults, plus `changes`."""
    block = {
        "source": "synthetic",
        "styles": ["impressionism", "expressionism", "realism", "romanticism"],
        "image_size": 32,
        "max_per_style": None,
        "val_fraction": 0.25,
        "download_dir": "resources",
        "synthetic": {"n_per_style": 8},
        "artbench": {"url": "https://example.invalid/a.tar", "sha256": None},
        "wikiart": {},
        "folder": {"path": None, "csv": None},
    }
    return {**block, **changes}


def run_cli(tmp_path, dataset, seed=0, manifest="", name="out"):
    """Run `stylepath prepare-data`; return (images, metadata, report)."""
    out = tmp_path / name
    settings = json.dumps({"dataset": dataset, "seed": seed})
    cli(
        ["prepare-data", "--settings", settings, "--manifest", manifest, "--images", str(out / "images.npy")]
        + ["--metadata", str(out / "metadata.parquet"), "--report", str(out / "report.json")]
    )
    report = json.loads((out / "report.json").read_text())
    return np.load(out / "images.npy"), pd.read_parquet(out / "metadata.parquet"), report


# ---------------------------------------------------------------- synthetic


def test_synthetic_run_is_deterministic_sorted_and_split(tmp_path):
    images, metadata, report = run_cli(tmp_path, dataset_block(), name="a")
    again, metadata_again, _ = run_cli(tmp_path, dataset_block(), name="b")
    assert images.shape == (32, 32, 32, 3) and images.dtype == np.uint8
    assert images.tobytes() == again.tobytes() and metadata.equals(metadata_again)
    assert list(metadata.columns) == ["image_id", "style", "split", "source"]
    assert metadata["image_id"].is_unique
    assert list(metadata.sort_values(["style", "image_id"]).index) == list(range(32))
    assert metadata.groupby("style")["split"].apply(lambda s: (s == "val").sum()).tolist() == [2, 2, 2, 2]
    assert report["counts"]["realism"] == {"train": 6, "val": 2, "total": 8}
    other, metadata_other, _ = run_cli(tmp_path, dataset_block(), seed=1, name="c")
    assert images.tobytes() != other.tobytes()


def test_synthetic_cap_is_a_seeded_choice(tmp_path):
    _, metadata, _ = run_cli(tmp_path, dataset_block(max_per_style=3), name="a")
    _, again, _ = run_cli(tmp_path, dataset_block(max_per_style=3), name="b")
    assert metadata.groupby("style").size().tolist() == [3, 3, 3, 3]
    assert metadata.equals(again)
    assert metadata["image_id"].str.endswith("/00000").sum() < 4  # not simply the first three


def test_synthetic_rejects_styles_it_cannot_paint():
    with pytest.raises(StylepathError, match=r"synthetic source has no style \['cubism'\]"):
        prepare(dataset_block(styles=["realism", "cubism"]), 0)


# ---------------------------------------------------------------- real files


def save(image: Image.Image, path, **kwargs):
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **kwargs)
    return path


@pytest.fixture
def painting_folder(tmp_path):
    """Impressionism: one file of every awkward kind; realism: plain and EXIF-rotated; baroque: unused."""
    root = tmp_path / "paintings"
    imp = root / "Impressionism"  # folder names are lower-cased
    save(Image.new("RGB", (80, 60), (0, 128, 0)), imp / "rgb.jpg")
    save(Image.new("L", (50, 70), 90), imp / "grey.png")
    save(Image.new("RGBA", (40, 40), (255, 0, 0, 0)), imp / "transparent.png")  # invisible red: white
    palette = Image.new("P", (30, 30), 1)
    palette.putpalette([0, 0, 0, 200, 30, 40] + [0] * 762)
    save(palette, imp / "palette.png")
    save(Image.new("CMYK", (64, 48), (0, 255, 255, 0)), imp / "cmyk.jpg")  # red in CMYK
    save(Image.fromarray(np.full((40, 60), 257 * 100, np.uint16)), imp / "deep.png")  # I;16: 100 in 8 bits
    whole = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(whole, "JPEG")
    (imp / "broken.jpg").write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])  # truncated
    (imp / "notes.txt").write_text("not an image")
    (imp / ".DS_Store").write_bytes(b"\0\0")  # hidden: ignored
    real = root / "realism"
    for k in range(3):
        save(Image.new("RGB", (32 + 8 * k, 32), (40 * k, 40, 200)), real / f"plain{k}.png")
    # Stored 40 wide x 20 high, left red / right blue; EXIF 6 = show rotated 90 degrees clockwise.
    sideways = Image.new("RGB", (40, 20), (0, 0, 255))
    sideways.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    save(sideways, real / "rotated.jpg", exif=exif, quality=95)
    save(Image.new("RGB", (20, 20)), root / "Baroque" / "b.png")
    return root


def test_folder_source_reads_every_mode_and_skips_bad_files(tmp_path, painting_folder):
    dataset = dataset_block(
        source="folder",
        styles=["impressionism", "realism"],
        folder={"path": str(painting_folder), "csv": None},
    )
    images, metadata, report = run_cli(tmp_path, dataset)
    ids = list(metadata["image_id"])
    assert ids == sorted(ids) and len(ids) == 10
    pixel = {name.split("/")[-1]: images[ids.index(name)] for name in ids}
    assert pixel["transparent.png"].min() == 255  # alpha composited on white
    assert np.array_equal(pixel["deep.png"], np.full((32, 32, 3), 100))  # 16-bit scaled to 8-bit
    grey = pixel["grey.png"]
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 1] == grey[..., 2]).all() and grey[0, 0, 0] == 90
    assert tuple(pixel["palette.png"][5, 5]) == (200, 30, 40)
    r, g, b = pixel["cmyk.jpg"].reshape(-1, 3).mean(0)
    assert r > 200 and g < 60 and b < 60
    rotated = pixel["rotated.jpg"].astype(int)  # upright: red on top, blue below
    assert rotated[2, 16, 0] > 200 and rotated[2, 16, 2] < 60 and rotated[29, 16, 2] > 200 and rotated[29, 16, 0] < 60
    skipped = {item["image_id"].split("/")[-1]: item["reason"] for item in report["skipped"]}
    assert set(skipped) == {"broken.jpg", "notes.txt"}
    assert "truncated" in skipped["broken.jpg"] and skipped["notes.txt"].startswith("UnidentifiedImageError")
    assert report["n_skipped"] == 2 and report["styles_not_configured"] == ["baroque"]
    assert report["counts"]["impressionism"]["total"] == 6 and report["counts"]["realism"]["total"] == 4
    assert set(metadata["split"]) == {"train", "val"}


def test_folder_cap_counts_only_readable_images(painting_folder):
    folder = {"path": str(painting_folder), "csv": None}
    dataset = dataset_block(source="folder", styles=["impressionism", "realism"], max_per_style=5, folder=folder)
    images, metadata, report = prepare(dataset, seed=3)
    assert metadata.groupby("style").size().to_dict() == {"impressionism": 5, "realism": 4}
    assert len(images) == 9


def test_csv_source(tmp_path, painting_folder):
    csv = tmp_path / "labels.csv"
    csv.write_text(
        "path,style\n"
        "paintings/Impressionism/rgb.jpg,Impressionism\n"
        "paintings/Impressionism/grey.png,impressionism\n"
        "paintings/realism/plain0.png,Realism\n"
        "paintings/realism/plain1.png,realism\n"
        "paintings/Baroque/b.png,Post-Impressionism\n"
        "paintings/realism/missing.png,realism\n"
    )
    dataset = dataset_block(
        source="folder", styles=["impressionism", "realism"], folder={"path": None, "csv": str(csv)}
    )
    images, metadata, report = prepare(dataset, seed=0)
    assert metadata["image_id"].tolist() == [
        "paintings/Impressionism/grey.png",
        "paintings/Impressionism/rgb.jpg",
        "paintings/realism/plain0.png",
        "paintings/realism/plain1.png",
    ]
    assert report["skipped"][0]["image_id"] == "paintings/realism/missing.png"
    assert report["styles_not_configured"] == ["post_impressionism"]


def test_a_style_without_images_is_a_clear_error(painting_folder):
    dataset = dataset_block(
        source="folder", styles=["realism", "romanticism"], folder={"path": str(painting_folder), "csv": None}
    )
    with pytest.raises(
        StylepathError,
        match=r"no images of the styles \['romanticism'\].*it has \['baroque', 'impressionism'\]",
    ):
        prepare(dataset, seed=0)


def test_a_style_whose_files_are_all_unreadable_is_a_clear_error(tmp_path):
    (tmp_path / "realism").mkdir()
    save(Image.new("RGB", (8, 8)), tmp_path / "impressionism" / "ok.png")
    save(Image.new("RGB", (8, 8)), tmp_path / "impressionism" / "ok2.png")
    (tmp_path / "realism" / "bad.jpg").write_bytes(b"\xff\xd8 not really")
    dataset = dataset_block(
        source="folder", styles=["impressionism", "realism"], folder={"path": str(tmp_path), "csv": None}
    )
    with pytest.raises(StylepathError, match=r"no readable image of the styles \['realism'\]"):
        prepare(dataset, seed=0)


def test_folder_settings_errors(tmp_path):
    with pytest.raises(StylepathError, match="exactly one of dataset.folder.path"):
        prepare(dataset_block(source="folder", folder={"path": None, "csv": None}), 0)
    with pytest.raises(StylepathError, match="is not a folder"):
        prepare(dataset_block(source="folder", folder={"path": str(tmp_path / "nope"), "csv": None}), 0)
    (tmp_path / "bad.csv").write_text("file,label\na.png,realism\n")
    with pytest.raises(StylepathError, match=r"lacks the column\(s\) \['path', 'style'\]"):
        prepare(dataset_block(source="folder", folder={"path": None, "csv": str(tmp_path / "bad.csv")}), 0)


def test_load_square_crops_the_centre_and_resizes(tmp_path):
    wide = np.zeros((20, 60, 3), np.uint8)
    wide[:, 20:40] = 255  # only the central square is white
    save(Image.fromarray(wide), tmp_path / "wide.png")
    square = load_square(tmp_path / "wide.png", 10)
    assert square.shape == (10, 10, 3) and square.dtype == np.uint8 and square.min() == 255
