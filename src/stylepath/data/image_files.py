"""Decode any image file to RGB, centre-crop it to a square and resize it.

Every source (ArtBench, WikiArt, your folder) goes through `load_square`, so all images
are treated alike: EXIF orientation applied, transparency composited on white, grey,
palette, CMYK and 16-bit images converted to 8-bit RGB, then the central square resized
with Lanczos (antialiased) to `size` x `size`.
"""

import numpy as np
from PIL import Image, ImageOps


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB version of `image`, whatever its mode.

    Alpha (RGBA, LA, palette with transparency) is composited on white; 16/32-bit grey
    (I;16, I) is scaled from 0..65535 to 0..255; float grey (F) from 0..1 when it fits.
    """
    mode = image.mode
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if mode.startswith("I") or mode == "F":
        values = np.asarray(image, dtype=np.float64)
        if mode.startswith("I;16") or values.max(initial=0) > 255:
            values = values * (255.0 / 65535.0)
        elif mode == "F" and values.max(initial=0) <= 1.0:
            values = values * 255.0
        grey = np.clip(np.rint(values), 0, 255).astype(np.uint8)
        return Image.fromarray(grey, mode="L").convert("RGB")
    return image.convert("RGB")


def square_box(width: int, height: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the largest centred square."""
    side = min(width, height)
    left = (width - side) // 2
    top = (height - side) // 2
    return left, top, left + side, top + side


def load_square(source, size: int) -> np.ndarray:
    """Open `source` (a path or a binary file object) as a uint8 array size x size x 3.

    Raises whatever Pillow raises for unreadable or truncated files (OSError mostly);
    callers record the reason and skip the file.
    """
    with Image.open(source) as image:
        # JPEG only: decode at a reduced scale that is still >= 2x the target (fast, exact enough
        # since Lanczos does the final reduction).
        image.draft("RGB", (2 * size, 2 * size))
        image.load()  # decode now, so that a truncated file fails here
        image = ImageOps.exif_transpose(image)
        rgb = to_rgb(image)
    resized = rgb.crop(square_box(*rgb.size)).resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.uint8)


def describe_error(error: Exception) -> str:
    """One-line reason for a skipped file: the exception type and message."""
    message = str(error).strip() or "no message"
    return f"{type(error).__name__}: {message}"
