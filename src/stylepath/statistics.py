"""Statistics shared by the stages: intervals, correlations and associations.

t_band / t_interval: a two-sided t interval of a mean (mean +- t(1 - (1 - c)/2, n - 1) * sd / sqrt(n));
percentile_interval: a central bootstrap percentile interval; correlation: Pearson (point-biserial
for a 0/1 variable) or Spearman; association: eta squared and the Kruskal-Wallis test of a value
across groups; holm: Holm's step-down adjustment of p-values. numpy and scipy only.
"""

import numpy as np
import pandas as pd


def t_half_width(sd, n, confidence: float):
    """Half-width of the two-sided t interval of a mean, t(1 - (1 - c)/2, n - 1) * sd / sqrt(n),
    elementwise over arrays of sd (ddof 1) and n; NaN where n < 2."""
    from scipy import special  # stdtrit is scipy.stats.t.ppf's own quantile (0.1 s to import, not 0.6 s)

    sd, n = np.asarray(sd, np.float64), np.asarray(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = special.stdtrit(n - 1, 0.5 + confidence / 2) * sd / np.sqrt(n)
    return np.where(n >= 2, half, np.nan)


def t_band(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Mean and two-sided t confidence interval of a sample (NaN band when n < 2)."""
    mean = values.mean()
    if len(values) < 2:
        return mean, np.nan, np.nan
    half = float(t_half_width(values.std(ddof=1), len(values), confidence))
    return mean, mean - half, mean + half


def t_bands(grouped, confidence: float) -> pd.DataFrame:
    """t_band of every group of a SeriesGroupBy at once (NaN values dropped): a frame with the
    groups' keys as its index and mean, ci_low, ci_high, n; groups with no values left out."""
    found = grouped.agg(["mean", "std", "count"])
    found = found[found["count"] > 0]
    n = found["count"].to_numpy()
    half = t_half_width(found["std"].to_numpy(), n, confidence)
    return pd.DataFrame(
        {"mean": found["mean"], "ci_low": found["mean"] - half, "ci_high": found["mean"] + half, "n": n},
        index=found.index,
    )


def t_interval(values, confidence: float) -> dict:
    """n, mean, ci_low, ci_high (t interval of the mean), sd, min, max of the finite values."""
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    n = len(values)
    result = {"n": n, "mean": np.nan, "ci_low": np.nan, "ci_high": np.nan, "sd": np.nan, "min": np.nan, "max": np.nan}
    if n == 0:
        return result
    mean, low, high = t_band(values, confidence)
    result.update(mean=mean, ci_low=low, ci_high=high, min=values.min(), max=values.max())
    if n >= 2:
        result["sd"] = values.std(ddof=1)
    return result


def percentile_interval(samples, confidence):
    """Central percentile interval (low, high) of the finite samples at `confidence`."""
    samples = np.asarray(samples, dtype=np.float64)
    samples = samples[np.isfinite(samples)]
    if len(samples) == 0:
        return np.nan, np.nan
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def correlation(x, y, method: str) -> tuple[float, float]:
    """(r, p) of Pearson ('pearson', point-biserial for a 0/1 x) or Spearman; NaN if undefined."""
    from scipy import stats

    keep = np.isfinite(x) & np.isfinite(y)
    x, y = np.asarray(x, np.float64)[keep], np.asarray(y, np.float64)[keep]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return np.nan, np.nan
    result = stats.pearsonr(x, y) if method == "pearson" else stats.spearmanr(x, y)
    return float(result[0]), float(result[1])


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


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (same order as given): sorted ascending, the i-th
    (1-based) of m becomes max over j <= i of min(1, (m - j + 1) p_(j)). Rejecting where the
    adjusted p is below alpha is Holm's procedure at family-wise level alpha."""
    p_values = np.asarray(p_values, np.float64)
    m = len(p_values)
    order = np.argsort(p_values, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * p_values[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted
