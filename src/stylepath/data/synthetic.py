"""Synthetic paintings: four style families whose style is texture and colour, not content.

Every image is a small scene (content) painted in one style:

- content: a horizon line (height, tilt), 2-4 shapes (ellipses or blocks: centre, size,
  tone) and a light position. It is drawn from a random stream seeded by (seed, index)
  alone, so it never depends on the style: image `index` of every style shows the same
  layout, and layouts vary from one index to the next.
- style: how the scene is painted, drawn from a stream seeded by (seed, style, index):

  impressionism  many short broken dabs of jittered colour, light pastel palette, soft edges
  expressionism  long bold strokes in saturated clashing (complementary) hues, dark outlines
  realism        smooth lighting gradients, earthy muted palette, fine low-amplitude detail
  romanticism    dark chiaroscuro: a dim scene lit by a bright warm focal light

Images are rendered at twice the target size and averaged down 2x2 (antialiasing).
Vectorised numpy/scipy per image: 400 images of 64 px take about a second.
"""

import numpy as np
from scipy import ndimage

from stylepath.io import StylepathError

STYLES = ("impressionism", "expressionism", "realism", "romanticism")
# Fixed keys (not the config's order), so each style's images never depend on the others'.
STYLE_KEYS = {name: key for key, name in enumerate(STYLES, start=1)}


def check_styles(styles) -> None:
    """Raise if a configured style has no synthetic generator."""
    unknown = sorted(set(styles) - set(STYLES))
    if unknown:
        raise StylepathError(
            f"the synthetic source has no style {unknown}; it paints only {list(STYLES)}. "
            "Set dataset.styles to some of these, or use a real source (artbench, wikiart, folder)."
        )


# ---------------------------------------------------------------- content (style-free)


def content(seed: int, index: int) -> dict:
    """The layout of image `index`: same for every style. Coordinates are fractions of the side."""
    rng = np.random.default_rng([seed, index])
    n_shapes = int(rng.integers(2, 5))
    return {
        "horizon": float(rng.uniform(0.3, 0.7)),
        "tilt": float(rng.uniform(-0.25, 0.25)),
        "sky_tone": float(rng.uniform(0.55, 1.0)),
        "ground_tone": float(rng.uniform(0.2, 0.6)),
        "shapes": [
            {
                "kind": str(rng.choice(["ellipse", "block"])),
                "x": float(rng.uniform(0.1, 0.9)),
                "y": float(rng.uniform(0.2, 0.9)),
                "rx": float(rng.uniform(0.06, 0.22)),
                "ry": float(rng.uniform(0.06, 0.22)),
                "tone": float(rng.uniform(0.0, 1.0)),
            }
            for _ in range(n_shapes)
        ],
        "light": (float(rng.uniform(0.15, 0.85)), float(rng.uniform(0.1, 0.6))),
    }


def render_layout(scene: dict, side: int) -> tuple[np.ndarray, np.ndarray]:
    """Region labels (side x side int: 0 sky, 1 ground, 2.. shapes) and tone (float in [0, 1])."""
    y, x = np.mgrid[0:side, 0:side] / side
    horizon = scene["horizon"] + scene["tilt"] * (x - 0.5)
    below = y > horizon
    regions = below.astype(np.int64)
    # Sky lighter towards the horizon, ground darker towards the bottom: a tonal layout.
    tone = np.where(
        below,
        scene["ground_tone"] * (1.15 - 0.3 * (y - horizon)),
        scene["sky_tone"] * (0.8 + 0.2 * np.clip(y / np.maximum(horizon, 1e-3), 0, 1)),
    )
    for k, shape in enumerate(scene["shapes"]):
        dx = (x - shape["x"]) / shape["rx"]
        dy = (y - shape["y"]) / shape["ry"]
        inside = dx**2 + dy**2 <= 1 if shape["kind"] == "ellipse" else (abs(dx) <= 1) & (abs(dy) <= 1)
        regions[inside] = 2 + k
        tone[inside] = shape["tone"]
    return regions, np.clip(tone, 0, 1)


# ---------------------------------------------------------------- colour helpers


def hsv_to_rgb(h, s, v) -> np.ndarray:
    """HSV (each array-like in [0, 1]) to RGB, stacked on a new last axis."""
    h, s, v = np.broadcast_arrays(np.asarray(h, float) % 1.0, np.asarray(s, float), np.asarray(v, float))
    i = np.floor(h * 6).astype(int) % 6
    f = h * 6 - np.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r = np.choose(i, [v, q, p, p, t, v])
    g = np.choose(i, [t, v, v, q, p, p])
    b = np.choose(i, [p, p, t, v, v, q])
    return np.stack([r, g, b], axis=-1)


def region_colours(regions: np.ndarray, tone: np.ndarray, palette: np.ndarray, tone_weight: float) -> np.ndarray:
    """Colour per pixel: the region's palette colour, brightened or darkened by the layout tone."""
    base = palette[regions % len(palette)]
    return base * ((1 - tone_weight) + tone_weight * 2 * tone[..., None]).clip(0, 1.6)


def cell_field(rng, side: int, cell_w: float, cell_h: float, angle: float, channels: int = 3) -> np.ndarray:
    """Random value per brush cell (cells cell_w x cell_h px, rotated by `angle`, rows offset
    at random so that cells read as strokes, not a grid): side x side x channels in N(0, 1)."""
    y, x = np.mgrid[0:side, 0:side].astype(float)
    u = x * np.cos(angle) + y * np.sin(angle)
    v = -x * np.sin(angle) + y * np.cos(angle)
    rows = np.floor(v / cell_h).astype(int)
    rows -= rows.min()
    offsets = rng.uniform(0, cell_w, size=rows.max() + 1)
    cols = np.floor((u + offsets[rows]) / cell_w).astype(int)
    cols -= cols.min()
    values = rng.normal(size=(rows.max() + 1, cols.max() + 1, channels))
    return values[rows, cols]


def outline(regions: np.ndarray, width: int) -> np.ndarray:
    """Boolean mask of region boundaries, `width` px wide."""
    edges = np.zeros(regions.shape, bool)
    edges[:-1] |= regions[:-1] != regions[1:]
    edges[:, :-1] |= regions[:, :-1] != regions[:, 1:]
    return ndimage.binary_dilation(edges, iterations=max(1, width // 2))


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of an H x W x C image over the two spatial axes."""
    return ndimage.gaussian_filter(image, sigma=(sigma, sigma, 0))


# ---------------------------------------------------------------- the four styles


# Each painter: (rng, scene, regions, tone, side) -> float image side x side x 3, about [0, 1].


def paint_impressionism(rng, scene, regions, tone, side):
    palette = hsv_to_rgb(rng.uniform(0, 1, 6), rng.uniform(0.18, 0.4, 6), rng.uniform(0.78, 0.97, 6))
    base = blur(region_colours(regions, tone, palette, 0.45), side / 48)  # soft edges
    angle = rng.uniform(0, np.pi)
    dabs = cell_field(rng, side, side / 14, side / 32, angle)  # short dabs in two directions
    dabs += 0.7 * cell_field(rng, side, side / 20, side / 40, angle + 1.3)
    image = base + 0.075 * dabs  # broken colour: every dab its own hue and value
    return 0.12 + 0.88 * image


def paint_expressionism(rng, scene, regions, tone, side):
    hue = rng.uniform(0, 1)
    hues = np.array([hue, hue + 0.5, hue + 0.17, hue + 0.67, hue + 0.33, hue + 0.83])  # clashing pairs
    palette = hsv_to_rgb(hues, rng.uniform(0.8, 1.0, 6), rng.uniform(0.7, 1.0, 6))
    base = region_colours(regions, tone, palette, 0.15)
    angle = rng.uniform(0, np.pi)
    field = cell_field(rng, side, side / 2.5, side / 24, angle, channels=2)  # long bands
    strokes = field[..., :1]
    accents = hsv_to_rgb(hues[(np.abs(field[..., 1]) * 4).astype(int) % 6], 0.95, 0.95)
    mix = (strokes > 0.8).astype(float)  # some strokes laid over in a clashing colour
    image = base * (1 - 0.6 * mix) + accents * 0.6 * mix + 0.12 * strokes
    image[outline(regions, max(2, side // 40))] = 0.05  # dark outlines
    return image


def paint_realism(rng, scene, regions, tone, side):
    hues = rng.uniform(0.05, 0.14, 6)  # ochres, umbers, olive
    palette = hsv_to_rgb(hues, rng.uniform(0.25, 0.5, 6), rng.uniform(0.4, 0.75, 6))
    base = blur(region_colours(regions, tone, palette, 0.4), side / 128)
    y, x = np.mgrid[0:side, 0:side] / side
    direction = rng.uniform(0, 2 * np.pi)
    light = 0.8 + 0.3 * (np.cos(direction) * (x - 0.5) + np.sin(direction) * (y - 0.5))  # smooth gradient
    detail = ndimage.gaussian_filter(rng.normal(size=(side, side)), 0.6)  # fine grain
    return base * light[..., None] + 0.04 * detail[..., None]


def paint_romanticism(rng, scene, regions, tone, side):
    hues = np.concatenate([rng.uniform(0.55, 0.68, 3), rng.uniform(0.02, 0.1, 3)])  # deep blues, browns
    palette = hsv_to_rgb(hues, rng.uniform(0.4, 0.7, 6), rng.uniform(0.3, 0.7, 6))
    base = blur(region_colours(regions, tone, palette, 0.5), side / 96)
    y, x = np.mgrid[0:side, 0:side] / side
    light_x, light_y = np.array(scene["light"]) + rng.normal(0, 0.05, 2)  # where the content puts it
    distance2 = (x - light_x) ** 2 + (y - light_y) ** 2
    light = np.exp(-distance2 / (2 * rng.uniform(0.18, 0.26) ** 2))[..., None]  # lit zone, dark rest
    core = np.exp(-distance2 / (2 * rng.uniform(0.05, 0.08) ** 2))[..., None]  # the bright focal light
    warm = hsv_to_rgb(rng.uniform(0.08, 0.14), rng.uniform(0.55, 0.8), 1.0)
    haze = ndimage.gaussian_filter(rng.normal(size=(side, side)), side / 16)[..., None]
    haze = 0.04 * haze / (haze.std() + 1e-9)
    image = base * (0.25 + 0.9 * light) + warm * (0.25 * light + 0.8 * core)
    return image + haze * (1 - light)


PAINTERS = {
    "impressionism": paint_impressionism,
    "expressionism": paint_expressionism,
    "realism": paint_realism,
    "romanticism": paint_romanticism,
}


def describe(style: str, index: int, seed: int) -> dict:
    """Metadata of image `index` of `style`: image_id, style, source."""
    return {
        "image_id": f"synthetic/{style}/{index:05d}",
        "style": style,
        "source": f"synthetic:seed={seed}/{style}/{index}",
    }


def paint(style: str, seed: int, index: int, size: int) -> np.ndarray:
    """Image `index` of `style`: uint8 size x size x 3."""
    side = 2 * size
    scene = content(seed, index)
    regions, tone = render_layout(scene, side)
    rng = np.random.default_rng([seed, STYLE_KEYS[style], index])
    image = PAINTERS[style](rng, scene, regions, tone, side)
    small = image.reshape(size, 2, size, 2, 3).mean(axis=(1, 3))  # 2x2 average: antialiased
    return np.clip(np.rint(small * 255), 0, 255).astype(np.uint8)


def generate(styles, n_per_style: int, size: int, seed: int):
    """`n_per_style` paintings of each style, in the order of `styles`, then index.

    Returns (images uint8 N x size x size x 3, rows: [describe(style, index, seed)]).
    """
    check_styles(styles)
    pairs = [(style, index) for style in styles for index in range(n_per_style)]
    images = np.stack([paint(style, seed, index, size) for style, index in pairs])
    return images, [describe(style, index, seed) for style, index in pairs]
