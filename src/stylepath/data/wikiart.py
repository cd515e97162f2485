"""WikiArt from the Hugging Face dataset `huggan/wikiart`: 81,444 paintings in 72 parquet
shards of about 0.5 GB (about 38 GB), columns image (struct with the encoded bytes), artist,
genre and style (a class id; ArtGAN's 27 style classes, names below).

Streamed shard by shard so that disk use stays bounded: download one shard (resumable,
checked against the sha256 the Hub lists for it, or one from the config), write the images
of the configured styles as files under `<style>/`, delete the shard, record it in
`progress.json`, next. An interrupted or extended run (a larger `max_shards`) skips the
shards already recorded for the same revision and styles.

The shard list comes from the Hub API at a revision resolved to its commit sha, and every
shard is fetched at that sha, so the manifest pins exactly what was used.
"""

import logging
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import pyarrow.parquet as pq
from tqdm import tqdm

from stylepath.data.fetch import fetch, fetch_json
from stylepath.io import StylepathError, atomic_path, read_json, write_json

log = logging.getLogger(__name__)

# ArtGAN's style_class.txt, in class-id order, lower-cased (the names of huggan/wikiart's
# `style` ClassLabel): Expressionism 9, Impressionism 12, Realism 21, Romanticism 23.
STYLES = (
    "abstract_expressionism",
    "action_painting",
    "analytical_cubism",
    "art_nouveau",
    "baroque",
    "color_field_painting",
    "contemporary_realism",
    "cubism",
    "early_renaissance",
    "expressionism",
    "fauvism",
    "high_renaissance",
    "impressionism",
    "mannerism_late_renaissance",
    "minimalism",
    "naive_art_primitivism",
    "new_realism",
    "northern_renaissance",
    "pointillism",
    "pop_art",
    "post_impressionism",
    "realism",
    "rococo",
    "romanticism",
    "symbolism",
    "synthetic_cubism",
    "ukiyo_e",
)
PROGRESS = "progress.json"
BATCH_ROWS = 32  # rows decoded from a shard at a time (bounded memory)


def style_ids(styles) -> dict[str, int]:
    """Class id of each configured style; raises for names WikiArt does not have."""
    unknown = sorted(set(styles) - set(STYLES))
    if unknown:
        raise StylepathError(f"WikiArt has no style {unknown}; its styles are {list(STYLES)}. Fix dataset.styles.")
    return {style: STYLES.index(style) for style in styles}


# ---------------------------------------------------------------- Hub API


def resolve_revision(endpoint: str, repo: str, revision: str) -> str:
    """Commit sha of `revision` (a branch, tag or sha) of dataset `repo`."""
    info, _ = fetch_json(f"{endpoint}/api/datasets/{repo}/revision/{quote(revision, safe='')}")
    sha = info.get("sha") if isinstance(info, dict) else None
    if not sha:
        raise StylepathError(f"the Hub did not give a commit for {repo}@{revision}. Check dataset.wikiart.revision.")
    return sha


def list_shards(endpoint: str, repo: str, sha: str) -> list[dict]:
    """Parquet files under data/ at commit `sha`: [{path, size, sha256 (from LFS, or None)}], sorted."""
    url = f"{endpoint}/api/datasets/{repo}/tree/{sha}/data"
    entries = []
    while url:  # the tree listing is paginated through Link headers
        page, url = fetch_json(url)
        entries += page
    shards = [
        {"path": e["path"], "size": e.get("size"), "sha256": (e.get("lfs") or {}).get("oid")}
        for e in entries
        if e.get("type") == "file" and e["path"].endswith(".parquet")
    ]
    if not shards:
        raise StylepathError(f"no parquet shards under data/ in {repo}@{sha}. Check dataset.wikiart.repo and revision.")
    return sorted(shards, key=lambda shard: shard["path"])


# ---------------------------------------------------------------- one shard


def image_suffix(data: bytes, path: str | None) -> str:
    """File suffix for encoded image bytes: from the stored path, else from the magic bytes."""
    suffix = PurePosixPath(path or "").suffix.lower()
    if suffix in {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}:
        return suffix
    magic = {b"\xff\xd8": ".jpg", b"\x89PNG": ".png", b"RIFF": ".webp", b"GIF8": ".gif", b"BM": ".bmp"}
    return next((s for m, s in magic.items() if data.startswith(m)), ".img")


def keep_styles(shard: Path, folder: Path, ids: dict[str, int]) -> tuple[int, list[dict]]:
    """Write the images of the wanted styles in `shard` as files under `folder/<style>/`.

    Returns (rows in the shard, [{path, style, source}] of the files written).
    """
    names = {class_id: style for style, class_id in ids.items()}
    parquet = pq.ParquetFile(shard)
    missing = {"image", "style"} - set(parquet.schema_arrow.names)
    if missing:
        raise StylepathError(
            f"{shard.name} lacks columns {sorted(missing)}: not the huggan/wikiart layout. Check dataset.wikiart.repo."
        )
    row, kept = 0, []
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=["image", "style"]):
        styles = batch.column("style").to_pylist()
        images = batch.column("image")
        for offset, class_id in enumerate(styles):
            if class_id in names:
                data = images.field("bytes")[offset].as_py()
                stored = images.field("path")[offset].as_py() if "path" in images.type.names else None
                style = names[class_id]
                relative = f"{style}/{shard.stem}_{row + offset:05d}{image_suffix(data, stored)}"
                with atomic_path(folder / relative) as tmp:
                    tmp.write_bytes(data)
                kept.append({"path": relative, "style": style, "source": f"wikiart:{shard.name}#row={row + offset}"})
        row += len(styles)
    return row, kept


# ---------------------------------------------------------------- the source


def download(settings: dict, folder: Path) -> dict:
    """Stream the shards into per-style image files in `folder`; return the manifest."""
    folder = Path(folder)
    ids = style_ids(settings["styles"])
    endpoint, repo, revision = settings["endpoint"].rstrip("/"), settings["repo"], settings["revision"]
    sha = resolve_revision(endpoint, repo, revision)
    log.info("%s@%s is commit %s", repo, revision, sha)
    available = list_shards(endpoint, repo, sha)
    shards = available[: settings.get("max_shards") or len(available)]
    log.info("using %d of %d shards", len(shards), len(available))
    key = {"endpoint": endpoint, "repo": repo, "sha": sha, "styles": sorted(ids)}
    progress_path = folder / PROGRESS
    progress = read_json(progress_path) if progress_path.exists() else {}
    if progress.get("key") != key:
        progress = {"key": key, "shards": {}}
    expected_sums = settings.get("sha256") or {}
    for shard in tqdm(shards, desc="shards", unit="shard"):
        name = PurePosixPath(shard["path"]).name
        if name in progress["shards"]:
            log.info("%s: already processed, skipped", name)
            continue
        expected, expected_from = expected_sums.get(name), "config"
        if expected is None and shard["sha256"]:
            expected, expected_from = shard["sha256"], "hub"
        url = f"{endpoint}/datasets/{repo}/resolve/{sha}/{quote(shard['path'])}"
        local = folder / name
        record = fetch(url, local, expected, sha256_key=f"dataset.wikiart.sha256['{name}']", sha256_from=expected_from)
        rows, kept = keep_styles(local, folder, ids)
        local.unlink()
        log.info("%s: kept %d of %d images; shard deleted", name, len(kept), rows)
        progress["shards"][name] = {
            **record,
            "repo_path": shard["path"],
            "rows": rows,
            "kept": len(kept),
            "deleted": True,
            "images": kept,
        }
        write_json(progress, progress_path)
    processed = [progress["shards"][PurePosixPath(s["path"]).name] for s in shards]
    images = [image for shard in processed for image in shard["images"]]
    return {
        "source": "wikiart",
        "repo": repo,
        "endpoint": endpoint,
        "revision": revision,
        "resolved_revision": sha,
        "styles": sorted(ids),
        "style_ids": ids,
        "shards_available": len(available),
        "downloads": [{k: v for k, v in shard.items() if k != "images"} for shard in processed],
        "images": images,
    }
