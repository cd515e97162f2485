"""`stylepath download`: fetch a real data set into the manifest's folder, then write the manifest.

    stylepath download --settings JSON --manifest resources/<source>/manifest.json

settings = {"source": "artbench" | "wikiart", "styles": [...], **that source's config block}.

Downloads are plain HTTPS (urllib): resumable (a `<name>.part` file is continued with an
HTTP Range request; a server that answers 200 instead of 206 restarts it), retried on
dropped connections, shown with tqdm, checked against a sha256 when one is known (else the
computed sum is recorded and said so), and renamed to the final name only once verified.
Archives are extracted only after every member has been checked (no absolute paths, no
'..', no links leaving the target). The manifest is written last, atomically: its presence
means the download is complete.
"""

import datetime
import hashlib
import http.client
import json
import logging
import os
import posixpath
import re
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from stylepath import __version__
from stylepath.io import StylepathError, write_json

log = logging.getLogger(__name__)

USER_AGENT = f"stylepath/{__version__}"
CHUNK_BYTES = 1 << 20
TIMEOUT_S = 60
RETRIES = 5  # further attempts after a dropped connection or a 5xx answer
RETRY_DELAY_S = 2.0  # doubled after each failed attempt
RETRY_HTTP_CODES = {408, 425, 429, 500, 502, 503, 504}


# ---------------------------------------------------------------- checksums


def file_sha256(path) -> str:
    """Hex sha256 of a file, read in chunks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def file_record(url: str, path: Path, sha256: str, expected: str | None, expected_from: str | None) -> dict:
    """What the manifest says about one downloaded file."""
    return {
        "url": url,
        "path": path.name,
        "size": path.stat().st_size,
        "sha256": sha256,
        "expected_sha256": expected,
        "sha256_checked": expected is not None,
        "expected_sha256_from": expected_from,
    }


# ---------------------------------------------------------------- HTTP


def open_url(url: str, headers: dict | None = None):
    """urlopen with our User-Agent and timeout (redirects are followed, headers kept)."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    return urllib.request.urlopen(request, timeout=TIMEOUT_S)


def content_range_start(value: str | None) -> int | None:
    """First byte of a Content-Range header such as 'bytes 100-999/1000'."""
    match = re.match(r"bytes (\d+)-", value or "")
    return int(match.group(1)) if match else None


def content_range_total(value: str | None) -> int | None:
    """Total size from a Content-Range header ('bytes 0-9/1000' or 'bytes */1000')."""
    match = re.search(r"/(\d+)\s*$", value or "")
    return int(match.group(1)) if match else None


def download_part(url: str, part: Path) -> None:
    """Download `url` into `part`, continuing what `part` already holds.

    Retries dropped connections and transient HTTP errors, each time resuming with a Range
    request; restarts from zero when the server ignores the Range (200 instead of 206).
    """
    last_error = None
    for attempt in range(RETRIES + 1):
        if attempt:
            delay = RETRY_DELAY_S * 2 ** (attempt - 1)
            log.warning("download of %s interrupted (%s); retrying in %.0f s", url, last_error, delay)
            time.sleep(delay)
        start = part.stat().st_size if part.exists() else 0
        try:
            with open_url(url, {"Range": f"bytes={start}-"} if start else None) as response:
                if start and response.status != 206:
                    log.info("%s ignored the range request (HTTP %s): restarting from byte 0", url, response.status)
                    start = 0
                elif start and content_range_start(response.headers.get("Content-Range")) != start:
                    log.info(
                        "%s answered another range (%s): restarting from byte 0",
                        url,
                        response.headers.get("Content-Range"),
                    )
                    start = 0
                elif start:
                    log.info("resuming %s at byte %d", url, start)
                length = response.headers.get("Content-Length")
                total = start + int(length) if length is not None else None
                name = part.name.removesuffix(".part")
                progress = tqdm(total=total, initial=start, unit="B", unit_scale=True, desc=name, mininterval=2.0)
                with open(part, "ab" if start else "wb") as f, progress as bar:
                    while chunk := response.read(CHUNK_BYTES):
                        f.write(chunk)
                        bar.update(len(chunk))
            size = part.stat().st_size
            if total is not None and size != total:
                raise http.client.IncompleteRead(b"", total - size)
            return
        except urllib.error.HTTPError as error:
            if error.code == 416 and start:
                if content_range_total(error.headers.get("Content-Range")) == start:
                    return  # the .part was already complete
                log.info("%s refused the range of %s: restarting from byte 0", url, part)
                part.unlink()
                last_error = error
                continue
            if error.code not in RETRY_HTTP_CODES:
                raise StylepathError(
                    f"cannot download {url}: HTTP {error.code} {error.reason}. "
                    "Check the URL in the config (or the mirror/endpoint) and your network."
                ) from error
            last_error = error
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            last_error = error
    kept = part.stat().st_size if part.exists() else 0
    raise StylepathError(
        f"download of {url} failed after {RETRIES + 1} attempts ({last_error}). "
        f"{kept} bytes are kept in {part}: run again to resume, or check your network."
    )


def fetch(
    url: str, dest, sha256: str | None = None, *, sha256_key: str = "sha256", sha256_from: str = "config"
) -> dict:
    """Download `url` to `dest` (resumable, verified) and return its manifest record.

    `sha256`: expected hex sum (from `sha256_from`: 'config' or e.g. 'hub'); None records the
    computed one and logs that it was not checked. `sha256_key` names the config key to fix
    in error messages. An existing `dest` is kept when it matches (or nothing is expected).
    On a mismatch the partial download is deleted, nothing else is touched, `dest` is not
    written, and a StylepathError names the URL and both sums.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    expected_from = sha256_from if sha256 else None
    if dest.exists():
        actual = file_sha256(dest)
        if sha256 is None or actual == sha256:
            log.info("%s is already here (sha256 %s)", dest, actual)
            return file_record(url, dest, actual, sha256, expected_from)
        log.warning("%s has sha256 %s, not the expected %s: downloading it again", dest, actual, sha256)
    part = dest.with_name(dest.name + ".part")
    log.info("downloading %s to %s", url, dest)
    download_part(url, part)
    actual = file_sha256(part)
    if sha256 is not None and actual != sha256:
        part.unlink()
        raise StylepathError(
            f"sha256 mismatch for {url}: expected {sha256} ({sha256_from}), got {actual}. "
            f"The download was deleted and {dest} was not written; nothing else was touched. "
            f"Run again to retry; if the file changed upstream on purpose, set {sha256_key} to {actual} "
            "(or leave it null to only record the sum)."
        )
    if sha256 is None:
        log.warning(
            "no sha256 given for %s: not checked; its sha256 %s is recorded in the manifest "
            "(set %s to it to pin this exact file)",
            url,
            actual,
            sha256_key,
        )
    else:
        log.info("sha256 of %s verified (%s)", dest.name, actual)
    os.replace(part, dest)
    return file_record(url, dest, actual, sha256, expected_from)


def fetch_json(url: str):
    """GET a JSON document. Returns (value, url of the next page from a Link header or None)."""
    try:
        with open_url(url, {"Accept": "application/json"}) as response:
            value = json.loads(response.read())
            link = response.headers.get("Link") or ""
    except urllib.error.HTTPError as error:
        raise StylepathError(
            f"{url} answered HTTP {error.code} {error.reason}. "
            "Check the repository, revision and endpoint in the config."
        ) from error
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise StylepathError(
            f"cannot reach {url} ({error}). Check your network or the endpoint in the config."
        ) from error
    match = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', link)
    return value, match.group(1) if match else None


# ---------------------------------------------------------------- archives


def unsafe_reason(member: tarfile.TarInfo) -> str | None:
    """Why extracting `member` could write outside the target folder (None if it cannot)."""
    path = PurePosixPath(member.name)
    if member.name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", member.name):
        return "has an absolute path"
    if ".." in path.parts:
        return "has '..' in its path"
    if member.issym() or member.islnk():
        link = PurePosixPath(member.linkname)
        resolved = link if member.islnk() else path.parent / link  # hard links are relative to the root
        if member.linkname.startswith(("/", "\\")) or ".." in PurePosixPath(posixpath.normpath(resolved)).parts:
            return f"is a link to {member.linkname!r}, outside the target"
    if member.isdev():
        return "is a device file"
    return None


def safe_extract(archive, target, select) -> list[str]:
    """Extract the regular-file members of tar `archive` for which `select(name)` is true.

    Every member is checked first; one unsafe member stops the whole extraction before
    anything is written (StylepathError naming it). Returns the extracted member names, sorted.
    """
    archive, target = Path(archive), Path(target)
    try:
        with tarfile.open(archive, "r:*") as tar:
            return extract_checked(tar, archive, target, select)
    except tarfile.TarError as error:
        raise StylepathError(
            f"cannot read the archive {archive} ({error}): it is damaged or not a tar. Delete it and download it again."
        ) from error


def extract_checked(tar: tarfile.TarFile, archive: Path, target: Path, select) -> list[str]:
    """safe_extract on an open tar: check every member, then extract the selected files."""
    members = tar.getmembers()
    for member in members:
        reason = unsafe_reason(member)
        if reason:
            raise StylepathError(
                f"unsafe archive {archive}: member {member.name!r} {reason}; nothing was extracted. "
                "The file is corrupt or not the expected data set: delete it and download it again "
                "from a trusted URL."
            )
    chosen = [m for m in members if m.isfile() and select(m.name)]
    target.mkdir(parents=True, exist_ok=True)
    for member in tqdm(chosen, desc=f"extracting {archive.name}", unit="file", mininterval=2.0):
        tar.extract(member, target, filter="data")
    return sorted(m.name for m in chosen)


# ---------------------------------------------------------------- command


def add_arguments(parser) -> None:
    parser.add_argument("--manifest", required=True, help="manifest JSON to write; files go into its folder")


def main(args) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = args.settings
    source = settings.get("source")
    folder = Path(args.manifest).parent
    if source == "artbench":
        from stylepath.data import artbench

        manifest = artbench.download(settings, folder)
    elif source == "wikiart":
        from stylepath.data import wikiart

        manifest = wikiart.download(settings, folder)
    else:
        raise StylepathError(
            f"nothing to download for source {source!r}: only artbench and wikiart are downloaded "
            "(synthetic is generated, folder is read in place)."
        )
    manifest["created"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    manifest["stylepath_version"] = __version__
    manifest["settings"] = settings
    write_json(manifest, args.manifest)
    log.info("wrote %s (%d image files)", args.manifest, len(manifest["images"]))
