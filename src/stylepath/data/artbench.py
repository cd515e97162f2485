"""ArtBench-10 (Liao et al. 2022): 60k paintings, 10 styles, 256 px, one tar.

`artbench-10-imagefolder-split.tar` holds `train/<style>/*.jpg` and `test/<style>/*.jpg`
(5,000 + 1,000 per style), usually under a top folder `artbench-10-imagefolder-split/`.

Where the images come from (`dataset.artbench.path`):
- null (the default): the tar is downloaded once into the manifest's folder and kept (so a
  change of styles only re-extracts); the configured styles are extracted under `extracted/`.
- the path of a tar you already have: it is used where it is (not copied), checked like a
  download (against `sha256` when given, else its sum is recorded), and the configured styles
  are extracted under `extracted/`.
- the path of the extracted folder (the one holding train/ and test/, or its parent): the
  images are used where they are (nothing is copied); the layout is checked.
In every case the counts per style and split are recorded and compared with ArtBench's
(5,000 train + 1,000 test): a style without any image is an error, other differences a warning.

ArtBench's own train/test split is not used as our split: the images of both go into one
pool per style, and `prepare-data` makes its own seeded, stratified train/val split. The
original split stays visible in each image's `source` path (`.../train/...` or `.../test/...`).
"""

import logging
import re
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from stylepath.data.fetch import fetch
from stylepath.data.files import file_sha256, safe_extract
from stylepath.io import StylepathError

log = logging.getLogger(__name__)

STYLES = (
    "art_nouveau",
    "baroque",
    "expressionism",
    "impressionism",
    "post_impressionism",
    "realism",
    "renaissance",
    "romanticism",
    "surrealism",
    "ukiyo_e",
)
SPLITS = ("train", "test")
OFFICIAL_COUNTS = {"train": 5000, "test": 1000}  # images per style in ArtBench-10
TOP_FOLDER = "artbench-10-imagefolder-split"
# <anything>/train|test/<style>/<file>
MEMBER = re.compile(r"(?:^|/)(train|test)/([a-z_]+)/([^/]+)$")
EXTRACTED = "extracted"
NOTE = (
    "ArtBench's train/test split is kept only in each image's source path; "
    "prepare-data makes its own stratified train/val split by seed."
)


def check_styles(styles) -> None:
    unknown = sorted(set(styles) - set(STYLES))
    if unknown:
        raise StylepathError(f"ArtBench-10 has no style {unknown}; its styles are {list(STYLES)}. Fix dataset.styles.")


def parse_member(name: str):
    """(split, style) of a tar member such as '.../train/realism/x.jpg', or None."""
    match = MEMBER.search(name)
    return (match.group(1), match.group(2)) if match else None


# ---------------------------------------------------------------- from a tar


def local_tar_record(archive: Path, expected: str | None) -> dict:
    """Check a tar the user already has against `expected` (its sha256, or None); never touches it."""
    actual = file_sha256(archive)
    if expected is not None and actual != expected:
        raise StylepathError(
            f"sha256 mismatch for {archive} (dataset.artbench.path): expected {expected} "
            f"(dataset.artbench.sha256), got {actual}. The file was left as it is. Point dataset.artbench.path "
            f"to an intact copy (or set it to null to download the tar), or set dataset.artbench.sha256 to "
            f"{actual} if this copy is the one you want."
        )
    if expected is None:
        log.warning(
            "no sha256 given for %s: not checked; its sha256 %s is recorded in the manifest "
            "(set dataset.artbench.sha256 to it to pin this exact file)",
            archive,
            actual,
        )
    else:
        log.info("sha256 of %s verified (%s)", archive, actual)
    return {
        "path": str(archive),
        "size": archive.stat().st_size,
        "sha256": actual,
        "expected_sha256": expected,
        "sha256_checked": expected is not None,
        "expected_sha256_from": "config" if expected is not None else None,
    }


def from_tar(archive: Path, folder: Path, styles) -> tuple[list[dict], dict]:
    """Extract the configured styles of `archive` under `folder/extracted/`: (images, counts)."""

    def wanted(name: str) -> bool:
        parsed = parse_member(name)
        return parsed is not None and parsed[1] in styles

    names = safe_extract(archive, folder / EXTRACTED, wanted)
    images, counts = [], {style: dict.fromkeys(SPLITS, 0) for style in styles}
    for name in names:
        split, style = parse_member(name)
        counts[style][split] += 1
        images.append({"path": f"{EXTRACTED}/{name}", "style": style, "source": f"artbench:{name}"})
    log.info("extracted %d images from %s: %s", len(images), archive, counts)
    return images, counts


# ---------------------------------------------------------------- from an extracted folder


def split_root(path: Path) -> Path:
    """The folder holding train/ and test/: `path` itself or its one sub-folder that does."""

    def has_splits(folder: Path) -> bool:
        return any((folder / split).is_dir() for split in SPLITS)

    if has_splits(path):
        return path
    inside = sorted(child for child in path.iterdir() if child.is_dir() and has_splits(child))
    if len(inside) == 1:
        return inside[0]
    found = sorted(child.name for child in path.iterdir())[:10]
    raise StylepathError(
        f"{path} (dataset.artbench.path) is not an extracted ArtBench-10: expected train/<style>/ and "
        f"test/<style>/ folders in it or in one sub-folder (such as {TOP_FOLDER}/), found {found}. "
        "Point dataset.artbench.path to the extracted folder or to artbench-10-imagefolder-split.tar, "
        "or set it to null to download the tar."
    )


def from_folder(path: Path, styles) -> tuple[list[dict], dict, Path]:
    """The configured styles' image files under an extracted ArtBench, used in place: (images, counts, root)."""
    root = split_root(path)
    images, counts = [], {style: dict.fromkeys(SPLITS, 0) for style in styles}
    for style in sorted(styles):
        for split in SPLITS:
            style_folder = root / split / style
            if not style_folder.is_dir():
                continue
            files = sorted(p for p in style_folder.iterdir() if p.is_file() and not p.name.startswith("."))
            counts[style][split] = len(files)
            images += [
                {
                    "path": str(file),
                    "style": style,
                    "source": f"artbench:{file.relative_to(path).as_posix()}",
                }
                for file in files
            ]
    log.info("found %d images in %s: %s", len(images), root, counts)
    return images, counts, root


# ---------------------------------------------------------------- the source


def check_counts(counts: dict, where: str, fix: str) -> bool:
    """Raise when a style has no image; warn when counts differ from ArtBench's. True if they match."""
    empty = sorted(style for style, by_split in counts.items() if not any(by_split.values()))
    if empty:
        raise StylepathError(
            f"{where} has no images of the styles {empty} (ArtBench-10 keeps them in train/<style>/ and "
            f"test/<style>/). {fix}"
        )
    odd = {style: by_split for style, by_split in counts.items() if by_split != OFFICIAL_COUNTS}
    if odd:
        log.warning(
            "%s does not hold ArtBench-10's %s images per style for %s: a partial or modified copy? "
            "The images found are used; the counts are recorded in the manifest.",
            where,
            OFFICIAL_COUNTS,
            odd,
        )
    return not odd


def download(settings: dict, folder: Path) -> dict:
    """Images of the configured styles from the downloaded tar, a local tar or a local folder; the manifest."""
    styles = settings["styles"]
    check_styles(styles)
    folder = Path(folder)
    sha256 = settings.get("sha256")
    if settings.get("path") is None:
        url = settings["url"]
        archive = folder / (PurePosixPath(urlparse(url).path).name or "artbench.tar")
        record = fetch(url, archive, sha256, sha256_key="dataset.artbench.sha256")
        images, counts = from_tar(archive, folder, styles)
        origin = {"origin": "download", "url": url, "downloads": [record], "extracted_to": EXTRACTED}
        where, fix = f"the tar {archive}", f"It is damaged or not ArtBench-10: delete it and run again. ({url})"
    else:
        path = Path(settings["path"]).expanduser().resolve()
        fix = "Point dataset.artbench.path to a complete copy, set it to null to download, or fix dataset.styles."
        if path.is_dir():
            if sha256 is not None:
                log.warning("dataset.artbench.sha256 is the sum of the tar: not checked for the folder %s", path)
            images, counts, root = from_folder(path, styles)
            origin = {"origin": "local folder", "path": str(path), "root": str(root)}
            where = f"the folder {root}"
        elif path.is_file():
            record = local_tar_record(path, sha256)
            images, counts = from_tar(path, folder, styles)
            origin = {"origin": "local tar", "path": str(path), "local_archive": record, "extracted_to": EXTRACTED}
            where = f"the tar {path}"
        else:
            raise StylepathError(
                f"dataset.artbench.path {settings['path']!r} does not exist (resolved to {path}). Give the path "
                "of artbench-10-imagefolder-split.tar or of its extracted folder (relative paths start where "
                "Snakemake runs), or set it to null to download the tar."
            )
    matches = check_counts(counts, where, fix)
    return {
        "source": "artbench",
        "styles": sorted(styles),
        **origin,
        "counts": counts,
        "official_counts_per_style": OFFICIAL_COUNTS,
        "counts_match_official": matches,
        "images": images,
        "note": NOTE,
    }
