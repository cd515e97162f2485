"""`stylepath patterns`: label each style-loss curve of one chain horseshoe / wave / other and
measure how much each walk is a cross-dissolve (the rule and the index: stylepath.walk_shape).

Outputs:
    patterns/<model>/seed<replicate>/walks.parquet
        per walk: model, replicate, pair_id, criterion, pattern (configured reading), orientation,
        pattern_hump, pattern_valley (the two readings of the horseshoe), mean_loss, cv, r2, bend,
        vertex, arm, turns, wave_p, cross_dissolve_index, linear_blend_index, alpha_rmse,
        dissolve_evenness, dissolve_score, end_difference, static, pattern_<layer> and
        share_<layer> per layer, weights_id (columns: stylepath.walk_shape)
    patterns/<model>/seed<replicate>/curves.parquet
        mean curves with t confidence bands: model, replicate, quantity (total or a layer),
        criterion (all or one), scale (raw, or relative = each curve divided by its own mean),
        step, t_mid, mean, ci_low, ci_high, n
"""

import numpy as np
import pandas as pd

from stylepath.gatys import resolve_layer_weights
from stylepath.io import StylepathError, write_parquet
from stylepath.statistics import t_band
from stylepath.walk_shape import PATTERNS, walk_patterns

TABLE_COLUMNS = {"model", "replicate", "pair_id", "criterion", "step", "t_from", "t_to", "total", "weights_id"}


def add_arguments(parser) -> None:
    parser.add_argument("--style-loss", required=True, help="style-loss table (Parquet)")
    parser.add_argument("--images", required=True, help="decoded walk images (.npy)")
    parser.add_argument("--index", required=True, help="index of the walk images (Parquet)")
    parser.add_argument("--walks-out", required=True, help="pattern per walk (Parquet)")
    parser.add_argument("--curves-out", required=True, help="mean curves (Parquet)")


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
    style_loss = args.settings["style_loss"]
    layer_weights = dict(zip(style_loss["layers"], resolve_layer_weights(style_loss)))
    walks = walk_patterns(losses, images, index, settings, layer_weights)
    walks.insert(0, "model", losses["model"].iloc[0])
    walks.insert(1, "replicate", losses["replicate"].iloc[0])
    walks["weights_id"] = losses["weights_id"].iloc[0]
    for pattern in PATTERNS:
        share = (walks["pattern"] == pattern).mean()
        print(f"{pattern}: {share:.0%} of {len(walks)} walks")
    print(f"{walks['static'].sum()} static walks; mean dissolve score {walks['dissolve_score'].mean():.3f}")
    write_parquet(walks, args.walks_out)
    curves = mean_curves(losses, settings["confidence"])
    curves.insert(0, "model", losses["model"].iloc[0])
    curves.insert(1, "replicate", losses["replicate"].iloc[0])
    write_parquet(curves, args.curves_out)
