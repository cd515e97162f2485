"""`stylepath prepare-data`: every image of the configured styles, cropped, resized and split.

    stylepath prepare-data --settings JSON [--manifest manifest.json] \
        --images images.npy --metadata metadata.parquet --report report.json

settings = {"dataset": <the dataset block>, "seed": int}. `--manifest` is the download
manifest for artbench and wikiart, left out (or '') for synthetic and folder.

Steps: list the candidate images of each style (sorted by image_id); with max_per_style,
visit them in a seeded random order and keep the first max_per_style that decode; else
keep all that decode. Unreadable or truncated files are skipped and listed with their
reason in the report. Each image is converted to RGB, centre-cropped to a square and
resized (Lanczos) to image_size. Then a stratified train/val split by seed: in each style,
ceil(val_fraction * n) images (at least one, never all) go to val. Rows are sorted by style,
then image_id; row i of images.npy is row i of metadata.parquet.
"""

import collections
import logging
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from stylepath.config import DOWNLOADED_SOURCES
from stylepath.data import folder, image_files, synthetic
from stylepath.data.prepared import write_prepared
from stylepath.io import StylepathError, read_json, write_json

log = logging.getLogger(__name__)


def candidates_from_manifest(manifest_path: str, dataset: dict) -> list[dict]:
    """Image files a download manifest lists for the configured styles."""
    source = dataset["source"]
    if not manifest_path:
        raise StylepathError(
            f"source {source} needs its download manifest: run `stylepath download` first (Snakemake does)."
        )
    path = Path(manifest_path)
    if not path.is_file():
        raise StylepathError(f"download manifest {path} does not exist: run `stylepath download` for {source} first.")
    manifest = read_json(path)
    if manifest.get("source") != source:
        raise StylepathError(f"{path} is a {manifest.get('source')} manifest, but dataset.source is {source}.")
    missing = sorted(set(dataset["styles"]) - set(manifest.get("styles", [])))
    if missing:
        raise StylepathError(
            f"{path} was downloaded without the styles {missing}: download again with the current styles."
        )
    return [
        {
            "image_id": image["path"],
            "style": image["style"],
            "path": path.parent / image["path"],
            "source": image["source"],
        }
        for image in manifest["images"]
        if image["style"] in dataset["styles"]
    ]


def synthetic_candidates(dataset: dict, seed: int) -> list[dict]:
    synthetic.check_styles(dataset["styles"])
    return [
        {**synthetic.describe(style, index, seed), "index": index}
        for style in dataset["styles"]
        for index in range(dataset["synthetic"]["n_per_style"])
    ]


def list_candidates(dataset: dict, seed: int, manifest_path: str) -> tuple[list[dict], list[str]]:
    """Candidates [{image_id, style, source, path | index}] and styles present but not configured."""
    source = dataset["source"]
    if source == "synthetic":
        return synthetic_candidates(dataset, seed), []
    if source == "folder":
        return folder.list_images(dataset["folder"], dataset["styles"])
    if source in DOWNLOADED_SOURCES:
        return candidates_from_manifest(manifest_path, dataset), []
    raise StylepathError(f"unknown dataset.source {source!r}: use synthetic, artbench, wikiart or folder.")


def visit_order(candidates: list[dict], style: str, cap: int | None, seed: int) -> list[dict]:
    """A style's candidates by image_id, or in a seeded random order when capped."""
    ordered = sorted(candidates, key=lambda c: c["image_id"])
    if cap is None:
        return ordered
    rng = np.random.default_rng([seed, zlib.crc32(style.encode())])  # one stream per style
    return [ordered[i] for i in rng.permutation(len(ordered))]


def load(candidate: dict, size: int, seed: int) -> np.ndarray:
    if "index" in candidate:
        return synthetic.paint(candidate["style"], seed, candidate["index"], size)
    return image_files.load_square(candidate["path"], size)


def decode_style(candidates, style, size, cap, seed, progress):
    """Decode a style's images until `cap` are kept. Returns (kept rows, arrays, skipped rows)."""
    kept, arrays, skipped = [], [], []
    for candidate in visit_order(candidates, style, cap, seed):
        if cap is not None and len(kept) == cap:
            break
        progress.update(1)
        try:
            arrays.append(load(candidate, size, seed))
        except MemoryError:
            raise
        except Exception as error:  # any unreadable file is skipped, never a crash
            reason = image_files.describe_error(error)
            log.warning("skipped %s: %s", candidate["source"], reason)
            skipped.append(
                {
                    "image_id": candidate["image_id"],
                    "style": style,
                    "source": candidate["source"],
                    "reason": reason,
                }
            )
            continue
        kept.append({"image_id": candidate["image_id"], "style": style, "source": candidate["source"]})
    return kept, arrays, skipped


def split(styles: list[str], val_fraction: float, seed: int) -> np.ndarray:
    """'train'/'val' per row, stratified: in each style ceil(val_fraction * n) images
    (at least 1, at most n - 1) chosen by a seeded stream of that style go to val."""
    styles = np.asarray(styles)
    labels = np.full(len(styles), "train", dtype=object)
    for style in sorted(set(styles)):
        rows = np.flatnonzero(styles == style)
        if len(rows) < 2:
            raise StylepathError(f"style {style} has {len(rows)} image, too few for a train/val split. Add images.")
        n_val = min(len(rows) - 1, max(1, int(np.ceil(val_fraction * len(rows) - 1e-9))))
        rng = np.random.default_rng([seed, zlib.crc32(style.encode()), 1])
        labels[rng.choice(rows, size=n_val, replace=False)] = "val"
    return labels


def prepare(dataset: dict, seed: int, manifest_path: str = ""):
    """Returns (images uint8 N x S x S x 3, metadata DataFrame, report dict)."""
    styles, size, cap = dataset["styles"], dataset["image_size"], dataset["max_per_style"]
    candidates, unused_styles = list_candidates(dataset, seed, manifest_path)
    by_style = {style: [c for c in candidates if c["style"] == style] for style in styles}
    empty = [style for style, found in by_style.items() if not found]
    if empty:
        raise StylepathError(
            f"no images of the styles {empty} in the {dataset['source']} source"
            + (f" (it has {unused_styles})" if unused_styles else "")
            + ". Fix dataset.styles or add images of these styles."
        )
    to_visit = sum(len(found) if cap is None else min(cap, len(found)) for found in by_style.values())
    rows, arrays, skipped = [], [], []
    with tqdm(total=to_visit, desc="images", unit="img", mininterval=2.0) as progress:
        for style in sorted(styles):
            kept, style_arrays, style_skipped = decode_style(by_style[style], style, size, cap, seed, progress)
            rows += kept
            arrays += style_arrays
            skipped += style_skipped
    unreadable = [style for style in styles if not any(row["style"] == style for row in rows)]
    if unreadable:
        raise StylepathError(
            f"no readable image of the styles {unreadable}: every file was skipped (see the reasons above)."
        )
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["style"], rows[i]["image_id"]))
    metadata = pd.DataFrame([rows[i] for i in order], columns=["image_id", "style", "source"])
    metadata.insert(2, "split", split(metadata["style"].tolist(), dataset["val_fraction"], seed))
    stacked = np.stack([arrays[i] for i in order])  # uint8 N x S x S x 3
    report = make_report(dataset, seed, manifest_path, metadata, by_style, skipped, unused_styles)
    report["separability"] = separability(stacked, metadata, seed)
    return stacked, metadata, report


def separability(images, metadata, seed: int) -> dict:
    """How well a logistic regression tells the styles apart on the val split from colour
    statistics alone and from texture statistics that ignore colour (stylepath.data.separability)."""
    from stylepath.data import separability as measure

    styles, splits = metadata["style"].to_numpy(), metadata["split"].to_numpy()
    return {
        "colour": measure.held_out_accuracy(measure.colour_features(images), styles, splits, seed),
        "texture": measure.held_out_accuracy(measure.texture_features(images), styles, splits, seed),
        "chance": 1 / metadata["style"].nunique(),
        "method": "held-out accuracy of a standardised logistic regression (fit on train, scored on val)",
    }


def make_report(dataset, seed, manifest_path, metadata, by_style, skipped, unused_styles) -> dict:
    counts = metadata.groupby(["style", "split"]).size().unstack(fill_value=0)
    return {
        "source": dataset["source"],
        "manifest": manifest_path or None,
        "image_size": dataset["image_size"],
        "styles": sorted(dataset["styles"]),
        "n_images": len(metadata),
        "counts": {
            style: {"train": int(row.get("train", 0)), "val": int(row.get("val", 0)), "total": int(row.sum())}
            for style, row in counts.iterrows()
        },
        "candidates": {style: len(found) for style, found in by_style.items()},
        "max_per_style": dataset["max_per_style"],
        "n_skipped": len(skipped),
        "skipped_by_reason": dict(collections.Counter(s["reason"].split(":")[0] for s in skipped)),
        "skipped": skipped,
        "styles_not_configured": unused_styles,
        "split": f"stratified by style, seed {seed}, val_fraction {dataset['val_fraction']} "
        "(a source's own train/test split, e.g. ArtBench's, is not used)",
        "settings": {"dataset": dataset, "seed": seed},
    }


OPTIONAL_INPUTS = ("manifest",)
OUTPUTS = ("images", "metadata", "report")


def main(args) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    dataset, seed = args.settings["dataset"], args.settings["seed"]
    stacked, metadata, report = prepare(dataset, seed, args.manifest)
    write_prepared(stacked, metadata, args.images, args.metadata)
    write_json(report, args.report)
    log.info("%d images (%s), %d skipped", len(metadata), report["counts"], report["n_skipped"])
