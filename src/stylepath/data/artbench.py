"""ArtBench-10 (Liao et al. 2022): 60k paintings, 10 styles, 256 px, one tar.

`artbench-10-imagefolder-split.tar` holds `train/<style>/*.jpg` and `test/<style>/*.jpg`
(5,000 + 1,000 per style), usually under a top folder `artbench-10-imagefolder-split/`.
The tar is downloaded once and kept (so a change of styles only re-extracts); only the
configured styles' images are extracted, under `extracted/`.

ArtBench's own train/test split is not used as our split: the images of both go into one
pool per style, and `prepare-data` makes its own seeded, stratified train/val split. The
original split stays visible in each image's `source` path (`.../train/...` or `.../test/...`).
"""

import logging
import re
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from stylepath.data.fetch import fetch
from stylepath.data.files import safe_extract
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
# <anything>/train|test/<style>/<file>
MEMBER = re.compile(r"(?:^|/)(train|test)/([a-z_]+)/([^/]+)$")
EXTRACTED = "extracted"


def check_styles(styles) -> None:
    unknown = sorted(set(styles) - set(STYLES))
    if unknown:
        raise StylepathError(f"ArtBench-10 has no style {unknown}; its styles are {list(STYLES)}. Fix dataset.styles.")


def parse_member(name: str):
    """(split, style) of a tar member such as '.../train/realism/x.jpg', or None."""
    match = MEMBER.search(name)
    return (match.group(1), match.group(2)) if match else None


def download(settings: dict, folder: Path) -> dict:
    """Download the tar into `folder`, extract the configured styles; return the manifest."""
    styles = settings["styles"]
    check_styles(styles)
    url = settings["url"]
    archive = Path(folder) / (PurePosixPath(urlparse(url).path).name or "artbench.tar")
    record = fetch(url, archive, settings.get("sha256"), sha256_key="dataset.artbench.sha256")

    def wanted(name: str) -> bool:
        parsed = parse_member(name)
        return parsed is not None and parsed[1] in styles

    names = safe_extract(archive, Path(folder) / EXTRACTED, wanted)
    images, counts = [], {style: {"train": 0, "test": 0} for style in styles}
    for name in names:
        split, style = parse_member(name)
        counts[style][split] += 1
        images.append({"path": f"{EXTRACTED}/{name}", "style": style, "source": f"artbench:{name}"})
    log.info("extracted %d images: %s", len(images), counts)
    return {
        "source": "artbench",
        "url": url,
        "styles": sorted(styles),
        "downloads": [record],
        "extracted_to": EXTRACTED,
        "counts": counts,
        "images": images,
        "note": "ArtBench's train/test split is kept only in each image's source path; "
        "prepare-data makes its own stratified train/val split by seed.",
    }
