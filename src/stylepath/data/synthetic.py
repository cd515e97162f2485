"""Synthetic paintings: four styles that differ in how they are painted, not in what or in which colours.

Every image is a scene (content) painted with one style's brushwork, each from its own
random stream seeded by (seed, style, index):

- content, drawn the same way for every style: the palette (landscape hues or a colour
  scheme on a random hue; saturation, key, sky/ground contrast), the light (a gradient of
  random direction and strength, an optional glow and its tint) and a composition at three
  scales: sky and ground split by a tilted, hilly horizon (large), one to three masses on
  it or in the foreground, shaded from the light (medium), a high-contrast focal object and
  up to four small details (small). Most of an image's variance is this low-frequency
  layout, which a small autoencoder can learn. A style only nudges the palette
  (PALETTE_TENDENCY: a slightly higher or lower key, a slightly more or less vivid
  palette, as in real art), far less than images differ from each other.
- style: the brushwork laid over the scene, jittered per image around the style's values
  (STYLE_PARAMS). Its grey-level amplitude is about the same in every style (TEXTURE_STD,
  a few per cent of the variance); what differs is its structure (lengths in pixels of a
  32 px image; they scale with the size, so a painting is the same at 32, 64 or 128 px):

  impressionism  short dabs (~3 px) turning to a new direction every few pixels, broken
                 colour (each dab shifts the hue), soft edges, light impasto
  expressionism  long strokes (~8 px) following a swirling flow field and dragging colour
                 across edges, heavy impasto, dark outlines round the shapes
  realism        no visible strokes: crisp edges, smooth blending, a fine isotropic grain
  romanticism    lost (soft) edges and a mottled glaze of soft isotropic patches

So per-image colour statistics say little about the style and texture statistics a lot
(`stylepath.data.separability` measures both). Content is drawn per (style, index), not
shared by image i of every style: a validation image's layout and palette are then never
seen in training under another style, as with real paintings. Images are rendered at
twice the size and averaged down 2x2; a style never depends on the others.
"""

import numpy as np
from scipy import ndimage

from stylepath.io import StylepathError

STYLES = ("impressionism", "expressionism", "realism", "romanticism")
# Fixed keys (not the config's order), so each style's images never depend on the others'.
STYLE_KEYS = {name: key for key, name in enumerate(STYLES, start=1)}
CONTENT, BRUSHWORK = 0, 1  # the two streams of an image
TEXTURE_STD = 0.035  # grey-level standard deviation of the brushwork in the final image


def check_styles(styles) -> None:
    """Raise if a configured style has no synthetic generator."""
    unknown = sorted(set(styles) - set(STYLES))
    if unknown:
        raise StylepathError(
            f"the synthetic source has no style {unknown}; it paints only {list(STYLES)}. "
            "Set dataset.styles to some of these, or use a real source (artbench, wikiart, folder)."
        )


def streams(seed: int, style: str, index: int) -> tuple[np.random.Generator, np.random.Generator]:
    """(content stream, brushwork stream) of image `index` of `style`."""
    key = STYLE_KEYS[style]
    return np.random.default_rng([seed, key, index, CONTENT]), np.random.default_rng([seed, key, index, BRUSHWORK])


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


def colour(hue: float, saturation: float, value: float) -> list[float]:
    """One RGB colour (a plain list, so that a scene is plain data)."""
    return hsv_to_rgb(hue, np.clip(saturation, 0, 1), np.clip(value, 0.03, 0.97)).tolist()


# ---------------------------------------------------------------- content (style-free)

SCHEMES = (  # hue offsets of a colour scheme: analogous, complementary, triadic, split complementary
    (0.0, 0.06, -0.06, 0.12, -0.1),
    (0.0, 0.5, 0.04, 0.54, -0.04),
    (0.0, 1 / 3, 2 / 3, 0.05, 0.38),
    (0.0, 0.42, 0.58, 0.06, 0.5),
)


def draw_hues(rng: np.random.Generator) -> np.ndarray:
    """Five hues: sky, ground, two for the masses, the focal object. Mostly a landscape's
    (blue, warm or grey sky; green, earth or water ground), else a colour scheme on a
    random base hue, shuffled."""
    if rng.uniform() < 0.6:
        sky = rng.choice([rng.uniform(0.52, 0.66), rng.uniform(0.02, 0.14), rng.uniform(0, 1)])
        ground = rng.choice([rng.uniform(0.18, 0.4), rng.uniform(0.04, 0.13), rng.uniform(0.45, 0.56)])
        masses = ground + rng.normal(0, 0.06, 2)
        return np.array([sky, ground, *masses, ground + 0.5 + rng.normal(0, 0.08)]) % 1
    offsets = np.array(SCHEMES[rng.integers(len(SCHEMES))])
    return rng.permutation((rng.uniform() + offsets + rng.normal(0, 0.02, 5)) % 1)


def draw_scene(rng: np.random.Generator, tendency: tuple[float, float] = (0.0, 1.0)) -> dict:
    """Palette, light and composition of one image. Coordinates are fractions of the side
    (x to the right, y down); colours are RGB in [0, 1]. `tendency` (key shift, saturation
    factor) nudges the palette: a style's PALETTE_TENDENCY, the only way style reaches content."""
    hues = draw_hues(rng)  # sky, ground, two for the masses, focal object
    saturation = (0.06 + 0.6 * rng.uniform() ** 1.5) * tendency[1]  # muted (mostly) to vivid
    key, contrast = rng.uniform(0.3, 0.72) + tendency[0], rng.uniform(0.3, 0.65)
    sky_lighter = rng.uniform() < 0.7
    sky_value = key + (contrast if sky_lighter else -contrast) / 2
    ground_value = key - (contrast if sky_lighter else -contrast) / 2
    horizon = rng.uniform(0.25, 0.75)
    sky_haze, far_haze = rng.uniform(0, 0.15), rng.uniform(0, 0.4)
    ground_far = (1 - far_haze) * np.array(colour(hues[1], saturation, ground_value)) + far_haze * np.array(
        colour(hues[0], saturation * 0.6, sky_value)
    )
    scene = {
        "horizon": horizon,
        "tilt": rng.uniform(-0.2, 0.2),
        "hills": [(rng.uniform(0, 0.08 / f), f, rng.uniform(0, 2 * np.pi)) for f in (rng.uniform(0.5, 1.5), 2.5)],
        "sky": (
            colour(hues[0], saturation * rng.uniform(0.7, 1.2), sky_value - sky_haze),  # zenith
            colour(hues[0] + rng.normal(0, 0.04), saturation * rng.uniform(0.4, 1.0), sky_value + sky_haze),
        ),
        "ground": (ground_far.tolist(), colour(hues[1], saturation * 1.1, ground_value - rng.uniform(0, 0.15))),
        "light": {
            "angle": rng.uniform(0, 2 * np.pi),
            "strength": rng.uniform(0.05, 0.4),
            "glow": rng.uniform(0.1, 0.35) if rng.uniform() < 0.6 else 0.0,
            "glow_at": (rng.uniform(0.1, 0.9), rng.uniform(0.05, max(0.1, horizon - 0.05))),
            "glow_radius": rng.uniform(0.1, 0.3),
            "tint": colour(rng.choice([rng.uniform(0.05, 0.15), rng.uniform(0.5, 0.65)]), 0.35, 1.0),
        },
    }
    scene["shapes"] = []
    for k in range(int(rng.integers(1, 4))):  # masses: hills, trees, rocks, buildings
        x, size = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.28)
        on_horizon = rng.uniform() < 0.6
        y = horizon_at(scene, x) - size * rng.uniform(0.2, 0.8) if on_horizon else rng.uniform(horizon + 0.1, 0.95)
        behind = sky_value if y < horizon_at(scene, x) else ground_value
        scene["shapes"].append(
            make_shape(
                kind="block" if rng.uniform() < 0.3 else "blob",
                x=x,
                y=y,
                rx=size * rng.uniform(0.7, 1.4),
                ry=size * rng.uniform(0.7, 1.4),
                wobble=rng.uniform(0, 0.15, 3).tolist(),
                phase=rng.uniform(0, 2 * np.pi, 3).tolist(),
                rgb=colour(
                    hues[2 + k % 2],
                    saturation * rng.uniform(0.6, 1.3),
                    behind + rng.choice([-1, 1]) * rng.uniform(0.08, 0.25),  # lighter or darker than behind
                ),
                shade=rng.uniform(0.1, 0.35),
            )
        )
    x, y = rng.choice([1 / 3, 2 / 3]) + rng.normal(0, 0.08), rng.uniform(0.2, 0.8)  # the focal object
    dark = max(sky_value, ground_value) > 0.55 and rng.uniform() < 0.6
    size = rng.uniform(0.035, 0.075)
    value = rng.uniform(0.05, 0.25) if dark else rng.uniform(0.8, 0.97)
    scene["shapes"].append(
        make_shape(
            x=x,
            y=y,
            rx=size * rng.uniform(0.5, 1.0),
            ry=size,
            rgb=colour(hues[4], rng.uniform(0.4, 0.9), value),
            shade=0.1,
        )
    )
    for _ in range(int(rng.integers(0, 5))):  # small details: flowers, birds, boats
        size, x, y = rng.uniform(0.012, 0.025), rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95)
        value = rng.choice([rng.uniform(0.05, 0.3), rng.uniform(0.75, 0.97)])
        scene["shapes"].append(
            make_shape(x=x, y=y, rx=size, ry=size, rgb=colour(hues[4], rng.uniform(0.3, 0.8), value))
        )
    return scene


def make_shape(x, y, rx, ry, rgb, kind="blob", wobble=(0.0, 0.0, 0.0), phase=(0.0, 0.0, 0.0), shade=0.0) -> dict:
    """A shape of the scene: an ellipse ("blob", its radius wobbling with harmonics 2-4) or a
    rectangle ("block") centred at (x, y) with half-axes (rx, ry), shaded from the light."""
    return {
        "kind": kind,
        "x": x,
        "y": y,
        "rx": rx,
        "ry": ry,
        "wobble": list(wobble),
        "phase": list(phase),
        "colour": rgb,
        "shade": shade,
    }


def horizon_at(scene: dict, x):
    """Height of the horizon (fraction of the side from the top) at x."""
    y = scene["horizon"] + scene["tilt"] * (np.asarray(x) - 0.5)
    for amplitude, frequency, phase in scene["hills"]:
        y = y + amplitude * np.sin(2 * np.pi * frequency * np.asarray(x) + phase)
    return y


def shape_window(shape: dict, side: int):
    """Slices of the pixels a shape may cover (its box, wobble and antialiasing included), or None."""
    reach = 1.5 * max(shape["rx"], shape["ry"])
    y0, y1 = (int(np.clip(np.floor((shape["y"] + d) * side), 0, side)) for d in (-reach, reach))
    x0, x1 = (int(np.clip(np.floor((shape["x"] + d) * side), 0, side)) for d in (-reach, reach))
    y0, x0, y1, x1 = max(0, y0 - 2), max(0, x0 - 2), min(side, y1 + 3), min(side, x1 + 3)
    return (slice(y0, y1), slice(x0, x1)) if y1 > y0 and x1 > x0 else None


def render_scene(scene: dict, side: int) -> tuple[np.ndarray, np.ndarray]:
    """The lit scene before any brushwork: (RGB float side x side x 3, region labels
    side x side: 0 sky, 1 ground, 2.. the shapes in drawing order)."""
    y, x = (np.mgrid[0:side, 0:side] + 0.5) / side
    horizon = horizon_at(scene, x[0])[None, :]
    t_sky = np.clip(y / np.maximum(horizon, 1e-3), 0, 1)[..., None]
    t_ground = np.clip((y - horizon) / np.maximum(1 - horizon, 1e-3), 0, 1)[..., None]
    zenith, low_sky = (np.array(c) for c in scene["sky"])
    far, near = (np.array(c) for c in scene["ground"])
    ground_alpha = np.clip(0.5 + (y - horizon) * side, 0, 1)[..., None]  # 1 render px of antialiasing
    image = (1 - ground_alpha) * (zenith + (low_sky - zenith) * t_sky) + ground_alpha * (far + (near - far) * t_ground)
    labels = (ground_alpha[..., 0] > 0.5).astype(np.int64)
    light = scene["light"]
    direction = np.array([np.cos(light["angle"]), np.sin(light["angle"])])
    for k, shape in enumerate(scene["shapes"]):
        window = shape_window(shape, side)  # only the pixels the shape can reach
        if window is None:
            continue
        sx, sy = x[window], y[window]
        dx, dy = (sx - shape["x"]) / shape["rx"], (sy - shape["y"]) / shape["ry"]
        if shape["kind"] == "block":
            radius = np.maximum(np.abs(dx), np.abs(dy))
        else:
            theta = np.arctan2(dy, dx)
            harmonics = enumerate(zip(shape["wobble"], shape["phase"]), start=2)
            wobble = 1 + sum(a * np.cos(j * theta + p) for j, (a, p) in harmonics)
            radius = np.hypot(dx, dy) / wobble
        alpha = np.clip(0.5 - (radius - 1) * min(shape["rx"], shape["ry"]) * side, 0, 1)[..., None]
        lit = 1 + shape["shade"] * np.clip(-(dx * direction[0] + dy * direction[1]), -1.5, 1.5)[..., None]
        image[window] = (1 - alpha) * image[window] + alpha * np.array(shape["colour"]) * lit
        labels[window][alpha[..., 0] > 0.5] = 2 + k
    # The light: a gradient along its direction and an optional glow (a sun, a window).
    gradient = 1 + light["strength"] * 2 * ((x - 0.5) * direction[0] + (y - 0.5) * direction[1])
    glow_x, glow_y = light["glow_at"]
    glow = light["glow"] * np.exp(-((x - glow_x) ** 2 + (y - glow_y) ** 2) / (2 * light["glow_radius"] ** 2))
    image = image * gradient[..., None] + glow[..., None] * np.array(light["tint"])
    return image, labels


# A mild palette tendency per style, as in real art (lighter impressionists, darker
# romantics, more vivid expressionists, more muted realists): (key shift, saturation factor),
# small against the spread of key (0.3-0.72) and saturation (0.06-0.66) between images.
PALETTE_TENDENCY = {
    "impressionism": (0.04, 1.0),
    "expressionism": (0.0, 1.12),
    "realism": (0.0, 0.9),
    "romanticism": (-0.04, 1.0),
}


def content(seed: int, style: str, index: int) -> dict:
    """The scene of image `index` of `style`: drawn the same way for every style, apart from
    the style's mild PALETTE_TENDENCY."""
    return draw_scene(streams(seed, style, index)[0], PALETTE_TENDENCY[style])


# ---------------------------------------------------------------- brushwork


# How each style paints. Lengths are in pixels of a 32 px image (they scale with the size);
# each image jitters them by a factor of 0.75-1.3.
#   edge       blur of the scene before painting (soft edges; 0 = crisp)
#   stroke     half-length of a stroke (0 = no strokes)
#   width      blur of the paint's noise: stroke width, or grain size without strokes
#   field      how stroke directions vary: "patches" (a new direction every `cell` px),
#              "flow" (a smooth swirling field) or "none" (isotropic texture, no strokes)
#   smear      half-length over which the strokes drag the scene's colours (blending)
#   chroma     colour share of the texture (broken colour), relative to its grey share
#   impasto    relief shading of the paint's ridges
#   outline    width of dark outlines round the shapes (0 = none)
#   amplitude  grey-level texture amplitude, relative to TEXTURE_STD
PARAMETERS = ("edge", "stroke", "width", "field", "cell", "smear", "chroma", "impasto", "outline", "amplitude")
# fmt: off
STYLE_PARAMS = {
    style: dict(zip(PARAMETERS, values))
    for style, values in {  # edge stroke width field   cell smear chroma impasto outline amplitude
        "impressionism": (0.6,  1.5,   0.4,  "patches", 2.5, 0.8, 0.5,   0.3,    0.0,    1.0),
        "expressionism": (0.0,  4.0,   0.4,  "flow",    0.0, 1.8, 0.4,   0.6,    0.5,    1.0),
        "realism":       (0.15, 0.0,   0.3,  "none",    0.0, 0.0, 0.2,   0.0,    0.0,    0.75),
        "romanticism":   (0.75, 0.0,   1.0,  "none",    0.0, 0.0, 0.2,   0.0,    0.0,    1.0),
    }.items()
}
# fmt: on


def stroke_directions(rng, params: dict, side: int, px: float) -> np.ndarray:
    """Angle of the strokes at each render pixel (side x side)."""
    if params["field"] == "patches":
        cell = params["cell"] * px * rng.uniform(0.8, 1.25)
        n = int(np.ceil(side / cell)) + 2
        angles = rng.uniform(0, np.pi, (n, n))
        y, x = np.mgrid[0:side, 0:side]
        offset = rng.uniform(0, cell, 2)
        return angles[((y + offset[0]) // cell).astype(int), ((x + offset[1]) // cell).astype(int)]
    base = rng.uniform(0, np.pi)
    swirl = ndimage.gaussian_filter(rng.normal(size=(side, side)), side / 6, mode="wrap")
    return base + rng.uniform(0.8, 1.6) * swirl / (swirl.std() + 1e-9)


def along_strokes(angles: np.ndarray, layers: list, step: float) -> list:
    """Each layer (side x side x C field, half-length in render px) averaged along the stroke
    through each pixel: a streamline of `angles` followed `step` px at a time both ways, with
    a tapered (Hann) weight over the layer's half-length (line integral convolution,
    nearest-pixel sampling). One walk serves all the layers."""
    side = angles.shape[0]
    steps = [max(1, int(round(half_length / step))) for _, half_length in layers]
    bounds = np.cumsum([0] + [field.shape[-1] for field, _ in layers])
    fields = np.concatenate([field.reshape(side * side, -1).T for field, _ in layers])  # channels x pixels
    total, weights = fields.copy(), [1.0] * len(layers)
    dx, dy = np.cos(angles).ravel() * step, np.sin(angles).ravel() * step
    start = np.arange(side * side)
    for sign in (1.0, -1.0):
        y, x, at = (start // side).astype(float), (start % side).astype(float), start
        for k in range(1, max(steps) + 1):
            y += sign * dy.take(at)
            x += sign * dx.take(at)
            row, column = np.rint(y).astype(np.int64), np.rint(x).astype(np.int64)
            at = np.clip(row, 0, side - 1) * side + np.clip(column, 0, side - 1)
            sampled = fields.take(at, axis=1)
            for j, n in enumerate(steps):
                if k <= n:
                    w = 0.5 + 0.5 * np.cos(np.pi * k / (n + 1))
                    total[bounds[j] : bounds[j + 1]] += w * sampled[bounds[j] : bounds[j + 1]]
                    weights[j] += w
    return [
        (total[bounds[j] : bounds[j + 1]] / weights[j]).T.reshape(field.shape) for j, (field, _) in enumerate(layers)
    ]


def downsample(image: np.ndarray) -> np.ndarray:
    """2x2 average of a side x side (x C) array."""
    side = image.shape[0]
    return image.reshape(side // 2, 2, side // 2, 2, *image.shape[2:]).mean(axis=(1, 3))


def outline(labels: np.ndarray, width: float) -> np.ndarray:
    """Float mask (0-1) of the region boundaries, about `width` render px wide."""
    edges = np.zeros(labels.shape, bool)
    edges[:-1] |= labels[:-1] != labels[1:]
    edges[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    return np.clip(ndimage.gaussian_filter(edges.astype(float), max(width / 2, 0.5)) * max(width, 1.0) * 1.5, 0, 1)


def brushwork(rng, style: str, scene_image: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Paint the flat scene (render size) in `style`: float side x side x 3."""
    params = STYLE_PARAMS[style]
    side = scene_image.shape[0]
    px = side / 32  # render pixels per pixel of a 32 px image: 2 at 32 px, 8 at 128 px

    def jitter():
        return rng.uniform(0.75, 1.3)

    image = scene_image
    if params["edge"]:
        image = ndimage.gaussian_filter(image, (params["edge"] * px * jitter(),) * 2 + (0,))
    if params["outline"]:
        image = image * (1 - rng.uniform(0.55, 0.8) * outline(labels, params["outline"] * px * jitter())[..., None])
    noise = ndimage.gaussian_filter(rng.normal(size=(side, side, 4)), (params["width"] * px * jitter(),) * 2 + (0,))
    if params["field"] != "none":
        angles = stroke_directions(rng, params, side, px)
        step = max(1.0, px / 2)
        layers = [(noise, params["stroke"] * px * jitter()), (image, params["smear"] * px * jitter())]
        noise, image = along_strokes(angles, layers, step)
    grey = noise[..., 0]
    if params["impasto"]:
        light = rng.uniform(1.0, 2.0)  # from the upper left, roughly
        gy, gx = np.gradient(ndimage.gaussian_filter(grey, px / 4))
        relief = -(gx * np.cos(light) + gy * np.sin(light))
        grey = grey / grey.std() + params["impasto"] * relief / (relief.std() + 1e-9)
    chroma = noise[..., 1:] - noise[..., 1:].mean(-1, keepdims=True)
    amplitude = TEXTURE_STD * params["amplitude"] * rng.uniform(0.85, 1.15)
    grey = grey * amplitude / (downsample(grey).std() + 1e-9)
    chroma = chroma * amplitude * params["chroma"] / (downsample(chroma).std() + 1e-9)
    return image + grey[..., None] + chroma


# ---------------------------------------------------------------- the interface


def describe(style: str, index: int, seed: int) -> dict:
    """Metadata of image `index` of `style`: image_id, style, source."""
    return {
        "image_id": f"synthetic/{style}/{index:05d}",
        "style": style,
        "source": f"synthetic:seed={seed}/{style}/{index}",
    }


def paint(style: str, seed: int, index: int, size: int) -> np.ndarray:
    """Image `index` of `style`: uint8 size x size x 3."""
    check_styles([style])
    return paint_scene(content(seed, style, index), style, streams(seed, style, index)[1], size)


def paint_scene(scene: dict, style: str, brush_rng: np.random.Generator, size: int) -> np.ndarray:
    """A scene painted in `style` with the brushwork drawn from `brush_rng`: uint8 size x size x 3
    (rendered at twice the size, then averaged 2x2). The same scene, style and stream give the
    same painting, so a walk through a scene's parameters changes only what they change."""
    scene_image, labels = render_scene(scene, 2 * size)
    image = downsample(brushwork(brush_rng, style, scene_image, labels))  # 2x2 average: antialiased
    return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)


def generate(styles, n_per_style: int, size: int, seed: int):
    """`n_per_style` paintings of each style, in the order of `styles`, then index.

    Returns (images uint8 N x size x size x 3, rows: [describe(style, index, seed)]).
    """
    check_styles(styles)
    pairs = [(style, index) for style in styles for index in range(n_per_style)]
    images = np.stack([paint(style, seed, index, size) for style, index in pairs])
    return images, [describe(style, index, seed) for style, index in pairs]
