"""Local data files: sha256 sums and safe tar extraction (no network).

Archives are extracted only after every member has been checked (no absolute paths, no
'..', no links leaving the target, no device files): one unsafe member stops the whole
extraction before anything is written.
"""

import hashlib
import posixpath
import re
import tarfile
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from stylepath.io import StylepathError

# ---------------------------------------------------------------- checksums


def file_sha256(path) -> str:
    """Hex sha256 of a file, read in chunks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


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
