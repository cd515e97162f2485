"""The artbench and wikiart sources end to end, against a local server (tiny tar, fake Hub)."""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import constants as hf_constants
from huggingface_hub import hf_hub_download, snapshot_download
from PIL import Image

from stylepath.cli import main as cli
from stylepath.data import wikiart
from stylepath.data.prepare_data import prepare
from stylepath.io import StylepathError

SRC = Path(__file__).resolve().parents[1] / "src"


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
FIRST, SECOND = "train-00000-of-00002.parquet", "train-00001-of-00002.parquet"
# (style class id, colour) per row: 12 impressionism, 21 realism, 4 baroque, 9 expressionism, 23 romanticism
SHARDS = {
    FIRST: [(12, (250, 0, 0)), (4, (0, 0, 0)), (21, (0, 250, 0)), (12, (250, 250, 0)), (9, (9, 9, 9))],
    SECOND: [(21, (0, 0, 250)), (23, (1, 1, 1)), (12, (250, 0, 250)), (0, (2, 2, 2))],
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
def hub(fake_hub, tmp_path, monkeypatch):
    """huggan/wikiart at commit SHA (= main) on the fake Hub; huggingface_hub set up as by a fresh
    environment: an empty cache under tmp_path, online, no token, no Xet."""
    fake_hub.commits[SHA] = {f"data/{name}": shard_bytes(rows) for name, rows in SHARDS.items()}
    fake_hub.commits[SHA] |= {"data/notes.md": b"not a shard", "README.md": b"# WikiArt"}
    fake_hub.refs["main"] = SHA
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hf_constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(hf_constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    # The client's user agent names AI agents from a registry it fetches daily from the real Hub: a fresh copy.
    registry = tmp_path / "agent-harnesses.json"
    registry.write_text(json.dumps({"standardEnvVars": [], "harnesses": {}}))
    monkeypatch.setattr(hf_constants, "AGENT_HARNESSES_PATH", str(registry))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return fake_hub


def wikiart_settings(hub, **changes) -> dict:
    settings = {"source": "wikiart", "styles": ["impressionism", "realism"], "repo": REPO, "revision": "main"}
    return {**settings, "endpoint": hub.endpoint, "max_shards": None, "sha256": {}, "keep_shards": False, **changes}


def cached_blobs(tmp_path) -> list[str]:
    """The blobs of huggan/wikiart in the test's Hugging Face cache."""
    blobs = tmp_path / "hf-cache" / "datasets--huggan--wikiart" / "blobs"
    return sorted(p.name for p in blobs.iterdir()) if blobs.exists() else []


def fill_cache(hub, revision=SHA, files=None) -> None:
    """What a user who already has the data set did: fetched it with huggingface_hub into the cache."""
    if files is None:
        snapshot_download(REPO, repo_type="dataset", revision=revision, endpoint=hub.endpoint)
    for name in files or []:
        hf_hub_download(REPO, f"data/{name}", repo_type="dataset", revision=revision, endpoint=hub.endpoint)
    hub.requests.clear()


def test_wikiart_streams_shards_keeping_only_the_configured_styles(hub, tmp_path, monkeypatch):
    hub.drop_first.add(hashlib.sha256(hub.commits[SHA][f"data/{FIRST}"]).hexdigest())  # the client resumes...
    monkeypatch.setattr(hf_constants, "DOWNLOAD_CHUNK_SIZE", 1024)  # ...after the last whole chunk (10 MB)
    manifest_path = tmp_path / "wikiart" / "manifest.json"
    manifest = download(wikiart_settings(hub), manifest_path)
    folder = manifest_path.parent

    assert manifest["resolved_revision"] == SHA and manifest["shards_available"] == 2
    assert manifest["listed_from"] == "hub" and manifest["endpoint"] == hub.endpoint
    assert [(i["style"], i["source"]) for i in manifest["images"]] == [
        ("impressionism", f"wikiart:{FIRST}#row=0"),
        ("realism", f"wikiart:{FIRST}#row=2"),
        ("impressionism", f"wikiart:{FIRST}#row=3"),
        ("realism", f"wikiart:{SECOND}#row=0"),
        ("impressionism", f"wikiart:{SECOND}#row=2"),
    ]
    first = folder / manifest["images"][0]["path"]
    assert first.parent.name == "impressionism" and first.read_bytes() == encoded((250, 0, 0), "PNG")
    assert [d["kept"] for d in manifest["downloads"]] == [3, 2] and [d["rows"] for d in manifest["downloads"]] == [5, 4]
    assert all(
        d["sha256_checked"] and d["expected_sha256_from"] == "hub" and d["origin"] == "downloaded"
        for d in manifest["downloads"]
    )
    # Downloaded through the Hugging Face cache, each shard dropped from it once filtered.
    assert all(d["dropped_from_cache"] for d in manifest["downloads"]) and cached_blobs(tmp_path) == []
    assert not list(folder.glob("*.parquet*"))
    ranges = [r for method, _, path, _, r in hub.requests if method == "GET" and path.startswith("/cdn/")]
    half = len(hub.commits[SHA][f"data/{FIRST}"]) // 2
    assert ranges[:2] == [None, f"bytes={half // 1024 * 1024}-"]  # resumed, not restarted

    dataset = dataset_block("wikiart", ["impressionism", "realism"], tmp_path)
    images, metadata, _ = prepare(dataset, seed=0, manifest_path=str(manifest_path))
    assert metadata.groupby("style").size().to_dict() == {"impressionism": 3, "realism": 2}
    assert tuple(images[0, 0, 0]) == (250, 0, 0)  # rows sorted by style, then image_id

    # A second run finds both shards processed and downloads nothing.
    hub.requests.clear()
    again = download(wikiart_settings(hub), manifest_path)
    assert hub.downloads() == [] and again["images"] == manifest["images"]
    assert not any("/resolve/" in path for _, _, path, *_ in hub.requests)


def test_wikiart_resumes_after_a_failed_shard_and_honours_max_shards(hub, tmp_path):
    manifest_path = tmp_path / "wikiart" / "manifest.json"
    bad = {SECOND: "f" * 64}
    with pytest.raises(SystemExit, match=rf"sha256 mismatch.*{SECOND}.*expected f{{64}} \(config\).*removed from"):
        download(wikiart_settings(hub, sha256=bad), manifest_path)
    assert not manifest_path.exists() and cached_blobs(tmp_path) == []  # the bad download left the cache too
    progress = json.loads((manifest_path.parent / "progress.json").read_text())
    assert list(progress["shards"]) == [FIRST]

    hub.requests.clear()
    manifest = download(wikiart_settings(hub), manifest_path)
    assert len(hub.downloads()) == 1 and hub.downloads()[0].endswith(manifest["downloads"][1]["sha256"])
    assert len(manifest["images"]) == 5

    only_first = download(wikiart_settings(hub, max_shards=1), manifest_path)
    assert len(only_first["downloads"]) == 1 and len(only_first["images"]) == 3


def test_wikiart_uses_shards_already_in_the_cache_and_never_drops_them(hub, tmp_path):
    fill_cache(hub, revision="main")  # the whole data set, as `hf download` or snapshot_download leaves it
    before = cached_blobs(tmp_path)
    manifest = download(wikiart_settings(hub), tmp_path / "wikiart" / "manifest.json")

    assert hub.downloads() == [] and not any(m == "HEAD" for m, *_ in hub.requests)  # only the API listing
    assert [d["origin"] for d in manifest["downloads"]] == ["hf cache", "hf cache"]
    assert not any(d["dropped_from_cache"] for d in manifest["downloads"]) and cached_blobs(tmp_path) == before
    assert all(d["sha256_checked"] for d in manifest["downloads"]) and len(manifest["images"]) == 5


def test_wikiart_keep_shards_leaves_the_downloads_in_the_cache_for_the_next_run(hub, tmp_path):
    first = download(wikiart_settings(hub, keep_shards=True), tmp_path / "one" / "manifest.json")
    assert [d["origin"] for d in first["downloads"]] == ["downloaded"] * 2 and len(cached_blobs(tmp_path)) == 2
    hub.requests.clear()
    second = download(wikiart_settings(hub), tmp_path / "two" / "manifest.json")  # another run, same cache
    assert hub.downloads() == [] and [d["origin"] for d in second["downloads"]] == ["hf cache"] * 2
    assert len(cached_blobs(tmp_path)) == 2  # not this run's downloads: kept


def test_wikiart_offline_works_from_the_cache_alone(hub, tmp_path, monkeypatch):
    fill_cache(hub, revision="main")  # with the cache's tree listing and refs/main
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    manifest = download(wikiart_settings(hub), tmp_path / "a" / "manifest.json")
    assert hub.requests == [] and manifest["hf_hub_offline"] and manifest["resolved_revision"] == SHA
    assert manifest["listed_from"] == "the Hugging Face cache's tree listing" and len(manifest["images"]) == 5
    assert [d["origin"] for d in manifest["downloads"]] == ["hf cache"] * 2
    assert all(d["expected_sha256_from"] == "hub (cached ETag)" for d in manifest["downloads"])


def test_wikiart_offline_lists_the_cached_files_and_names_missing_shards(hub, tmp_path, monkeypatch):
    fill_cache(hub, files=[FIRST])  # one file fetched on its own: no tree listing in the cache
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    settings = wikiart_settings(hub, revision=SHA)
    with pytest.raises(SystemExit, match=rf"HF_HUB_OFFLINE is set and 1 of the 2 shards.*{SECOND}.*max_shards"):
        download(settings, tmp_path / "a" / "manifest.json")
    manifest = download({**settings, "max_shards": 1}, tmp_path / "a" / "manifest.json")
    assert manifest["listed_from"] == "the cached snapshot folder" and manifest["shards_available"] == 2
    assert len(manifest["images"]) == 3 and hub.requests == []


def test_wikiart_offline_after_an_online_run_needs_no_cache(hub, tmp_path, monkeypatch):
    manifest_path = tmp_path / "wikiart" / "manifest.json"
    online = download(wikiart_settings(hub, revision=SHA), manifest_path)
    assert cached_blobs(tmp_path) == []  # every shard was dropped
    hub.requests.clear()
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    offline = download(wikiart_settings(hub, revision=SHA), manifest_path)
    assert hub.requests == [] and offline["images"] == online["images"]
    assert offline["listed_from"].startswith("progress.json")


def test_wikiart_offline_without_a_cache_says_what_to_do(hub, tmp_path, monkeypatch):
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(SystemExit, match=r"cannot resolve huggan/wikiart@main.*HF_HUB_OFFLINE is set.*unset HF_HUB"):
        download(wikiart_settings(hub), tmp_path / "a" / "manifest.json")
    with pytest.raises(SystemExit, match=r"cannot list the shards.*HF_HUB_OFFLINE is set.*holds none.*hf download"):
        download(wikiart_settings(hub, revision=SHA), tmp_path / "a" / "manifest.json")
    assert hub.requests == [] and not (tmp_path / "a" / "manifest.json").exists()


def test_wikiart_unknown_revision_names_the_key(hub, tmp_path):
    with pytest.raises(SystemExit, match=r"huggan/wikiart on http://127.0.0.1:\d+ has no revision 'v9'.*revision"):
        download(wikiart_settings(hub, revision="v9"), tmp_path / "a" / "manifest.json")
    with pytest.raises(SystemExit, match=r"has no commit f{40}\. Fix dataset.wikiart.revision"):
        download(wikiart_settings(hub, revision="f" * 40), tmp_path / "a" / "manifest.json")


def test_wikiart_honours_the_hugging_face_environment_variables(hub, tmp_path):
    """HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE and HF_HUB_OFFLINE as a user sets them, in a fresh process."""
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "HF_ENDPOINT": hub.endpoint,
        "HF_TOKEN": "hf_test_token",
        "HF_HUB_CACHE": str(tmp_path / "user-cache"),
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_XET": "1",
    }
    settings = json.dumps(wikiart_settings(hub, endpoint=None, keep_shards=True))

    def run(manifest, **extra):
        command = [sys.executable, "-m", "stylepath", "download", "--settings", settings, "--manifest", str(manifest)]
        done = subprocess.run(command, env={**env, **extra}, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(manifest.read_text())

    online = run(tmp_path / "one" / "manifest.json")
    assert online["endpoint"] == hub.endpoint and online["hf_hub_cache"] == str(tmp_path / "user-cache")
    assert len(list((tmp_path / "user-cache" / "datasets--huggan--wikiart" / "blobs").iterdir())) == 2
    to_hub = [auth for _, host, path, auth, _ in hub.requests if host.startswith("127.0.0.1") and REPO in path]
    to_cdn = [auth for _, host, _, auth, _ in hub.requests if host.startswith("localhost")]
    assert to_hub and set(to_hub) == {"Bearer hf_test_token"} and to_cdn and set(to_cdn) == {None}

    hub.requests.clear()
    offline = run(tmp_path / "two" / "manifest.json", HF_HUB_OFFLINE="1")
    assert hub.requests == [] and offline["hf_hub_offline"] and offline["images"] == online["images"]
    assert [d["origin"] for d in offline["downloads"]] == ["hf cache"] * 2


def test_wikiart_style_names_and_ids():
    ids = wikiart.style_ids(["expressionism", "impressionism", "realism", "romanticism"])
    assert ids == {"expressionism": 9, "impressionism": 12, "realism": 21, "romanticism": 23}
    assert len(wikiart.STYLES) == 27
    with pytest.raises(StylepathError, match=r"WikiArt has no style \['renaissance'\]"):
        wikiart.style_ids(["renaissance"])
