"""WikiArt from the Hugging Face dataset `huggan/wikiart`: 81,444 paintings in 72 parquet
shards of about 0.5 GB (about 38 GB), columns image (struct with the encoded bytes), artist,
genre and style (a class id; ArtGAN's 27 style classes, names below).

Everything Hub-side goes through `huggingface_hub`, the Hub's own client, so it behaves as
users of the Hub expect: shards live in the Hugging Face cache (`HF_HUB_CACHE`, else
`HF_HOME`/hub, else ~/.cache/huggingface/hub) and a shard already there is used without any
download; `HF_TOKEN` (or `hf auth login`) authenticates; `HF_ENDPOINT` picks a mirror
(`dataset.wikiart.endpoint` overrides it); `HF_HUB_OFFLINE=1` works from the cache alone; a
dropped connection is resumed by the client.

The revision is resolved to a commit sha and the shards under data/ are listed and fetched
at that sha, so the manifest pins exactly what was used. Streamed shard by shard so that
disk use stays bounded: get one shard (from the cache, or downloaded into it), check its
sha256 (the one the Hub lists, or one from the config), write the images of the configured
styles as files under `<style>/`, drop the shard from the cache if this run downloaded it
(unless `keep_shards`; a shard that was already cached is never touched), record it in
`progress.json`, next. An interrupted or extended run (a larger `max_shards`) skips the
shards already recorded for the same repository, commit and styles.

Offline (`HF_HUB_OFFLINE=1`) the shard list comes, in this order, from progress.json (a
previous run's listing at the same commit), the cache's own tree listing, or the cached
snapshot folder (shards named `<split>-<i>-of-<n>.parquet` tell how many there should be);
a branch or tag revision is resolved through the cache's refs.
"""

import logging
import re
from pathlib import Path, PurePosixPath

import httpx2  # huggingface_hub's HTTP client: its network errors
import pyarrow.parquet as pq
from huggingface_hub import (
    HfApi,
    constants,
    get_cached_repo_tree,
    hf_hub_download,
    hf_hub_url,
    is_offline_mode,
    scan_cache_dir,
    snapshot_download,
    try_to_load_from_cache,
)
from huggingface_hub.errors import (
    CachedRepoTreeNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
    RevisionResolutionError,
)
from huggingface_hub.hf_api import RepoFile
from tqdm import tqdm

from stylepath.data.files import file_sha256
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
REPO_TYPE = "dataset"
SHARD_NAME = re.compile(r"^(?P<split>.+)-(?P<index>\d+)-of-(?P<total>\d+)\.parquet$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
ACCESS_FIX = "For a private or gated repository set HF_TOKEN (or run `hf auth login`) with a token that has access."
OFFLINE_FIX = (
    "unset HF_HUB_OFFLINE to download, or fill the Hugging Face cache first on a machine with internet "
    "(run stylepath download there with the same HF_HUB_CACHE, or `hf download {repo} --repo-type dataset "
    "--revision {revision} --include 'data/*'`)."
)


def style_ids(styles) -> dict[str, int]:
    """Class id of each configured style; raises for names WikiArt does not have."""
    unknown = sorted(set(styles) - set(STYLES))
    if unknown:
        raise StylepathError(f"WikiArt has no style {unknown}; its styles are {list(STYLES)}. Fix dataset.styles.")
    return {style: STYLES.index(style) for style in styles}


# ---------------------------------------------------------------- the Hub, through huggingface_hub


def shard_name(path: str) -> str:
    return PurePosixPath(path).name


class Hub:
    """One dataset repository on the Hub and in the Hugging Face cache, as huggingface_hub sees them.

    The cache folder, offline mode and endpoint are read when this is made, from
    huggingface_hub's settings (its HF_* environment variables); `endpoint` (the config's)
    overrides HF_ENDPOINT when given.
    """

    def __init__(self, repo: str, endpoint: str | None):
        self.repo = repo
        self.endpoint_arg = endpoint.rstrip("/") if endpoint else None  # None: the client's own (HF_ENDPOINT)
        self.endpoint = self.endpoint_arg or constants.ENDPOINT
        self.cache_dir = str(Path(constants.HF_HUB_CACHE).expanduser())
        self.offline = is_offline_mode()
        self.api = HfApi(endpoint=self.endpoint_arg)

    def where(self, revision: str) -> str:
        return f"{self.repo}@{revision} on {self.endpoint}"

    def resolve(self, revision: str) -> str:
        """Commit sha of `revision` (a sha is taken as is; offline, a branch or tag comes from the cache's refs)."""
        try:
            resolved = self.api.resolve_revision(
                self.repo,
                repo_type=REPO_TYPE,
                revision=revision,
                cache_dir=self.cache_dir,
                local_files_only=self.offline,
            )
        except RevisionNotFoundError as error:
            raise StylepathError(
                f"{self.repo} on {self.endpoint} has no revision {revision!r}. Fix dataset.wikiart.revision."
            ) from error
        except (RepositoryNotFoundError, GatedRepoError) as error:
            raise self.repository_unreachable() from error
        except RevisionResolutionError as error:
            cause = "HF_HUB_OFFLINE is set" if self.offline else "the Hub cannot be reached"
            raise StylepathError(
                f"cannot resolve {self.where(revision)}: {cause} and the Hugging Face cache ({self.cache_dir}) "
                "has no ref for it. Give dataset.wikiart.revision as a commit sha, or "
                + OFFLINE_FIX.format(repo=self.repo, revision=revision)
            ) from error
        except HfHubHTTPError as error:
            raise StylepathError(f"cannot resolve {self.where(revision)}: {error}. " + ACCESS_FIX) from error
        return resolved.resolved

    def repository_unreachable(self) -> StylepathError:
        """The error for a repository the Hub does not have, or not for this user."""
        return StylepathError(
            f"{self.repo} was not found on {self.endpoint} or needs access. Check dataset.wikiart.repo. " + ACCESS_FIX
        )

    def list_shards(self, sha: str, known: dict | None) -> tuple[list[dict], str]:
        """The parquet shards under data/ at `sha`, [{path, size, sha256 or None}] sorted, and where the list came from.

        From the Hub; offline (or when the Hub cannot be reached) from the cache, see cached_listing.
        """
        if not self.offline:
            try:
                entries = list(self.api.list_repo_tree(self.repo, "data", repo_type=REPO_TYPE, revision=sha))
            except (RepositoryNotFoundError, GatedRepoError) as error:
                raise self.repository_unreachable() from error
            except RevisionNotFoundError as error:
                raise StylepathError(
                    f"{self.repo} on {self.endpoint} has no commit {sha}. Fix dataset.wikiart.revision."
                ) from error
            except RemoteEntryNotFoundError as error:
                raise StylepathError(
                    f"no data/ folder in {self.where(sha)}: not the huggan/wikiart layout. "
                    "Check dataset.wikiart.repo and revision."
                ) from error
            except (httpx2.TransportError, HfHubHTTPError) as error:
                if isinstance(error, HfHubHTTPError) and error.response.status_code < 500:
                    raise StylepathError(f"cannot list {self.where(sha)}: {error}. " + ACCESS_FIX) from error
                log.warning("cannot reach %s (%s): listing the shards from the cache", self.endpoint, error)
            else:
                shards = [
                    {"path": e.path, "size": e.size, "sha256": e.lfs.sha256 if e.lfs else None}
                    for e in entries
                    if isinstance(e, RepoFile) and e.path.endswith(".parquet")
                ]
                if not shards:
                    raise StylepathError(
                        f"no parquet shards under data/ in {self.where(sha)}. Check dataset.wikiart.repo and revision."
                    )
                return sorted(shards, key=lambda shard: shard["path"]), "hub"
        return self.cached_listing(sha, known)

    def cached_listing(self, sha: str, known: dict | None) -> tuple[list[dict], str]:
        """The shard list without the Hub: stylepath's own from an earlier run, the cache's tree listing, or
        the files in the cached snapshot (completed from their `-of-<n>` names)."""
        if known and known.get("repo") == self.repo and known.get("sha") == sha:
            return known["shards"], "progress.json (an earlier listing at this commit)"
        try:
            files = get_cached_repo_tree(self.repo, repo_type=REPO_TYPE, revision=sha, cache_dir=self.cache_dir)
        except CachedRepoTreeNotFoundError:
            files = []
        shards = [
            {"path": f.path, "size": f.size, "sha256": None}
            for f in files
            if f.path.startswith("data/") and f.path.endswith(".parquet")
        ]
        if shards:
            return sorted(shards, key=lambda shard: shard["path"]), "the Hugging Face cache's tree listing"
        try:
            snapshot = Path(
                snapshot_download(
                    self.repo,
                    repo_type=REPO_TYPE,
                    revision=sha,
                    cache_dir=self.cache_dir,
                    local_files_only=True,
                    allow_patterns=["data/*.parquet"],
                )
            )
        except LocalEntryNotFoundError:
            snapshot = None
        found = sorted((snapshot / "data").glob("*.parquet")) if snapshot else []
        if not found:
            cause = "HF_HUB_OFFLINE is set" if self.offline else f"{self.endpoint} cannot be reached"
            raise StylepathError(
                f"cannot list the shards of {self.repo}@{sha}: {cause} and the Hugging Face cache "
                f"({self.cache_dir}) holds none of them: " + OFFLINE_FIX.format(repo=self.repo, revision=sha)
            )
        shards = [{"path": f"data/{f.name}", "size": f.stat().st_size, "sha256": None} for f in found]
        return complete_by_names(shards), "the cached snapshot folder"

    def cached(self, sha: str, path: str) -> str | None:
        """The shard's file in the cache at `sha`, or None."""
        found = try_to_load_from_cache(self.repo, path, cache_dir=self.cache_dir, revision=sha, repo_type=REPO_TYPE)
        return found if isinstance(found, str) else None

    def url(self, sha: str, path: str) -> str:
        return hf_hub_url(self.repo, path, repo_type=REPO_TYPE, revision=sha, endpoint=self.endpoint_arg)

    def download(self, sha: str, path: str) -> str:
        """Download one shard into the cache (the client resumes dropped connections); its cached file."""
        try:
            return hf_hub_download(
                self.repo,
                path,
                repo_type=REPO_TYPE,
                revision=sha,
                cache_dir=self.cache_dir,
                endpoint=self.endpoint_arg,
            )
        except LocalEntryNotFoundError as error:
            cause = "HF_HUB_OFFLINE is set" if self.offline else f"{self.endpoint} cannot be reached"
            raise StylepathError(
                f"cannot download {path} of {self.repo}@{sha}: {cause} and it is not in the Hugging Face cache "
                f"({self.cache_dir}). Check your network (shards done so far are kept; run again to go on), or "
                + OFFLINE_FIX.format(repo=self.repo, revision=sha)
            ) from error
        except (RepositoryNotFoundError, GatedRepoError) as error:
            raise StylepathError(f"cannot download {path} of {self.repo}: {error}. " + ACCESS_FIX) from error
        except (HfHubHTTPError, httpx2.HTTPError, OSError) as error:
            raise StylepathError(
                f"download of {path} from {self.where(sha)} failed ({error}). Shards done so far are kept: "
                "run again to go on, or check your network and the endpoint (HF_ENDPOINT, dataset.wikiart.endpoint)."
            ) from error

    def drop(self, cached_file: str) -> bool:
        """Remove one cached file through the cache's own delete strategy (its blob only if nothing else uses it)."""
        target = Path(cached_file)
        cache = scan_cache_dir(self.cache_dir)
        files = [
            file
            for repo in cache.repos
            if repo.repo_id == self.repo and repo.repo_type == REPO_TYPE
            for revision in repo.revisions
            for file in revision.files
            if file.file_path == target
        ]
        if not files:
            log.warning(
                "could not drop %s from the Hugging Face cache (not found by its scan): delete it by hand", target
            )
            return False
        cache.delete_files(*files).execute()
        return True


def complete_by_names(shards: list[dict]) -> list[dict]:
    """Add the shards that `<split>-<i>-of-<n>.parquet` names say exist but the cache lacks (size unknown)."""
    names = {shard_name(s["path"]) for s in shards}
    matches = [SHARD_NAME.match(name) for name in sorted(names)]
    if not all(matches):
        log.warning("shard names do not say how many shards there are: cannot tell whether the cache holds all")
        return sorted(shards, key=lambda shard: shard["path"])
    expected = set()
    for match in matches:
        width, total = len(match["index"]), int(match["total"])
        expected |= {f"{match['split']}-{i:0{width}d}-of-{match['total']}.parquet" for i in range(total)}
    missing = sorted(expected - names)
    if missing:
        log.warning("the cache holds %d of %d shards; missing: %s", len(names), len(expected), missing[:5])
    shards = shards + [{"path": f"data/{name}", "size": None, "sha256": None} for name in missing]
    return sorted(shards, key=lambda shard: shard["path"])


def cached_etag(cached_file: str) -> str | None:
    """The sha256 the Hub gave as ETag for a cached LFS file: the name of the blob its snapshot entry links to."""
    path = Path(cached_file)
    name = Path(path.readlink()).name if path.is_symlink() else None
    return name if name and SHA256.match(name) else None


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


def expected_sum(shard: dict, sums: dict, cached_file: str | None) -> tuple[str | None, str | None]:
    """(expected sha256, where it comes from): the config's, the Hub's listing, or the cache's ETag."""
    name = shard_name(shard["path"])
    if sums.get(name):
        return sums[name], "config"
    if shard.get("sha256"):
        return shard["sha256"], "hub"
    etag = cached_etag(cached_file) if cached_file else None
    return (etag, "hub (cached ETag)") if etag else (None, None)


def process_shard(hub: Hub, sha: str, shard: dict, settings: dict, folder: Path, ids: dict) -> dict:
    """Get one shard (cache or download), verify it, keep the wanted images, maybe drop it; its record."""
    name = shard_name(shard["path"])
    cached_file = hub.cached(sha, shard["path"])
    local = cached_file or hub.download(sha, shard["path"])
    downloaded = cached_file is None
    expected, expected_from = expected_sum(shard, settings.get("sha256") or {}, cached_file)
    actual = file_sha256(local)
    key = f"dataset.wikiart.sha256['{name}']"
    if expected is not None and actual != expected:
        if downloaded:
            hub.drop(local)
            what = "The download was removed from the Hugging Face cache; run again to retry"
        else:
            what = (
                f"The file was already in your Hugging Face cache ({local}) and was left as it is: delete it "
                f"(e.g. `hf cache rm hf://datasets/{hub.repo}/{shard['path']}`) and run again"
            )
        raise StylepathError(
            f"sha256 mismatch for {hub.url(sha, shard['path'])}: expected {expected} ({expected_from}), got {actual}. "
            f"{what}; if the file changed upstream on purpose, set {key} to {actual} (or remove it to use the Hub's)."
        )
    if expected is None:
        log.warning("%s: no sha256 known, not checked; its sha256 %s is recorded (set %s to pin it)", name, actual, key)
    size = Path(local).stat().st_size
    try:
        rows, kept = keep_styles(Path(local), folder, ids)
    finally:  # also when filtering fails: a shard this run downloaded never stays behind
        dropped = downloaded and not settings.get("keep_shards") and hub.drop(local)
    log.info(
        "%s (%s): kept %d of %d images%s",
        name,
        "downloaded" if downloaded else "from the cache",
        len(kept),
        rows,
        "; dropped from the cache" if dropped else "",
    )
    return {
        "url": hub.url(sha, shard["path"]),
        "path": name,
        "repo_path": shard["path"],
        "size": size,
        "sha256": actual,
        "expected_sha256": expected,
        "sha256_checked": expected is not None,
        "expected_sha256_from": expected_from,
        "origin": "downloaded" if downloaded else "hf cache",
        "dropped_from_cache": bool(dropped),
        "rows": rows,
        "kept": len(kept),
        "images": kept,
    }


def download(settings: dict, folder: Path) -> dict:
    """Stream the shards into per-style image files in `folder`; return the manifest."""
    folder = Path(folder)
    ids = style_ids(settings["styles"])
    repo, revision = settings["repo"], settings["revision"]
    hub = Hub(repo, settings.get("endpoint"))
    log.info("Hub %s, Hugging Face cache %s%s", hub.endpoint, hub.cache_dir, " (offline)" if hub.offline else "")
    progress_path = folder / PROGRESS
    progress = read_json(progress_path) if progress_path.exists() else {}
    sha = hub.resolve(revision)
    log.info("%s@%s is commit %s", repo, revision, sha)
    available, listed_from = hub.list_shards(sha, progress.get("listing"))
    shards = available[: settings.get("max_shards") or len(available)]
    log.info("using %d of %d shards (listed from %s)", len(shards), len(available), listed_from)
    key = {"repo": repo, "sha": sha, "styles": sorted(ids)}
    if {k: progress.get("key", {}).get(k) for k in key} != key:  # (older files also keyed the endpoint)
        progress = {"key": key, "shards": {}}
    if listed_from == "hub":  # remembered for offline runs at this commit
        progress["listing"] = {"repo": repo, "sha": sha, "shards": available}
    write_json(progress, progress_path)
    pending = [shard for shard in shards if shard_name(shard["path"]) not in progress["shards"]]
    if hub.offline:
        missing = [shard["path"] for shard in pending if hub.cached(sha, shard["path"]) is None]
        if missing:
            raise StylepathError(
                f"HF_HUB_OFFLINE is set and {len(missing)} of the {len(shards)} shards needed are neither done "
                f"(progress.json) nor in the Hugging Face cache ({hub.cache_dir}): {missing[:3]}"
                f"{' ...' if len(missing) > 3 else ''}. Set dataset.wikiart.max_shards lower, or "
                + OFFLINE_FIX.format(repo=repo, revision=sha)
            )
    for shard in shards:
        if shard not in pending:
            log.info("%s: already processed, skipped", shard_name(shard["path"]))
    for shard in tqdm(pending, desc="shards", unit="shard"):
        progress["shards"][shard_name(shard["path"])] = process_shard(hub, sha, shard, settings, folder, ids)
        write_json(progress, progress_path)
    processed = [progress["shards"][shard_name(s["path"])] for s in shards]
    images = [image for shard in processed for image in shard["images"]]
    return {
        "source": "wikiart",
        "repo": repo,
        "endpoint": hub.endpoint,
        "hf_hub_cache": hub.cache_dir,
        "hf_hub_offline": hub.offline,
        "revision": revision,
        "resolved_revision": sha,
        "listed_from": listed_from,
        "styles": sorted(ids),
        "style_ids": ids,
        "shards_available": len(available),
        "downloads": [{k: v for k, v in shard.items() if k != "images"} for shard in processed],
        "images": images,
    }
