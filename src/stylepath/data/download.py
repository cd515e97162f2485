"""`stylepath download`: fetch a real data set into the manifest's folder, then write the manifest.

    stylepath download --settings JSON --manifest resources/<source>/manifest.json

settings = {"source": "artbench" | "wikiart", "styles": [...], **that source's config block}.

This module is only the command: each source (artbench.py, wikiart.py) knows where its data
comes from and returns the manifest, {source, styles, images: [{path, style, source}], ...}
with image paths relative to the manifest's folder or absolute. The manifest is written
last, atomically: its presence means the data set is complete.
"""

import datetime
import logging
from pathlib import Path

from stylepath import __version__
from stylepath.config import DOWNLOADED_SOURCES
from stylepath.io import StylepathError, write_json

log = logging.getLogger(__name__)


OUTPUTS = ("manifest",)


def main(args) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = args.settings
    source = settings.get("source")
    folder = Path(args.manifest).parent
    if source not in DOWNLOADED_SOURCES:
        raise StylepathError(
            f"nothing to download for source {source!r}: only {' and '.join(DOWNLOADED_SOURCES)} are downloaded "
            "(synthetic is generated, folder is read in place)."
        )
    if source == "artbench":
        from stylepath.data import artbench

        manifest = artbench.download(settings, folder)
    else:
        from stylepath.data import wikiart

        manifest = wikiart.download(settings, folder)
    manifest["created"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    manifest["stylepath_version"] = __version__
    manifest["settings"] = settings
    write_json(manifest, args.manifest)
    log.info("wrote %s (%d image files)", args.manifest, len(manifest["images"]))
