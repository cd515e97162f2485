"""Compare the walk patterns of all models and replicates: one row per instrument, model, replicate
and criterion ('all' first), and rows with model 'all' that pool every model's walks of a replicate.

Columns of patterns/summary.parquet (and .csv):
    model, replicate, instrument, criterion, n_trajectories,
    share_horseshoe, share_wave, share_other       fractions of the walks (sum to 1)
    share_hump, share_valley                       horseshoe walks by orientation, as fractions of all walks
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
"""

import numpy as np
import pandas as pd

from stylepath.io import StylepathError, write_csv, write_parquet
from stylepath.patterns import PATTERNS


def add_arguments(parser) -> None:
    parser.add_argument("--walks", nargs="+", required=True, help="patterns/<model>.parquet files (walks)")
    parser.add_argument("--out", required=True, help="summary table (Parquet)")
    parser.add_argument("--csv", required=True, help="the same table as CSV")


def correlation(x, y, method: str) -> tuple[float, float]:
    """(r, p) of Pearson ('pearson', point-biserial for a 0/1 x) or Spearman; NaN if undefined."""
    from scipy import stats

    keep = np.isfinite(x) & np.isfinite(y)
    x, y = np.asarray(x, np.float64)[keep], np.asarray(y, np.float64)[keep]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return np.nan, np.nan
    result = stats.pearsonr(x, y) if method == "pearson" else stats.spearmanr(x, y)
    return float(result[0]), float(result[1])


def summarise_walks(walks: pd.DataFrame) -> dict:
    """Shares, mean CDIs and correlations of one group of walks."""
    cdi = walks["cross_dissolve_index"].to_numpy(np.float64)
    row = {"n_trajectories": len(walks)}
    for pattern in PATTERNS:
        row[f"share_{pattern}"] = float((walks["pattern"] == pattern).mean())
    horseshoe = walks["pattern"] == "horseshoe"
    for orientation in ("hump", "valley"):
        row[f"share_{orientation}"] = float((horseshoe & (walks["orientation"] == orientation)).mean())
    row["mean_cdi"] = float(np.nanmean(cdi)) if np.isfinite(cdi).any() else np.nan
    for pattern in PATTERNS:
        chosen = cdi[(walks["pattern"] == pattern).to_numpy() & np.isfinite(cdi)]
        row[f"cdi_{pattern}"] = float(chosen.mean()) if len(chosen) else np.nan
    for pattern in ("horseshoe", "wave"):
        is_pattern = (walks["pattern"] == pattern).to_numpy(np.float64)
        row[f"r_cdi_{pattern}"], row[f"p_cdi_{pattern}"] = correlation(is_pattern, cdi, "pearson")
    row["rho_cdi_bend"], row["p_cdi_bend"] = correlation(walks["bend"].to_numpy(), cdi, "spearman")
    row["eta2_cdi_pattern"], row["p_cdi_pattern"] = association(cdi, walks["pattern"].to_numpy())
    return row


def association(values, groups) -> tuple[float, float]:
    """(eta squared, Kruskal-Wallis p) of `values` across `groups`: the share of the variance of
    the finite values that lies between the groups' means, and the rank test that the groups
    share a distribution; NaN when fewer than two groups hold values or the values are constant."""
    from scipy import stats

    keep = np.isfinite(values)
    values, groups = np.asarray(values, np.float64)[keep], np.asarray(groups)[keep]
    samples = [values[groups == g] for g in np.unique(groups)]
    if len(samples) < 2 or np.ptp(values) == 0:
        return np.nan, np.nan
    between = sum(len(x) * (x.mean() - values.mean()) ** 2 for x in samples)
    eta2 = between / ((values - values.mean()) ** 2).sum()
    return float(eta2), float(stats.kruskal(*samples).pvalue)


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


def main(args) -> None:
    walks = pd.concat([pd.read_parquet(path) for path in args.walks], ignore_index=True)
    if walks.empty:
        raise StylepathError("no walks in the pattern tables; re-run `stylepath patterns`")
    summary = summarise(walks)
    print(summary[summary["criterion"] == "all"].to_string(index=False), flush=True)
    write_parquet(summary, args.out)
    write_csv(summary, args.csv)
