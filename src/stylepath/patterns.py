"""Label each style-loss curve horseshoe / wave / other, and measure how much each walk is a
cross-dissolve between its two end images.

Curve statistics. A walk with S points has K = S - 1 losses c_k (the `total` column), placed
at the midpoints u_k = (t_k + t_{k+1}) / 2. With m = mean(c) and the relative curve c / m:
    cv       std(c) / m: how much the loss varies along the walk
    r2       R^2 of the least-squares quadratic a u^2 + b u + c0 fitted to c / m
    bend     -a w^2 / 4, w = u_{K-1} - u_0: how far the middle of the fitted parabola lies
             above (> 0, a hump) or below (< 0, a valley) the chord joining its two ends,
             as a fraction of the mean loss
    vertex   -b / (2a): where the fitted parabola turns (in t)
    arm      the shorter of the fit's two arms: min(|p(u_0) - p(v)|, |p(u_{K-1}) - p(v)|),
             v = vertex clipped to [u_0, u_{K-1}], as a fraction of the mean loss; 0 when
             the fit is monotone over the walk, |bend| when it turns in the middle
    turns    sign changes of the first difference of c, ignoring changes smaller than
             `turn_tolerance` x m (local extrema inside the walk)

The rule (thresholds in the config's `patterns` block), applied in this order:
    orientation  hump if bend >= min_bend, valley if bend <= -min_bend, else none
    other      m == 0 or cv < flat_cv                                   (flat)
    horseshoe  r2 >= min_r2, arm >= min_bend, turns >= 1, and the orientation is in
               horseshoe_orientations (one clean arc that rises and falls, or falls and
               rises, by at least min_bend on both sides; the losses do change direction)
    wave       turns >= wave_min_turns and r2 < min_r2                  (oscillation)
    other      everything else (monotone, a single kink, irregular)
    static     a walk whose two decoded end images differ by less than min_end_difference
               (RMS, pixels in [0, 1]) is 'other' whatever its curve: a decoder that barely
               changes along the walk gives losses ~1e-12 whose shape is uint8 rounding noise

What a pure cross-dissolve x_t = (1-t) x_0 + t x_1 produces: for features linear in the
pixels, F_t = (1-t) F_0 + t F_1, so G_t = F_t F_t^T is quadratic in t and the difference of
consecutive Grams is exactly h (A + B u) (h = step, u = midpoint): linear in u. Its squared
norm, the loss, is then a CONVEX quadratic in u: a valley (U) when its minimum lies inside
the walk, otherwise monotone; never a hump and never an oscillation. VGG19's ReLUs and the
uint8 rounding bend this only slightly, so under the rule a cross-dissolve walk is a valley
horseshoe or 'other'; a wave needs the decoded image to change in bursts. Gram matrices
also sum over positions, so a shape that only moves changes them little (mostly at the
borders): moving content, too, tends to give a valley. So a rule counting valleys as
horseshoes cannot separate transformation from cross-dissolve; the default
`horseshoe_orientations: [hump]` counts humps only (add `valley` for the looser reading,
under which a cross-dissolve is a horseshoe). This is why the
cross-dissolve is measured in pixel space (below) and its association with the patterns is
measured, not assumed.

Cross-dissolve index (CDI) of a walk x_0 .. x_{S-1} (decoded images as float vectors in [0, 1]).
For each interior frame x_k, p_k is the nearest point to x_k on the segment from x_0 to x_{S-1}
(the best blend (1-a) x_0 + a x_{S-1}, a in [0, 1]); with the middle image mid = (x_0 + x_{S-1}) / 2,

    CDI = 1 - sum_k ||x_k - p_k||^2 / sum_k ||x_k - mid||^2          (k = 1 .. S-2)

CDI is in [0, 1] (mid lies on the segment): 1 when every frame is a blend of the end images
(a cross-dissolve with any timing), near 0 when the frames leave the segment, e.g. a shape
that moves. `linear_blend_index` is the same with the fixed blend (1 - t_k) x_0 + t_k x_{S-1}
in place of p_k (1 only for a cross-dissolve linear in t; can be negative); `alpha_rmse` is
the root mean square of a_k - t_k (how far the dissolve's timing is from linear). Both
indices are NaN for a walk whose frames all equal mid. `end_difference` is the RMS pixel
difference between the two end images (in [0, 1]): the decoded images are stored as uint8,
so when the ends differ by only a few of the 256 levels (e.g. a barely trained decoder) the
indices measure rounding noise; filter on it (1/255 = one level) before reading them.

Outputs:
    patterns/<model>/seed<replicate>/walks.parquet
        per instrument (style_loss.instruments) and walk: model, replicate, instrument, pair_id,
        criterion, pattern, orientation, mean_loss, cv, r2,
        bend, vertex, arm, turns, cross_dissolve_index, linear_blend_index, alpha_rmse,
        end_difference, weights_id
    patterns/<model>/seed<replicate>/curves.parquet
        mean curves with t confidence bands: model, replicate, instrument, quantity (total or a component),
        criterion (all or one), scale (raw, or relative = each curve divided by its own mean),
        step, t_mid, mean, ci_low, ci_high, n
"""

import numpy as np
import pandas as pd

from stylepath.io import StylepathError, write_parquet
from stylepath.style_loss import TABLE_COLUMNS

PATTERNS = ["horseshoe", "wave", "other"]


def add_arguments(parser) -> None:
    parser.add_argument("--style-loss", required=True, help="style-loss table (Parquet)")
    parser.add_argument("--images", required=True, help="decoded walk images (.npy)")
    parser.add_argument("--index", required=True, help="index of the walk images (Parquet)")
    parser.add_argument("--walks-out", required=True, help="pattern per walk (Parquet)")
    parser.add_argument("--curves-out", required=True, help="mean curves (Parquet)")


# ----------------------------------------------------------------------------- curve shape


def count_turns(curve, tolerance: float) -> int:
    """Sign changes of the first difference, ignoring |differences| < tolerance."""
    differences = np.diff(curve)
    signs = np.sign(differences[np.abs(differences) >= tolerance])
    return int(np.count_nonzero(signs[1:] != signs[:-1]))


def curve_statistics(curve, u, turn_tolerance: float) -> dict:
    """Shape statistics of one loss curve c (K values at midpoints u, K >= 4); see the module doc."""
    curve, u = np.asarray(curve, np.float64), np.asarray(u, np.float64)
    mean = curve.mean()
    stats = {"mean_loss": mean, "cv": 0.0, "r2": np.nan, "bend": 0.0, "vertex": np.nan, "arm": 0.0, "turns": 0}
    if not mean > 0:
        return stats
    relative = curve / mean
    a, b, c0 = np.polyfit(u, relative, 2)
    residual = relative - np.polyval([a, b, c0], u)
    spread = ((relative - 1.0) ** 2).sum()
    stats["cv"] = relative.std()
    stats["r2"] = 1.0 - (residual**2).sum() / spread if spread > 0 else np.nan
    stats["bend"] = -a * (u[-1] - u[0]) ** 2 / 4.0
    stats["vertex"] = -b / (2.0 * a) if a != 0 else np.nan
    turn = np.clip(stats["vertex"], u[0], u[-1]) if a != 0 else u[0]
    stats["arm"] = min(abs(np.polyval([a, b, c0], end) - np.polyval([a, b, c0], turn)) for end in (u[0], u[-1]))
    stats["turns"] = count_turns(relative, turn_tolerance)
    return stats


def orientation_of(bend: float, min_bend: float) -> str:
    """hump (bend > 0 and >= min_bend), valley (bend < 0 and |bend| >= min_bend), else none."""
    if bend > 0 and bend >= min_bend:
        return "hump"
    if bend < 0 and -bend >= min_bend:
        return "valley"
    return "none"


def label_curve(stats: dict, u, settings: dict) -> tuple[str, str]:
    """(pattern, orientation) of a curve from its statistics, by the rule in the module doc."""
    orientation = orientation_of(stats["bend"], settings["min_bend"])
    if not stats["mean_loss"] > 0 or stats["cv"] < settings["flat_cv"]:
        return "other", orientation
    good_fit = stats["r2"] >= settings["min_r2"]
    two_armed = stats["arm"] >= settings["min_bend"] and stats["turns"] >= 1
    if good_fit and two_armed and orientation in settings["horseshoe_orientations"]:
        return "horseshoe", orientation
    if stats["turns"] >= settings["wave_min_turns"] and not good_fit:
        return "wave", orientation
    return "other", orientation


# ----------------------------------------------------------------------------- cross-dissolve


def cross_dissolve_index(frames, t) -> dict:
    """CDI, linear_blend_index, alpha_rmse and end_difference of one walk: frames S x ...
    (floats in [0, 1]), t (S,)."""
    x = np.asarray(frames, np.float64).reshape(len(frames), -1)
    t = np.asarray(t, np.float64)
    start, end, inner, t_inner = x[0], x[-1], x[1:-1], t[1:-1]
    change = end - start
    length = change @ change
    alpha = np.clip((inner - start) @ change / length, 0.0, 1.0) if length > 0 else np.zeros(len(inner))
    nearest_blend = start + alpha[:, None] * change
    linear_blend = start + t_inner[:, None] * change
    reference = ((inner - (start + end) / 2) ** 2).sum()
    result = {"cross_dissolve_index": np.nan, "linear_blend_index": np.nan, "alpha_rmse": np.nan}
    if reference > 0:
        result = {
            "cross_dissolve_index": 1.0 - ((inner - nearest_blend) ** 2).sum() / reference,
            "linear_blend_index": 1.0 - ((inner - linear_blend) ** 2).sum() / reference,
            "alpha_rmse": float(np.sqrt(np.mean((alpha - t_inner) ** 2))),
        }
    return {**result, "end_difference": float(np.sqrt(np.mean(change**2)))}


# ----------------------------------------------------------------------------- per model


def walk_patterns(losses: pd.DataFrame, images, index: pd.DataFrame, settings: dict) -> pd.DataFrame:
    """One row per walk: pattern, orientation, curve statistics and cross-dissolve indices."""
    rows = []
    index = index.sort_values(["pair_id", "step"])
    frames_of = dict(tuple(index.groupby("pair_id")))
    for pair_id, walk in losses.sort_values(["pair_id", "step"]).groupby("pair_id", sort=True):
        if len(walk) < 4:
            raise StylepathError(
                f"walk {pair_id} has {len(walk)} losses; the pattern rule needs at least 4 "
                "(set interpolation.steps >= 5)"
            )
        u = ((walk["t_from"] + walk["t_to"]) / 2).to_numpy()
        stats = curve_statistics(walk["total"].to_numpy(), u, settings["turn_tolerance"])
        pattern, orientation = label_curve(stats, u, settings)
        frames = frames_of[pair_id]
        pixels = np.asarray(images[frames["row"].to_numpy()], np.float64) / 255.0
        dissolve = cross_dissolve_index(pixels, frames["t"].to_numpy())
        if dissolve["end_difference"] < settings["min_end_difference"]:
            pattern = "other"  # static walk: its curve's shape is rounding noise
        rows.append(
            {
                "pair_id": pair_id,
                "criterion": walk["criterion"].iloc[0],
                "pattern": pattern,
                "orientation": orientation,
                **stats,
                **dissolve,
            }
        )
    return pd.DataFrame(rows)


def t_band(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Mean and two-sided t confidence interval of a sample (NaN band when n < 2)."""
    from scipy import stats

    mean = values.mean()
    if len(values) < 2:
        return mean, np.nan, np.nan
    half = stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * stats.sem(values)
    return mean, mean - half, mean + half


def mean_curves(losses: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Mean curve (with t band) per quantity (total and each layer), criterion (all and
    each) and scale (raw; relative = each walk's curve divided by its own mean)."""
    quantities = ["total"] + [c for c in losses.columns if c not in TABLE_COLUMNS]
    losses = losses.assign(t_mid=(losses["t_from"] + losses["t_to"]) / 2)
    groups = [("all", losses)] + list(losses.groupby("criterion", sort=False))
    rows = []
    for quantity in quantities:
        walk_mean = losses.groupby("pair_id")[quantity].transform("mean")
        scaled = {"raw": losses[quantity], "relative": losses[quantity] / walk_mean.where(walk_mean > 0)}
        for criterion, group in groups:
            for scale, value in scaled.items():
                for step, at_step in group.groupby("step"):
                    sample = value.loc[at_step.index].dropna().to_numpy()
                    if len(sample) == 0:
                        continue
                    mean, low, high = t_band(sample, confidence)
                    rows.append(
                        {
                            "quantity": quantity,
                            "criterion": criterion,
                            "scale": scale,
                            "step": step,
                            "t_mid": at_step["t_mid"].iloc[0],
                            "mean": mean,
                            "ci_low": low,
                            "ci_high": high,
                            "n": len(sample),
                        }
                    )
    return pd.DataFrame(rows)


def main(args) -> None:
    settings = args.settings["patterns"]
    losses = pd.read_parquet(args.style_loss)
    index = pd.read_parquet(args.index)
    images = np.load(args.images, mmap_mode="r")
    if len(index) != len(images):
        raise StylepathError(
            f"{args.index} has {len(index)} rows but {args.images} {len(images)} images; re-run `stylepath interpolate`"
        )
    if losses.empty:
        raise StylepathError(f"{args.style_loss} is empty; re-run `stylepath style-loss`")
    all_walks, all_curves = [], []
    for instrument, of_instrument in losses.groupby("instrument", sort=False):  # each on its own
        of_instrument = of_instrument.dropna(axis=1, how="all")  # the other instrument's components
        walks = walk_patterns(of_instrument, images, index, settings)
        walks.insert(0, "model", losses["model"].iloc[0])
        walks.insert(1, "replicate", losses["replicate"].iloc[0])
        walks.insert(2, "instrument", instrument)
        walks["weights_id"] = of_instrument["weights_id"].iloc[0]
        for pattern in PATTERNS:
            share = (walks["pattern"] == pattern).mean()
            print(f"{instrument}, {pattern}: {share:.0%} of {len(walks)} walks")
        print(f"{instrument}: mean cross-dissolve index {walks['cross_dissolve_index'].mean():.3f}")
        curves = mean_curves(of_instrument, settings["confidence"])
        curves.insert(0, "model", losses["model"].iloc[0])
        curves.insert(1, "replicate", losses["replicate"].iloc[0])
        curves.insert(2, "instrument", instrument)
        all_walks.append(walks)
        all_curves.append(curves)
    write_parquet(pd.concat(all_walks, ignore_index=True), args.walks_out)
    write_parquet(pd.concat(all_curves, ignore_index=True), args.curves_out)
