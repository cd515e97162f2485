"""Compare the walk patterns of all models and replicates: one row per instrument, model, replicate
and criterion ('all' first), and rows with model 'all' that pool every model's walks of a replicate.
Static walks (walks table column `static`: ends closer than patterns.min_end_difference) are
counted (n_static) and left out of every other column.

Columns of patterns/summary.parquet (and .csv):
    model, replicate, instrument, criterion, n_trajectories, n_static (left out of the rest),
    share_horseshoe, share_wave, share_other       fractions of the walks (sum to 1)
    share_hump, share_valley                       horseshoe walks by orientation, as fractions of all walks
    share_horseshoe_reading_hump, ..._valley       share of horseshoes when only humps, or only valleys, count
    mean_dissolve, dissolve_horseshoe, ..._wave,   mean dissolve score (walk_shape.dissolve_score: CDI x the
    dissolve_other                                 evenness of its timing), overall and per pattern
    mean_cdi                                       mean cross-dissolve index (NaN walks left out)
    cdi_horseshoe, cdi_wave, cdi_other             mean CDI of the walks with that pattern
    r_cdi_horseshoe, p_cdi_horseshoe               point-biserial correlation (= Pearson r) of
    r_cdi_wave, p_cdi_wave                         CDI with 'pattern is X' (1) vs not (0), and its
                                                   two-sided p; NaN when either side is constant
                                                   or fewer than 3 walks
    rho_cdi_bend, p_cdi_bend                       Spearman correlation of CDI with the curve's bend
    eta2_cdi_pattern, p_cdi_pattern                how strongly CDI goes with the pattern: the share of
                                                   its variance between the patterns (eta squared,
                                                   0..1), and the Kruskal-Wallis p across patterns
    weights_id                                     VGG19 weights of the style loss ('none' for portilla_simoncelli)

Columns of patterns/layers.parquet (and .csv), per instrument, model ('all' = pooled), replicate and
component (a Gatys layer or a Portilla-Simoncelli group):
    model, replicate, instrument, layer, n_trajectories,
    mean_share                                     mean over walks of the component's share of the total
    share_horseshoe, share_wave, share_other       patterns of the component's own curve (pattern_<layer>)
    agreement                                      share of walks whose component pattern is their total's
"""

import numpy as np
import pandas as pd

from stylepath.io import StylepathError, write_csv, write_parquet
from stylepath.statistics import association, correlation
from stylepath.walk_shape import DISSOLVE_MEASURE, PATTERNS, READINGS, pooled

LIST_INPUTS = ("walks",)
OUTPUTS = ("summary", "summary_csv", "layers", "layers_csv")


def summarise_walks(walks: pd.DataFrame) -> dict:
    """Shares, mean CDIs and correlations of one group of walks (static walks counted, then left out)."""
    row = {"n_trajectories": len(walks), "n_static": int(walks["static"].sum())}
    walks = pooled(walks)
    cdi = walks["cross_dissolve_index"].to_numpy(np.float64)
    for pattern in PATTERNS:
        row[f"share_{pattern}"] = float((walks["pattern"] == pattern).mean())
    horseshoe = walks["pattern"] == "horseshoe"
    for orientation in ("hump", "valley"):
        row[f"share_{orientation}"] = float((horseshoe & (walks["orientation"] == orientation)).mean())
    for reading in READINGS:
        row[f"share_horseshoe_reading_{reading}"] = float((walks[f"pattern_{reading}"] == "horseshoe").mean())
    dissolve = walks[DISSOLVE_MEASURE].to_numpy(np.float64)
    for name, values in (("cdi", cdi), ("dissolve", dissolve)):
        row[f"mean_{name}"] = float(np.nanmean(values)) if np.isfinite(values).any() else np.nan
        for pattern in PATTERNS:
            chosen = values[(walks["pattern"] == pattern).to_numpy() & np.isfinite(values)]
            row[f"{name}_{pattern}"] = float(chosen.mean()) if len(chosen) else np.nan
    for pattern in ("horseshoe", "wave"):
        is_pattern = (walks["pattern"] == pattern).to_numpy(np.float64)
        row[f"r_cdi_{pattern}"], row[f"p_cdi_{pattern}"] = correlation(is_pattern, cdi, "pearson")
    row["rho_cdi_bend"], row["p_cdi_bend"] = correlation(walks["bend"].to_numpy(), cdi, "spearman")
    row["eta2_cdi_pattern"], row["p_cdi_pattern"] = association(cdi, walks["pattern"].to_numpy())
    return row


def summarise(walks: pd.DataFrame) -> pd.DataFrame:
    """Rows per instrument (in input order), model (in input order, then 'all' = every model
    pooled), replicate (ascending) and criterion ('all', then each in input order)."""
    rows = []
    for instrument, of_instrument in walks.groupby("instrument", sort=False):
        models = list(of_instrument.groupby("model", sort=False)) + [("all", of_instrument)]
        for model, of_model in models:
            for replicate, of_replicate in of_model.groupby("replicate", sort=True):
                groups = [("all", of_replicate)] + list(of_replicate.groupby("criterion", sort=False))
                for criterion, group in groups:
                    row = {"model": model, "replicate": replicate, "instrument": instrument, "criterion": criterion}
                    rows.append({**row, **summarise_walks(group), "weights_id": of_replicate["weights_id"].iloc[0]})
    return pd.DataFrame(rows)


def summarise_layers(walks: pd.DataFrame) -> pd.DataFrame:
    """Per instrument, model ('all' pooled), replicate and component: its mean share of the total and
    the patterns of its own curve, over the non-static walks."""
    rows = []
    for instrument, of_instrument in walks.groupby("instrument", sort=False):
        of_instrument = of_instrument.dropna(axis=1, how="all")  # the other instrument's components
        layers = [c.removeprefix("share_") for c in of_instrument.columns if c.startswith("share_")]
        models = list(of_instrument.groupby("model", sort=False)) + [("all", of_instrument)]
        for model, of_model in models:
            for replicate, group in pooled(of_model).groupby("replicate", sort=True):
                for layer in layers:
                    labels = group[f"pattern_{layer}"]
                    row = {"model": model, "replicate": replicate, "instrument": instrument, "layer": layer}
                    row |= {"n_trajectories": len(group), "mean_share": float(group[f"share_{layer}"].mean())}
                    row |= {f"share_{pattern}": float((labels == pattern).mean()) for pattern in PATTERNS}
                    row["agreement"] = float((labels == group["pattern"]).mean())
                    rows.append(row)
    columns = ["model", "replicate", "instrument", "layer", "n_trajectories", "mean_share"]
    columns += [f"share_{pattern}" for pattern in PATTERNS] + ["agreement"]
    return pd.DataFrame(rows, columns=columns)  # no rows when every walk is static


def main(args) -> None:
    walks = pd.concat([pd.read_parquet(path) for path in args.walks], ignore_index=True)
    if walks.empty:
        raise StylepathError("no walks in the pattern tables; re-run `stylepath patterns`")
    summary = summarise(walks)
    print(summary[summary["criterion"] == "all"].to_string(index=False), flush=True)
    write_parquet(summary, args.summary)
    write_csv(summary, args.summary_csv)
    layers = summarise_layers(walks)
    print(layers[layers["model"] == "all"].to_string(index=False), flush=True)
    write_parquet(layers, args.layers)
    write_csv(layers, args.layers_csv)
