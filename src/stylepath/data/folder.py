"""Your own images: a folder with one sub-folder per style, or a CSV with columns path,style.

    dataset.folder.path: my_paintings/     my_paintings/impressionism/*.jpg, my_paintings/realism/...
    dataset.folder.csv:  labels.csv        path,style rows; paths relative to the CSV's folder

Style names are lower-cased, with runs of other characters than a-z, 0-9 turned into '_'
('Post-Impressionism' -> 'post_impressionism'), to match dataset.styles. Every file (not
hidden) under a style's folder is a candidate; files that are not readable images are
skipped by prepare-data and listed in its report.
"""

import collections
import re
from pathlib import Path

import pandas as pd

from stylepath.io import StylepathError


def style_name(text: str) -> str:
    """'Post-Impressionism' -> 'post_impressionism'."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).strip().lower()).strip("_")


def from_folder(root: Path, styles) -> tuple[list[dict], list[str]]:
    """Images of the configured styles under root/<style>/ (recursively)."""
    if not root.is_dir():
        raise StylepathError(
            f"dataset.folder.path {root} is not a folder. Give a folder with one sub-folder per style."
        )
    found = collections.defaultdict(list)  # style -> its folders ('Realism' and 'realism' both count)
    for child in sorted(root.iterdir()):
        if child.is_dir() and not child.name.startswith("."):
            found[style_name(child.name)].append(child)
    images = []
    for style in styles:
        for path in sorted(p for directory in found.get(style, []) for p in directory.rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                images.append({"image_id": relative.as_posix(), "style": style, "path": path, "source": str(path)})
    return images, sorted(set(found) - set(styles))


def from_csv(csv: Path, styles) -> tuple[list[dict], list[str]]:
    """Images of the configured styles listed in a CSV with columns path,style."""
    if not csv.is_file():
        raise StylepathError(f"dataset.folder.csv {csv} does not exist. Give a CSV with columns path,style.")
    table = pd.read_csv(csv, dtype=str, keep_default_na=False)
    missing = {"path", "style"} - set(table.columns)
    if missing:
        raise StylepathError(
            f"{csv} lacks the column(s) {sorted(missing)}; it needs path,style (paths relative to the CSV)."
        )
    duplicated = sorted(table["path"][table["path"].duplicated()].unique())
    if duplicated:
        raise StylepathError(f"{csv} lists these paths more than once: {duplicated[:5]}. Keep one row per image.")
    table["style"] = table["style"].map(style_name)
    images = [
        {
            "image_id": row.path,
            "style": row.style,
            "path": csv.parent / row.path,
            "source": str(csv.parent / row.path),
        }
        for row in table.itertuples()
        if row.style in styles
    ]
    return images, sorted(set(table["style"]) - set(styles))


def list_images(settings: dict, styles) -> tuple[list[dict], list[str]]:
    """Candidates [{image_id, style, path, source}] and the style names found but not configured."""
    path, csv = settings.get("path"), settings.get("csv")
    if bool(path) == bool(csv):
        raise StylepathError(
            "the folder source needs exactly one of dataset.folder.path (one sub-folder per style) "
            "or dataset.folder.csv (columns path,style)."
        )
    return from_folder(Path(path), styles) if path else from_csv(Path(csv), styles)
