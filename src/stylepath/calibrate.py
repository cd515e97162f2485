"""`stylepath calibrate`: known-answer walks built from the run's own images, sent through exactly
the code the models' walks go through (stylepath.instruments.measure: every style instrument with
the run's VGG19 weights and style-loss settings, then stylepath.walk_shape.walk_patterns with the
run's rule),
so that the table says what the instrument can and cannot tell apart.

Each walk has `steps` frames (interpolation.steps) at t_k = k / (steps - 1), between two distinct
images A and B drawn at random (seeded), or from one image A. Kinds (criterion = kind) and the
answer each should give (`expected`):

    dissolve_linear  dissolve        (1 - t) A + t B
    dissolve_eased   dissolve        (1 - s) A + s B, s = 3t^2 - 2t^3 (smoothstep timing)
    hard_cut         cut             A while t < 1/2, then B
    blend_jump       cut             blend weight 0.4 t until t < 1/2, then 0.6 + 0.4 t: 0.6 of
                                     the dissolve in one step
    translate        transformation  A shifted by t * max_shift of the side (random direction)
    rotate           transformation  A rotated by t * max_rotation degrees (random sense)
    zoom             transformation  A magnified by 1 + t (max_zoom - 1) about its centre
    warp             transformation  A warped by t D: D a smooth random displacement field of RMS
                                     warp_amplitude of the side (the walk ends at another image,
                                     A fully warped)
    rendered         transformation  synthetic source only: the scene of A re-rendered by the
                                     generator (stylepath.data.synthetic) while its shapes move
                                     by max_shift, its horizon rises by max_shift / 2 and its
                                     light turns by 90 degrees, same brushwork stream
    noise            noise           A plus independent Gaussian noise of sd noise_level (pixels
                                     in [0, 1]) in every frame: a curve with no shape to find

Transformations resample with linear interpolation and mirrored borders (scipy.ndimage).

Outputs (results/<run>/calibration/; the contract: docs/outputs.md):
    images.npy          uint8 (walks x steps) x H x W x 3, the walks one after another
    index.parquet       row, pair_id (the walk), criterion (= kind), step, t
    style_loss.parquet  as style_loss/<chain>.parquet, model 'calibration', replicate -1
    walks.parquet       as patterns/<chain>/walks.parquet, model 'calibration', plus kind, expected
    summary.csv         per kind: pattern counts under the configured reading and both readings,
                        the CDI's and the dissolve score's distribution, the target and whether
                        the instrument meets it (see `TARGETS`)
"""

import numpy as np
import pandas as pd
from scipy import ndimage

from stylepath.instruments import component_weights, measure
from stylepath.io import StylepathError, save_npy, write_csv, write_parquet
from stylepath.walk_shape import DISSOLVE_MEASURE, PATTERNS, READINGS, walk_patterns

EXPECTED = {
    "dissolve_linear": "dissolve",
    "dissolve_eased": "dissolve",
    "hard_cut": "cut",
    "blend_jump": "cut",
    "translate": "transformation",
    "rotate": "transformation",
    "zoom": "transformation",
    "warp": "transformation",
    "rendered": "transformation",
    "noise": "noise",
}
TARGETS = {  # expected answer -> what the instrument must do on the walks of that kind
    "dissolve": "median dissolve score >= {dissolve_at}",
    "cut": "median dissolve score < {dissolve_at}",
    "transformation": "median dissolve score < {dissolve_at}",
    "noise": "share labelled wave <= {max_noise_wave_share}",
}


INPUTS = ("images", "metadata")
OUTPUTS = ("walk_images", "index", "style_loss", "walks", "summary")


# ----------------------------------------------------------------------------- the walks


def blend(a, b, weights) -> np.ndarray:
    """Frames (1 - w) a + w b for each weight: float S x H x W x 3."""
    weights = np.asarray(weights, np.float64)[:, None, None, None]
    return (1 - weights) * a[None] + weights * b[None]


def blend_weights(kind: str, t) -> np.ndarray:
    """Weight of B at each t for the dissolve and cut kinds."""
    t = np.asarray(t, np.float64)
    if kind == "dissolve_linear":
        return t
    if kind == "dissolve_eased":
        return 3 * t**2 - 2 * t**3
    if kind == "hard_cut":
        return (t >= 0.5).astype(np.float64)
    if kind == "blend_jump":
        return 0.4 * t + 0.6 * (t >= 0.5)
    raise ValueError(kind)


def resample(image, matrix, offset=None, coordinates=None) -> np.ndarray:
    """image float H x W x 3 sampled at matrix @ (y, x) + offset (or at given coordinates, 2 x H x W),
    linear interpolation, mirrored borders."""
    channels = []
    for c in range(3):
        if coordinates is None:
            channels.append(ndimage.affine_transform(image[..., c], matrix, offset, order=1, mode="mirror"))
        else:
            channels.append(ndimage.map_coordinates(image[..., c], coordinates, order=1, mode="mirror"))
    return np.stack(channels, axis=-1)


def about_centre(image, matrix) -> np.ndarray:
    """image sampled at matrix about its centre (matrix maps output to input coordinates)."""
    centre = (np.array(image.shape[:2]) - 1) / 2
    return resample(image, matrix, centre - matrix @ centre)


def transformed(kind: str, a, t, rng, settings: dict) -> np.ndarray:
    """Frames of a transformation kind of image a (float H x W x 3 in [0, 1]) at t."""
    side = a.shape[0]
    if kind == "translate":
        angle = rng.uniform(0, 2 * np.pi)
        shift = settings["max_shift"] * side * np.array([np.sin(angle), np.cos(angle)])
        return np.stack([resample(a, np.eye(2), -s * shift) for s in t])
    if kind == "rotate":
        sense = rng.choice([-1.0, 1.0])
        frames = []
        for s in t:
            theta = np.radians(sense * s * settings["max_rotation"])
            frames.append(about_centre(a, np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])))
        return np.stack(frames)
    if kind == "zoom":
        return np.stack([about_centre(a, np.eye(2) / (1 + s * (settings["max_zoom"] - 1))) for s in t])
    if kind == "warp":
        field = ndimage.gaussian_filter(
            rng.standard_normal((2, side, side)), sigma=(0, side / 6, side / 6), mode="wrap"
        )
        field *= settings["warp_amplitude"] * side / np.sqrt(np.mean(field**2))
        grid = np.mgrid[0:side, 0:side].astype(np.float64)
        return np.stack([resample(a, None, coordinates=grid + s * field) for s in t])
    raise ValueError(kind)


def rendered(source: str, t, size: int, settings: dict) -> np.ndarray | None:
    """Frames of the rendered walk through the scene of a synthetic image (its `source` entry,
    'synthetic:seed=<seed>/<style>/<index>'), or None for an image of another source."""
    from stylepath.data import synthetic

    if not source.startswith("synthetic:seed="):
        return None
    seed_part, style, index = source.removeprefix("synthetic:seed=").split("/")
    seed, index = int(seed_part), int(index)
    base = synthetic.content(seed, style, index)
    frames = []
    for s in t:
        scene = {**base, "horizon": base["horizon"] - s * settings["max_shift"] / 2}
        scene["light"] = {**base["light"], "angle": base["light"]["angle"] + s * np.pi / 2}
        scene["shapes"] = [{**shape, "x": shape["x"] + s * settings["max_shift"]} for shape in base["shapes"]]
        brush = synthetic.streams(seed, style, index)[1]  # the same brushwork stream in every frame
        frames.append(synthetic.paint_scene(scene, style, brush, size))
    return np.stack(frames).astype(np.float64) / 255.0


def build_walks(images, metadata: pd.DataFrame, settings: dict, steps: int, seed: int):
    """The known-answer walks: (frames uint8 (walks x steps) x H x W x 3, index table).
    images: the run's uint8 N x H x W x 3; metadata: its rows (source column)."""
    if len(images) < 2:
        raise StylepathError(
            "the calibration needs at least 2 images in data/images.npy; re-run `stylepath prepare-data`"
        )
    rng = np.random.default_rng([seed, 21])
    t = np.linspace(0.0, 1.0, steps)
    sources = metadata["source"].astype(str).to_numpy()
    synthetic_source = all(source.startswith("synthetic:") for source in sources)
    counts = {kind: settings["walks_per_kind"] for kind in EXPECTED}
    counts["noise"] = settings["noise_walks"]
    if not synthetic_source:
        del counts["rendered"]
    walks, kinds = [], []
    for kind, count in counts.items():
        for _ in range(count):
            i, j = rng.choice(len(images), size=2, replace=False)
            a, b = (np.asarray(images[k], np.float64) / 255.0 for k in (i, j))
            if kind in ("dissolve_linear", "dissolve_eased", "hard_cut", "blend_jump"):
                frames = blend(a, b, blend_weights(kind, t))
            elif kind == "rendered":
                frames = rendered(sources[i], t, images.shape[1], settings)
            elif kind == "noise":
                frames = a[None] + rng.normal(0.0, settings["noise_level"], size=(steps, *a.shape))
            else:
                frames = transformed(kind, a, t, rng, settings)
            walks.append(np.clip(np.rint(frames * 255), 0, 255).astype(np.uint8))
            kinds.append(kind)
    index = pd.DataFrame(
        {
            "row": np.arange(len(walks) * steps),
            "pair_id": np.repeat(np.arange(len(walks)), steps),
            "criterion": np.repeat(kinds, steps),
            "step": np.tile(np.arange(steps), len(walks)),
            "t": np.tile(t, len(walks)),
        }
    )
    return np.concatenate(walks), index


# ----------------------------------------------------------------------------- the verdicts


def patterns_of(losses: pd.DataFrame, images, index, settings: dict, style_loss: dict) -> pd.DataFrame:
    """walk_patterns of a style-loss table, per instrument, as the patterns stage labels them."""
    parts = []
    for instrument, part in losses.groupby("instrument", sort=False):
        part = part.dropna(axis=1, how="all")  # the other instrument's components
        weights = component_weights(instrument, part, style_loss)
        walks = walk_patterns(part, images, index, settings, weights)
        parts.append(walks.assign(instrument=instrument, weights_id=part["weights_id"].iloc[0]))
    return pd.concat(parts, ignore_index=True)


def quartiles(values, name: str) -> dict:
    """mean, q25, median, q75 of the finite values as {name}_mean etc."""
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return {f"{name}_{key}": np.nan for key in ("mean", "q25", "median", "q75")}
    q25, median, q75 = np.percentile(values, [25, 50, 75])
    return {f"{name}_mean": values.mean(), f"{name}_q25": q25, f"{name}_median": median, f"{name}_q75": q75}


def meets_target(expected: str, walks: pd.DataFrame, settings: dict) -> bool:
    """Whether the walks of one kind meet the target of their expected answer (TARGETS)."""
    if expected == "noise":
        return bool((walks["pattern"] == "wave").mean() <= settings["max_noise_wave_share"])
    median = walks[DISSOLVE_MEASURE].median()
    return bool(median >= settings["dissolve_at"]) if expected == "dissolve" else bool(median < settings["dissolve_at"])


def summarise_kinds(walks: pd.DataFrame, settings: dict) -> pd.DataFrame:
    """One row per kind (and instrument, when there is one): the confusion table and the
    dissolve measures' distributions."""
    keys = ["instrument", "kind"] if "instrument" in walks else ["kind"]
    rows = []
    for key, group in walks.groupby(keys, sort=False):
        expected = group["expected"].iloc[0]
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        row |= {"expected": expected, "n_walks": len(group), "n_static": int(group["static"].sum())}
        row |= {f"n_{pattern}": int((group["pattern"] == pattern).sum()) for pattern in PATTERNS}
        for reading in READINGS:
            row[f"n_horseshoe_{reading}"] = int((group[f"pattern_{reading}"] == "horseshoe").sum())
        row |= quartiles(group["cross_dissolve_index"], "cdi")
        row |= quartiles(group[DISSOLVE_MEASURE], "dissolve")
        row["target"] = TARGETS[expected].format(**settings)
        row["meets_target"] = meets_target(expected, group, settings)
        rows.append(row)
    return pd.DataFrame(rows)


def main(args) -> None:
    from stylepath.runtime import seed_everything, select_device, set_threads

    calibration, style_loss, seed = args.settings["calibration"], args.settings["style_loss"], args.settings["seed"]
    seed_everything(seed)
    set_threads(args.threads)
    device = select_device(gpu_job=True)
    images = np.load(args.images, mmap_mode="r")
    metadata = pd.read_parquet(args.metadata)
    if len(metadata) != len(images):
        raise StylepathError(
            f"{args.metadata} has {len(metadata)} rows but {args.images} {len(images)} images; "
            "re-run `stylepath prepare-data`"
        )
    frames, index = build_walks(images, metadata, calibration, args.settings["steps"], seed)
    print(f"{index['pair_id'].nunique()} calibration walks of {args.settings['steps']} frames", flush=True)
    losses, _ = measure(style_loss, seed, frames, index, images, device)  # the data set sets the PS spread
    losses.insert(0, "model", "calibration")
    losses.insert(1, "replicate", -1)
    walks = patterns_of(losses, frames, index, args.settings["patterns"], style_loss)
    walks.insert(0, "model", "calibration")
    walks.insert(1, "replicate", -1)
    walks["kind"] = walks["criterion"]
    walks["expected"] = walks["kind"].map(EXPECTED)
    summary = summarise_kinds(walks, calibration)
    print(summary.to_string(index=False), flush=True)
    save_npy(frames, args.walk_images)
    write_parquet(index, args.index)
    write_parquet(losses, args.style_loss)
    write_parquet(walks, args.walks)
    write_csv(summary, args.summary)
