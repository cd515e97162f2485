"""`stylepath patterns`: label each style-loss curve of one chain horseshoe / wave / other and
measure how much each walk is a cross-dissolve (the rule and the index: stylepath.walk_shape).

Outputs:
    patterns/<model>/seed<replicate>/walks.parquet
        per instrument (style_loss.instruments) and walk: model, replicate, instrument, pair_id,
        criterion, pattern (configured reading), orientation, pattern_hump, pattern_valley (the two
        readings of the horseshoe), mean_loss, cv, r2, bend, vertex, arm, turns, wave_p,
        cross_dissolve_index, linear_blend_index, alpha_rmse, dissolve_evenness, dissolve_score,
        end_difference, static, pattern_<component> and share_<component> per component of the
        instrument (Gatys' layers, Portilla-Simoncelli's groups), weights_id (stylepath.walk_shape)
    patterns/<model>/seed<replicate>/curves.parquet
        mean curves with t confidence bands: model, replicate, instrument, quantity (total or a component),
        criterion (all or one), scale (raw, or relative = each curve divided by its own mean),
        step, t_mid, mean, ci_low, ci_high, n
"""

import numpy as np
import pandas as pd

from stylepath.instruments import component_weights
from stylepath.io import StylepathError, write_parquet
from stylepath.statistics import t_bands
from stylepath.transitions import components
from stylepath.walk_shape import PATTERNS, walk_patterns

INPUTS = ("style_loss", "images", "index")
OUTPUTS = ("walks", "curves")


def mean_curves(losses: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Mean curve (with t band) per quantity (total and each layer), criterion (all and
    each) and scale (raw; relative = each walk's curve divided by its own mean)."""
    t_mid = (losses["t_from"] + losses["t_to"]) / 2
    long = []
    for quantity in ["total"] + components(losses):
        walk_mean = losses.groupby("pair_id")[quantity].transform("mean")
        scaled = {"raw": losses[quantity], "relative": losses[quantity] / walk_mean.where(walk_mean > 0)}
        for scale, value in scaled.items():
            frame = pd.DataFrame(
                {"quantity": quantity, "scale": scale, "step": losses["step"], "t_mid": t_mid, "value": value}
            )
            long += [frame.assign(criterion="all"), frame.assign(criterion=losses["criterion"])]
    long = pd.concat(long, ignore_index=True)
    keys = ["quantity", "criterion", "scale", "step"]
    grouped = long.groupby(keys, sort=False)
    bands = t_bands(grouped["value"], confidence)
    bands["t_mid"] = grouped["t_mid"].first()
    curves = bands.reset_index()
    # the order of the rows: quantity, criterion (all first, then as they come), scale, step
    order = {key: pd.unique(long[key]) for key in ("quantity", "criterion", "scale")}
    for key, values in order.items():
        curves[key] = pd.Categorical(curves[key], categories=values)
    curves = curves.sort_values(keys, kind="stable").reset_index(drop=True)
    for key in order:
        curves[key] = curves[key].astype(str)
    return curves[["quantity", "criterion", "scale", "step", "t_mid", "mean", "ci_low", "ci_high", "n"]]


def curve_agreement(losses: pd.DataFrame) -> pd.Series:
    """Per (instrument, pair_id): Spearman's rank correlation of the walk's curve (`total` over the
    steps) with the same walk's curve under the first instrument (1 for that one; NaN when either
    curve is constant)."""
    curves = losses.pivot_table(index=["pair_id", "step"], columns="instrument", values="total", sort=False)
    first = losses["instrument"].iloc[0]
    rho = {}
    for instrument in curves.columns:
        for pair_id, walk in curves.groupby(level="pair_id"):
            pair = walk[[first, instrument]]
            values = pair.to_numpy()
            # NaN when a curve is constant or has a gap (pandas' corr would skip the gap's steps)
            undefined = np.isnan(values).any() or (np.ptp(values, axis=0) == 0).any()
            # pandas' own Spearman (Pearson r of the average ranks, as scipy.stats.spearmanr)
            rho[(instrument, pair_id)] = np.nan if undefined else pair.corr("spearman").iloc[0, -1]
    return pd.Series(rho)


def main(args) -> None:
    settings = args.settings["patterns"]
    losses = pd.read_parquet(args.style_loss)
    index = pd.read_parquet(args.index)
    images = np.load(args.images, mmap_mode="r")
    if len(index) != len(images):
        raise StylepathError(
            f"{args.index} has {len(index)} rows but {args.images} {len(images)} images; re-run `stylepath walks`"
        )
    if losses.empty:
        raise StylepathError(f"{args.style_loss} is empty; re-run `stylepath walks`")
    all_walks, all_curves = [], []
    for instrument, of_instrument in losses.groupby("instrument", sort=False):  # each on its own
        of_instrument = of_instrument.dropna(axis=1, how="all")  # the other instrument's components
        weights = component_weights(instrument, of_instrument, args.settings["style_loss"])
        walks = walk_patterns(of_instrument, images, index, settings, weights)
        walks.insert(0, "model", losses["model"].iloc[0])
        walks.insert(1, "replicate", losses["replicate"].iloc[0])
        walks.insert(2, "instrument", instrument)
        walks["weights_id"] = of_instrument["weights_id"].iloc[0]
        for pattern in PATTERNS:
            share = (walks["pattern"] == pattern).mean()
            print(f"{instrument}, {pattern}: {share:.0%} of {len(walks)} walks")
        static, score = walks["static"].sum(), walks["dissolve_score"].mean()
        print(f"{instrument}: {static} static walks; mean dissolve score {score:.3f}")
        curves = mean_curves(of_instrument, settings["confidence"])
        curves.insert(0, "model", losses["model"].iloc[0])
        curves.insert(1, "replicate", losses["replicate"].iloc[0])
        curves.insert(2, "instrument", instrument)
        all_walks.append(walks)
        all_curves.append(curves)
    walks = pd.concat(all_walks, ignore_index=True)
    walks["curve_rho"] = (
        curve_agreement(losses).reindex(pd.MultiIndex.from_frame(walks[["instrument", "pair_id"]])).to_numpy()
    )
    write_parquet(walks, args.walks)
    write_parquet(pd.concat(all_curves, ignore_index=True), args.curves)
