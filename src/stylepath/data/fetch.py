"""HTTP downloads of single files: resumable, retried, sha256-verified (urllib, no client library).

Used for what no library of the field fetches for us: ArtBench-10's one tar over plain
HTTPS. (WikiArt comes from the Hugging Face Hub through `huggingface_hub`, see wikiart.py.)

A download goes to `<name>.part`, which a later attempt or run continues with an HTTP Range
request (a server that answers 200 instead of 206 restarts it); dropped connections and
transient HTTP errors are retried with backoff; progress is shown with tqdm; the file is
checked against a sha256 when one is known (else the computed sum is recorded and said so)
and renamed to its final name only once verified.
"""

import http.client
import logging
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from stylepath import __version__
from stylepath.data.files import file_sha256
from stylepath.io import StylepathError

log = logging.getLogger(__name__)

USER_AGENT = f"stylepath/{__version__}"
CHUNK_BYTES = 1 << 20
TIMEOUT_S = 60
RETRIES = 5  # further attempts after a dropped connection or a 5xx answer
RETRY_DELAY_S = 2.0  # doubled after each failed attempt
RETRY_HTTP_CODES = {408, 425, 429, 500, 502, 503, 504}


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
