"""The shape of a walk: statistics of its style-loss curve, the pattern rule, and how much the
walk is a cross-dissolve between its end images (shared by the patterns and calibration stages).

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
    wave       turns >= wave_min_turns, r2 < min_r2 and wave_p < wave_alpha (oscillation beyond
               measurement noise: see `periodicity_p`)
    other      everything else (monotone, a single kink, irregular)
    static     a walk whose two decoded end images differ by less than min_end_difference
               (RMS, pixels in [0, 1]), or whose loss is zero, is static (column `static`) and
               'other' whatever its curve: a decoder that barely changes along the walk gives
               losses ~1e-12 whose shape is uint8 rounding noise, and a dissolve measure of
               rounding noise. Static walks leave every pool (summaries, associations, the
               claims' statistics: `pooled`).

Measurement noise (`periodicity_p`): with K losses and r = c / m - 1, I_j = |rfft(r)_j|^2 its
periodogram (j = 1 .. K // 2), Fisher's g = max_j I_j / sum_j I_j is large when one frequency
holds the curve's wiggles; the share of the alternating component (sum_k (-1)^k r_k)^2 /
(K sum r^2) covers the +-1 zigzag that odd K has no bin for. Their larger is the curve's
periodicity; wave_p is the share of `wave_permutations` fixed random orders of r (plus r
itself) whose periodicity is at least r's. Under measurement noise (exchangeable losses) it is
uniform, so at most wave_alpha of noise curves pass, whatever their cv (the rule without it
labels 98% of 9 iid losses of cv 0.15 'wave'). The price: with 9 losses an irregular
oscillation (1.5 periods, say) cannot be told from noise and is 'other'.

Readings of the horseshoe: the study does not say whether its horseshoe is a hump or a
valley. `pattern` is the rule under `horseshoe_orientations` (the configured default);
`pattern_hump` and `pattern_valley` are the rule with only humps, or only valleys, counted
as horseshoes. `pattern_<layer>` is the configured rule on one layer's E_l alone (scale-free,
so the layer weights do not matter) and `share_<layer>` that layer's share of the walk's
total loss, sum_k w_l E_l,k / sum_k total_k.

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

CDI ignores timing: a hard cut (A five times, then B five times) is a blend of the ends at
every frame and scores 1. The dissolve measure of the claims, `dissolve_score`, adds timing.
With the blend weights of every frame a_0 = 0, a_1 .. a_{S-2} (as above), a_{S-1} = 1:

    dissolve_evenness = (sum_k da_k)^2 / sum_k (da_k^2 / dt_k) = 1 / sum_k (da_k^2 / dt_k)
    dissolve_score    = CDI * dissolve_evenness

(da_k = a_{k+1} - a_k, dt_k = t_{k+1} - t_k, sum dt = 1.) By Cauchy-Schwarz the evenness is
in (0, 1], 1 exactly when the weight moves in proportion to t (a linear dissolve); a
smoothstep dissolve gives about 0.83, a jump of 0.64 of the weight in one of 9 steps about
0.3, a hard cut 1 / 9 (= dt of its one step); going back and forth lowers it further. So a
dissolve scores high, a cut or a jump of the blend weight low, a transformation (low CDI) low.
"""

from functools import cache

import numpy as np
import pandas as pd

from stylepath.io import StylepathError

PATTERNS = ["horseshoe", "wave", "other"]
READINGS = {"hump": ["hump"], "valley": ["valley"]}  # horseshoe orientations of each reading
DISSOLVE_MEASURE = "dissolve_score"  # the walks-table column the claims compare across patterns
# Columns of a style-loss table that are not a layer's loss.
NOT_LAYERS = {
    "model",
    "replicate",
    "pair_id",
    "criterion",
    "step",
    "t_from",
    "t_to",
    "total",
    "weights_id",
    "instrument",
}


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


@cache
def permutation_orders(length: int, n_permutations: int) -> np.ndarray:
    """n_permutations fixed random orders of `length` items (seeded: the same curve always gets
    the same wave_p), int n_permutations x length."""
    rng = np.random.default_rng(length)
    return np.argsort(rng.random((n_permutations, length)), axis=1)


def periodicity(residuals) -> np.ndarray:
    """How much of each row's variation (... x K, mean removed) one frequency holds: the larger
    of Fisher's g (the largest share of the periodogram at j / K, j = 1 .. K // 2) and the
    share of the alternating (+-1) component (K odd has no bin at 1/2); NaN without variation."""
    power = np.abs(np.fft.rfft(residuals, axis=-1)[..., 1:]) ** 2
    sign = (-1.0) ** np.arange(residuals.shape[-1])
    squares = (residuals**2).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = power.max(axis=-1) / power.sum(axis=-1)
        alternating = (residuals @ sign) ** 2 / (residuals.shape[-1] * squares)
        return np.where(squares > 0, np.fmax(g, alternating), np.nan)


def periodicity_p(curve, n_permutations: int) -> float:
    """Permutation p of a curve's periodicity (module doc): the share of fixed random orders of
    its values (and the curve itself) whose `periodicity` is at least the curve's."""
    curve = np.asarray(curve, np.float64)
    if not curve.mean() > 0:
        return 1.0
    residuals = curve / curve.mean() - 1.0
    observed = periodicity(residuals)
    if not np.isfinite(observed):
        return 1.0
    null = periodicity(residuals[permutation_orders(len(residuals), n_permutations)])
    return float((1 + np.count_nonzero(null >= observed - 1e-12)) / (1 + n_permutations))


def orientation_of(bend: float, min_bend: float) -> str:
    """hump (bend > 0 and >= min_bend), valley (bend < 0 and |bend| >= min_bend), else none."""
    if bend > 0 and bend >= min_bend:
        return "hump"
    if bend < 0 and -bend >= min_bend:
        return "valley"
    return "none"


def label_curve(stats: dict, u, settings: dict, orientations=None) -> tuple[str, str]:
    """(pattern, orientation) of a curve from its statistics (with `wave_p`, see periodicity_p),
    by the rule in the module doc; `orientations` (default: settings' horseshoe_orientations)
    are the arcs counted as horseshoes."""
    orientations = settings["horseshoe_orientations"] if orientations is None else orientations
    orientation = orientation_of(stats["bend"], settings["min_bend"])
    if not stats["mean_loss"] > 0 or stats["cv"] < settings["flat_cv"]:
        return "other", orientation
    good_fit = stats["r2"] >= settings["min_r2"]
    two_armed = stats["arm"] >= settings["min_bend"] and stats["turns"] >= 1
    if good_fit and two_armed and orientation in orientations:
        return "horseshoe", orientation
    beyond_noise = stats["wave_p"] < settings["wave_alpha"]
    if stats["turns"] >= settings["wave_min_turns"] and not good_fit and beyond_noise:
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
    names = ("cross_dissolve_index", "linear_blend_index", "alpha_rmse", "dissolve_evenness", "dissolve_score")
    result = dict.fromkeys(names, np.nan)
    if reference > 0:
        cdi = 1.0 - ((inner - nearest_blend) ** 2).sum() / reference
        evenness = dissolve_evenness(np.r_[0.0, alpha, 1.0], t)
        result = {
            "cross_dissolve_index": cdi,
            "linear_blend_index": 1.0 - ((inner - linear_blend) ** 2).sum() / reference,
            "alpha_rmse": float(np.sqrt(np.mean((alpha - t_inner) ** 2))),
            "dissolve_evenness": evenness,
            "dissolve_score": cdi * evenness,
        }
    return {**result, "end_difference": float(np.sqrt(np.mean(change**2)))}


def dissolve_evenness(alpha, t) -> float:
    """(sum da)^2 / sum(da^2 / dt) of blend weights alpha (S,) at t (S,): 1 when alpha moves in
    proportion to t, 1/(S-1) for a jump in one of S-1 equal steps (module doc)."""
    da, dt = np.diff(np.asarray(alpha, np.float64)), np.diff(np.asarray(t, np.float64))
    spread = (da**2 / dt).sum()
    return float(da.sum() ** 2 / spread) if spread > 0 else np.nan


# ----------------------------------------------------------------------------- one table of walks


def layer_columns(losses: pd.DataFrame) -> list[str]:
    """The layer columns of a style-loss table (in its order)."""
    return [column for column in losses.columns if column not in NOT_LAYERS]


def curve_labels(curve, u, settings: dict) -> dict:
    """Statistics of one curve and its pattern under the configured reading and each of READINGS."""
    stats = curve_statistics(curve, u, settings["turn_tolerance"])
    stats["wave_p"] = periodicity_p(curve, settings["wave_permutations"])
    pattern, orientation = label_curve(stats, u, settings)
    readings = {f"pattern_{name}": label_curve(stats, u, settings, arcs)[0] for name, arcs in READINGS.items()}
    return {"pattern": pattern, "orientation": orientation, **readings, **stats}


def walk_patterns(
    losses: pd.DataFrame, images, index: pd.DataFrame, settings: dict, layer_weights=None
) -> pd.DataFrame:
    """One row per walk: pattern (configured reading, hump and valley readings, per layer),
    orientation, curve statistics, cross-dissolve indices, `static`, and each layer's share of
    the total when `layer_weights` ({layer: w_l}) is given. losses: one instrument's table."""
    rows = []
    layers = layer_columns(losses)
    index = index.sort_values(["pair_id", "step"])
    frames_of = dict(tuple(index.groupby("pair_id")))
    for pair_id, walk in losses.sort_values(["pair_id", "step"]).groupby("pair_id", sort=True):
        if len(walk) < 4:
            raise StylepathError(
                f"walk {pair_id} has {len(walk)} losses; the pattern rule needs at least 4 "
                "(set interpolation.steps >= 5)"
            )
        u = ((walk["t_from"] + walk["t_to"]) / 2).to_numpy()
        labels = curve_labels(walk["total"].to_numpy(), u, settings)
        frames = frames_of[pair_id]
        pixels = np.asarray(images[frames["row"].to_numpy()], np.float64) / 255.0
        dissolve = cross_dissolve_index(pixels, frames["t"].to_numpy())
        static = bool(dissolve["end_difference"] < settings["min_end_difference"] or not labels["mean_loss"] > 0)
        per_layer = {
            f"pattern_{layer}": curve_labels(walk[layer].to_numpy(), u, settings)["pattern"] for layer in layers
        }
        if layer_weights is not None and labels["mean_loss"] > 0:
            total = walk["total"].sum()
            per_layer |= {f"share_{layer}": layer_weights[layer] * walk[layer].sum() / total for layer in layers}
        if static:  # its curve's shape is rounding noise
            labels |= {key: "other" for key in labels if key.startswith("pattern")}
            per_layer |= {key: "other" for key in per_layer if key.startswith("pattern")}
        rows.append(
            {
                "pair_id": pair_id,
                "criterion": walk["criterion"].iloc[0],
                **labels,
                **dissolve,
                "static": static,
                **per_layer,
            }
        )
    return pd.DataFrame(rows)


def pooled(walks: pd.DataFrame) -> pd.DataFrame:
    """The walks that enter pools (summaries, associations, claims): the non-static ones."""
    return walks[~walks["static"].astype(bool)] if "static" in walks else walks
