"""The artbench and wikiart sources end to end, against a local server (tiny tar, fake Hub)."""

import hashlib
import io
import json
import tarfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from stylepath.cli import main as cli
from stylepath.data import wikiart
from stylepath.data.prepare import prepare
from stylepath.io import StylepathError


def encoded(colour, fmt="JPEG", size=(48, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    return buffer.getvalue()


def dataset_block(source, styles, manifest_dir=None) -> dict:
    return {
        "source": source,
        "styles": styles,
        "image_size": 32,
        "max_per_style": None,
        "val_fraction": 0.3,
        "download_dir": str(manifest_dir),
        "synthetic": {"n_per_style": 4},
        "artbench": {},
        "wikiart": {},
        "folder": {"path": None, "csv": None},
    }


def download(settings: dict, manifest) -> dict:
    cli(["download", "--settings", json.dumps(settings), "--manifest", str(manifest)])
    return json.loads(manifest.read_text())


# ---------------------------------------------------------------- ArtBench


@pytest.fixture
def artbench_tar():
    """A tiny ArtBench-like tar: train and test folders, three styles, 256 px stand-ins."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        top = tarfile.TarInfo("artbench-10-imagefolder-split")
        top.type = tarfile.DIRTYPE
        tar.addfile(top)
        for split, count in (("train", 3), ("test", 1)):
            for style, colour in (
                ("impressionism", (250, 200, 220)),
                ("realism", (120, 90, 40)),
                ("baroque", (20, 10, 5)),
            ):
                for k in range(count):
                    data = encoded(colour)
                    info = tarfile.TarInfo(f"artbench-10-imagefolder-split/{split}/{style}/{style}-{k}.jpg")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_artbench_download_and_prepare(file_server, tmp_path, artbench_tar):
    file_server.files["/files/artbench-10-imagefolder-split.tar"] = artbench_tar
    file_server.drop_first.add("/files/artbench-10-imagefolder-split.tar")  # and it resumes
    url = file_server.url("/files/artbench-10-imagefolder-split.tar")
    settings = {"source": "artbench", "styles": ["impressionism", "realism"], "url": url, "sha256": None}
    manifest_path = tmp_path / "resources" / "artbench" / "manifest.json"
    manifest = download(settings, manifest_path)

    folder = manifest_path.parent
    assert (
        "/files/artbench-10-imagefolder-split.tar",
        f"bytes={len(artbench_tar) // 2}-",
    ) in file_server.requests
    (record,) = manifest["downloads"]
    assert record["sha256"] == hashlib.sha256(artbench_tar).hexdigest() and not record["sha256_checked"]
    assert (folder / "artbench-10-imagefolder-split.tar").read_bytes() == artbench_tar  # kept for re-extraction
    assert manifest["counts"] == {
        "impressionism": {"train": 3, "test": 1},
        "realism": {"train": 3, "test": 1},
    }
    assert len(manifest["images"]) == 8 and all((folder / image["path"]).is_file() for image in manifest["images"])
    assert not list(folder.rglob("baroque*"))  # only the configured styles are extracted

    dataset = dataset_block("artbench", ["impressionism", "realism"], tmp_path / "resources")
    images, metadata, report = prepare(dataset, seed=0, manifest_path=str(manifest_path))
    assert images.shape == (8, 32, 32, 3)
    assert metadata.groupby("style")["split"].value_counts().to_dict() == {
        ("impressionism", "train"): 2,
        ("impressionism", "val"): 2,
        ("realism", "train"): 2,
        ("realism", "val"): 2,
    }
    assert metadata["source"].str.contains("/test/").sum() == 2  # ArtBench's split is only information
    realism = images[metadata["style"].to_numpy() == "realism"].reshape(-1, 3).mean(0)
    assert np.allclose(realism, (120, 90, 40), atol=4)


def artbench_settings(**changes) -> dict:
    settings = {"source": "artbench", "styles": ["impressionism", "realism"], "url": "http://127.0.0.1:9/x.tar"}
    return {**settings, "sha256": None, "path": None, **changes}


def test_artbench_from_a_local_tar_checks_it_and_leaves_it_in_place(tmp_path, artbench_tar, caplog):
    local = tmp_path / "data" / "artbench-10-imagefolder-split.tar"
    local.parent.mkdir()
    local.write_bytes(artbench_tar)
    manifest_path = tmp_path / "resources" / "artbench" / "manifest.json"
    wrong = "0" * 64
    with pytest.raises(SystemExit, match=f"sha256 mismatch for {local}.*expected {wrong}.*left as it is"):
        download(artbench_settings(path=str(local), sha256=wrong), manifest_path)
    assert not manifest_path.exists() and local.read_bytes() == artbench_tar

    expected = hashlib.sha256(artbench_tar).hexdigest()
    manifest = download(artbench_settings(path=str(local), sha256=expected), manifest_path)  # url unreachable
    folder = manifest_path.parent
    assert manifest["origin"] == "local tar" and manifest["path"] == str(local)
    assert manifest["local_archive"]["sha256_checked"] and manifest["local_archive"]["sha256"] == expected
    assert not list(folder.glob("*.tar*")) and local.read_bytes() == artbench_tar  # used in place, not copied
    assert manifest["counts"] == {"impressionism": {"train": 3, "test": 1}, "realism": {"train": 3, "test": 1}}
    assert not manifest["counts_match_official"] and "does not hold ArtBench-10's" in caplog.text
    assert all((folder / image["path"]).is_file() for image in manifest["images"]) and len(manifest["images"]) == 8

    images, metadata, _ = prepare(
        dataset_block("artbench", ["impressionism", "realism"]), seed=0, manifest_path=str(manifest_path)
    )
    assert images.shape == (8, 32, 32, 3) and metadata["source"].str.contains("/test/").sum() == 2


@pytest.mark.parametrize("given", ["top folder", "its parent"])
def test_artbench_from_an_extracted_folder_reads_the_images_in_place(tmp_path, artbench_tar, given):
    with tarfile.open(fileobj=io.BytesIO(artbench_tar)) as tar:
        tar.extractall(tmp_path / "data", filter="data")
    top = tmp_path / "data" / "artbench-10-imagefolder-split"
    path = top if given == "top folder" else top.parent
    manifest_path = tmp_path / "resources" / "artbench" / "manifest.json"
    manifest = download(artbench_settings(path=str(path)), manifest_path)

    assert manifest["origin"] == "local folder" and manifest["root"] == str(top)
    assert manifest["counts"] == {"impressionism": {"train": 3, "test": 1}, "realism": {"train": 3, "test": 1}}
    assert sorted(p.name for p in manifest_path.parent.iterdir()) == ["manifest.json"]  # nothing copied
    paths = [image["path"] for image in manifest["images"]]
    assert len(paths) == 8 and all(p.startswith(str(top)) and "baroque" not in p for p in paths)
    realism = [i for i in manifest["images"] if i["style"] == "realism"]
    assert realism[0]["source"].startswith("artbench:") and realism[0]["source"].endswith("/realism/realism-0.jpg")

    images, metadata, _ = prepare(
        dataset_block("artbench", ["impressionism", "realism"]), seed=0, manifest_path=str(manifest_path)
    )
    assert images.shape == (8, 32, 32, 3)
    assert metadata["image_id"].str.startswith(str(top)).all()


def test_artbench_local_copy_errors_name_the_cause_and_the_fix(tmp_path, artbench_tar):
    manifest_path = tmp_path / "resources" / "artbench" / "manifest.json"
    with pytest.raises(SystemExit, match="does not exist.*or set it to null to download"):
        download(artbench_settings(path=str(tmp_path / "missing")), manifest_path)
    (tmp_path / "photos" / "cats").mkdir(parents=True)
    with pytest.raises(SystemExit, match=r"not an extracted ArtBench-10.*found \['cats'\]"):
        download(artbench_settings(path=str(tmp_path / "photos")), manifest_path)
    with tarfile.open(fileobj=io.BytesIO(artbench_tar)) as tar:
        tar.extractall(tmp_path / "data", filter="data")
    settings = artbench_settings(path=str(tmp_path / "data"), styles=["realism", "surrealism"])
    with pytest.raises(SystemExit, match=r"has no images of the styles \['surrealism'\].*complete copy"):
        download(settings, manifest_path)
    assert not manifest_path.exists()


def test_artbench_unknown_style(tmp_path):
    settings = {
        "source": "artbench",
        "styles": ["realism", "cubism"],
        "url": "http://127.0.0.1:9/a.tar",
        "sha256": None,
    }
    with pytest.raises(SystemExit, match=r"ArtBench-10 has no style \['cubism'\]"):
        download(settings, tmp_path / "manifest.json")


def test_prepare_needs_the_matching_manifest(tmp_path):
    with pytest.raises(StylepathError, match="needs its download manifest"):
        prepare(dataset_block("artbench", ["realism", "baroque"]), seed=0, manifest_path="")
    (tmp_path / "manifest.json").write_text(json.dumps({"source": "wikiart", "styles": [], "images": []}))
    with pytest.raises(StylepathError, match="is a wikiart manifest"):
        prepare(
            dataset_block("artbench", ["realism", "baroque"]),
            seed=0,
            manifest_path=str(tmp_path / "manifest.json"),
        )


# ---------------------------------------------------------------- WikiArt through a fake Hub

SHA = "0123456789abcdef0123456789abcdef01234567"
REPO = "huggan/wikiart"
# (style class id, colour) per row: 12 impressionism, 21 realism, 4 baroque, 9 expressionism, 23 romanticism
SHARDS = {
    "train-00000-of-00002.parquet": [
        (12, (250, 0, 0)),
        (4, (0, 0, 0)),
        (21, (0, 250, 0)),
        (12, (250, 250, 0)),
        (9, (9, 9, 9)),
    ],
    "train-00001-of-00002.parquet": [(21, (0, 0, 250)), (23, (1, 1, 1)), (12, (250, 0, 250)), (0, (2, 2, 2))],
}


def shard_bytes(rows) -> bytes:
    image = pa.array(
        [{"bytes": encoded(colour, "PNG"), "path": None} for _, colour in rows],
        type=pa.struct([("bytes", pa.binary()), ("path", pa.string())]),
    )
    table = pa.table(
        {"image": image, "artist": [0] * len(rows), "genre": [1] * len(rows), "style": [s for s, _ in rows]}
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=2)
    return buffer.getvalue()


@pytest.fixture
def hub(file_server):
    """The Hub API (revision, paginated tree) and resolve URLs redirecting to a 'CDN'."""
    api = f"/api/datasets/{REPO}"
    file_server.json[f"{api}/revision/main"] = {"id": REPO, "sha": SHA}
    entries = []
    for name, rows in SHARDS.items():
        data = shard_bytes(rows)
        file_server.files[f"/cdn/{name}"] = data
        file_server.redirects[f"/datasets/{REPO}/resolve/{SHA}/data/{name}"] = f"/cdn/{name}"
        lfs = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
        entries.append({"type": "file", "oid": "abc", "size": len(data), "path": f"data/{name}", "lfs": lfs})
    file_server.json[f"{api}/tree/{SHA}/data"] = [
        entries[0],
        {"type": "file", "path": "data/notes.md", "size": 3},
    ]
    file_server.links[f"{api}/tree/{SHA}/data"] = f"{api}/tree/{SHA}/data?cursor=2"
    file_server.json[f"{api}/tree/{SHA}/data?cursor=2"] = [entries[1]]
    return file_server


def wikiart_settings(hub, **changes) -> dict:
    settings = {"source": "wikiart", "styles": ["impressionism", "realism"], "repo": REPO, "revision": "main"}
    return {**settings, "endpoint": hub.url(""), "max_shards": None, "sha256": {}, **changes}


def resolved(hub) -> list[str]:
    return [path for path, _ in hub.requests if "/resolve/" in path]


def test_wikiart_streams_shards_keeping_only_the_configured_styles(hub, tmp_path):
    manifest_path = tmp_path / "wikiart" / "manifest.json"
    manifest = download(wikiart_settings(hub), manifest_path)
    folder = manifest_path.parent

    assert manifest["resolved_revision"] == SHA and manifest["shards_available"] == 2
    assert [(i["style"], i["source"]) for i in manifest["images"]] == [
        ("impressionism", "wikiart:train-00000-of-00002.parquet#row=0"),
        ("realism", "wikiart:train-00000-of-00002.parquet#row=2"),
        ("impressionism", "wikiart:train-00000-of-00002.parquet#row=3"),
        ("realism", "wikiart:train-00001-of-00002.parquet#row=0"),
        ("impressionism", "wikiart:train-00001-of-00002.parquet#row=2"),
    ]
    first = folder / manifest["images"][0]["path"]
    assert first.parent.name == "impressionism" and first.read_bytes() == encoded((250, 0, 0), "PNG")
    assert not list(folder.glob("*.parquet*"))  # every shard deleted once filtered
    assert all(
        d["sha256_checked"] and d["expected_sha256_from"] == "hub" and d["deleted"] for d in manifest["downloads"]
    )
    assert [d["kept"] for d in manifest["downloads"]] == [3, 2] and [d["rows"] for d in manifest["downloads"]] == [5, 4]

    dataset = dataset_block("wikiart", ["impressionism", "realism"], tmp_path)
    images, metadata, _ = prepare(dataset, seed=0, manifest_path=str(manifest_path))
    assert metadata.groupby("style").size().to_dict() == {"impressionism": 3, "realism": 2}
    assert tuple(images[0, 0, 0]) == (250, 0, 0)  # rows sorted by style, then image_id

    # A second run finds both shards processed and downloads nothing.
    hub.requests.clear()
    again = download(wikiart_settings(hub), manifest_path)
    assert resolved(hub) == [] and again["images"] == manifest["images"]


def test_wikiart_resumes_after_a_failed_shard_and_honours_max_shards(hub, tmp_path):
    manifest_path = tmp_path / "wikiart" / "manifest.json"
    bad = {"train-00001-of-00002.parquet": "f" * 64}
    with pytest.raises(SystemExit, match=r"sha256 mismatch.*train-00001-of-00002.parquet.*expected f{64} \(config\)"):
        download(wikiart_settings(hub, sha256=bad), manifest_path)
    assert not manifest_path.exists()
    progress = json.loads((manifest_path.parent / "progress.json").read_text())
    assert list(progress["shards"]) == ["train-00000-of-00002.parquet"]

    hub.requests.clear()
    manifest = download(wikiart_settings(hub), manifest_path)
    assert resolved(hub) == [f"/datasets/{REPO}/resolve/{SHA}/data/train-00001-of-00002.parquet"]
    assert len(manifest["images"]) == 5

    only_first = download(wikiart_settings(hub, max_shards=1), manifest_path)
    assert len(only_first["downloads"]) == 1 and len(only_first["images"]) == 3


def test_wikiart_style_names_and_ids():
    ids = wikiart.style_ids(["expressionism", "impressionism", "realism", "romanticism"])
    assert ids == {"expressionism": 9, "impressionism": 12, "realism": 21, "romanticism": 23}
    assert len(wikiart.STYLES) == 27
    with pytest.raises(StylepathError, match=r"WikiArt has no style \['renaissance'\]"):
        wikiart.style_ids(["renaissance"])
