"""The study's claims as measurable statements, judged across replicates (training seeds).

Each claim of Rich (2021) becomes a statistic computed per replicate and a criterion on it
(thresholds from the config's `findings` block). Per replicate the criterion holds or not; a
replicate counts as evidence only when every model the claim is about reached its objective in it
(stylepath.diagnostics) and the statistic exists (e.g. there are horseshoe walks to count).

Verdict, from the k of n valid replicates in which the criterion holds:
    supported      n >= 2 and k = n
    contradicted   n >= 2 and k = 0
    inconclusive   otherwise (the replicates disagree, or fewer than 2 are valid)
A claim about a model the run does not train is 'not tested'.

Across replicates, every quantity gets its mean, a two-sided t interval (mean +- t(1 - (1 - c)/2,
n - 1) * sd / sqrt(n)), its standard deviation (ddof 1), range and the per-replicate values.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

VERDICTS = ("supported", "contradicted", "inconclusive", "not tested")
OTHERS = ["ae", "vae", "beta_vae"]


# ----------------------------------------------------------------------------- across replicates


def t_interval(values, confidence: float) -> dict:
    """n, mean, ci_low, ci_high (t interval of the mean), sd, min, max of the finite values."""
    from scipy import stats

    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    n = len(values)
    result = {"n": n, "mean": np.nan, "ci_low": np.nan, "ci_high": np.nan, "sd": np.nan, "min": np.nan, "max": np.nan}
    if n == 0:
        return result
    result.update(mean=values.mean(), min=values.min(), max=values.max())
    if n >= 2:
        sd = values.std(ddof=1)
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n)
        result.update(sd=sd, ci_low=values.mean() - half, ci_high=values.mean() + half)
    return result


def across_replicates(table: pd.DataFrame, quantities: list[str], confidence: float) -> pd.DataFrame:
    """Long table per model and quantity: n, mean, ci_low, ci_high, sd, min, max and the
    per-replicate values and seeds (';'-separated, ascending seed), from a table with one row
    per model and replicate."""
    rows = []
    for model, of_model in table.groupby("model", sort=False):
        of_model = of_model.sort_values("replicate")
        for quantity in quantities:
            if quantity not in of_model:
                continue
            values = of_model[quantity].to_numpy(np.float64)
            rows.append(
                {
                    "model": model,
                    "quantity": quantity,
                    **t_interval(values, confidence),
                    "values": ";".join(f"{v:.6g}" for v in values),
                    "replicates": ";".join(str(r) for r in of_model["replicate"]),
                }
            )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- claims


@dataclass
class Claim:
    """One claim: `statistic(analysis, patterns, thresholds)` -> a number (NaN: no evidence) and
    `holds(statistic, patterns, thresholds)` -> whether the criterion holds, both on the rows of
    one replicate."""

    key: str
    statement: str
    criterion: str  # the criterion in words, {thresholds} filled from the config
    statistic_name: str
    models: list[str]  # whose objective must be reached for a replicate to count
    depends_on: str  # 'latent analysis' or 'style loss'
    statistic: Callable
    holds: Callable


def value(analysis: pd.DataFrame, model: str, column: str) -> float:
    """One model's value of `column` in a replicate's analysis rows."""
    return float(analysis.loc[analysis["model"] == model, column].iloc[0])


def pooled(patterns: pd.DataFrame, column: str) -> float:
    """The value of `column` over every model's walks of a replicate (model 'all', criterion 'all')."""
    return float(patterns.query("model == 'all' and criterion == 'all'")[column].iloc[0])


def horseshoe_share_of(models: list[str], patterns: pd.DataFrame) -> float:
    """Share of all horseshoe walks of a replicate that belong to `models` (NaN: no horseshoe)."""
    rows = patterns[(patterns["criterion"] == "all") & (patterns["model"] != "all")]
    counts = rows["share_horseshoe"] * rows["n_trajectories"]
    total = counts.sum()
    return float(counts[rows["model"].isin(models)].sum() / total) if total > 0 else np.nan


def max_of(analysis: pd.DataFrame, models: list[str], column: str) -> float:
    return max(value(analysis, model, column) for model in models)


CLAIMS = [
    Claim(
        "aae_spherical", "The AAE's latent covariance is spherical.",
        "sphericity of the AAE's codes >= {spherical_at}", "sphericity (AAE)", ["aae"], "latent analysis",
        lambda a, p, t: value(a, "aae", "sphericity"),
        lambda v, p, t: v >= t["spherical_at"],
    ),
    Claim(
        "tvae_oblong", "The TVAE's latent space is oblong.",
        "sphericity of the TVAE's posterior means < {spherical_at}", "sphericity (TVAE)", ["tvae"],
        "latent analysis",
        lambda a, p, t: value(a, "tvae", "sphericity"),
        lambda v, p, t: v < t["spherical_at"],
    ),
    Claim(
        "tvae_grouped", "The TVAE's latent space is grouped by style.",
        "best ARI of a clustering of the TVAE's means against style >= {grouped_at}", "best ARI (TVAE)", ["tvae"],
        "latent analysis",
        lambda a, p, t: value(a, "tvae", "best_ari"),
        lambda v, p, t: v >= t["grouped_at"],
    ),
    Claim(
        "others_oblong", "The β-VAE's, VAE's and AE's latent spaces are oblong.",
        "largest sphericity of the AE, VAE and β-VAE < {spherical_at}", "max sphericity (AE, VAE, β-VAE)", OTHERS,
        "latent analysis",
        lambda a, p, t: max_of(a, OTHERS, "sphericity"),
        lambda v, p, t: v < t["spherical_at"],
    ),
    Claim(
        "others_not_grouped", "The β-VAE's, VAE's and AE's latent spaces are not grouped by style.",
        "largest best ARI against style of the AE, VAE and β-VAE <= {not_grouped_below}",
        "max best ARI (AE, VAE, β-VAE)", OTHERS, "latent analysis",
        lambda a, p, t: max_of(a, OTHERS, "best_ari"),
        lambda v, p, t: v <= t["not_grouped_below"],
    ),
    Claim(
        "horseshoe_aae_vae", "Horseshoe curves occur mainly in the AAE and the VAE.",
        "share of all horseshoe walks that are the AAE's or the VAE's > {mainly_share}",
        "AAE + VAE share of horseshoes", ["ae", "vae", "beta_vae", "aae", "tvae"], "style loss",
        lambda a, p, t: horseshoe_share_of(["aae", "vae"], p),
        lambda v, p, t: v > t["mainly_share"],
    ),
    Claim(
        "wave_cross_dissolve", "Wave curves go with cross-dissolves.",
        "point-biserial r of 'wave' with the cross-dissolve index over all walks > 0, p < {alpha}",
        "r (wave, cross-dissolve index)", ["ae", "vae", "beta_vae", "aae", "tvae"], "style loss",
        lambda a, p, t: pooled(p, "r_cdi_wave"),
        lambda v, p, t: v > 0 and pooled(p, "p_cdi_wave") < t["alpha"],
    ),
    Claim(
        "cross_dissolve_pattern", "The amount of cross-dissolve is strongly associated with the curve pattern.",
        "eta² of the cross-dissolve index by pattern (all walks) >= {strong_association}, Kruskal-Wallis p < {alpha}",
        "eta² (cross-dissolve index by pattern)", ["ae", "vae", "beta_vae", "aae", "tvae"], "style loss",
        lambda a, p, t: pooled(p, "eta2_cdi_pattern"),
        lambda v, p, t: v >= t["strong_association"] and pooled(p, "p_cdi_pattern") < t["alpha"],
    ),
]  # fmt: skip


def judge_replicate(claim: Claim, analysis, patterns, thresholds) -> dict:
    """The claim in one replicate: statistic, whether it is valid evidence, whether it holds."""
    failed = [m for m in claim.models if not bool(value(analysis, m, "reached_objective"))]
    statistic = claim.statistic(analysis, patterns, thresholds)
    holds = bool(np.isfinite(statistic) and claim.holds(statistic, patterns, thresholds))
    return {"statistic": statistic, "valid": not failed and np.isfinite(statistic), "holds": holds, "failed": failed}


def verdict_of(holds: list[bool]) -> str:
    """supported / contradicted / inconclusive from the valid replicates' outcomes (see the module doc)."""
    if len(holds) < 2:
        return "inconclusive"
    return "supported" if all(holds) else "contradicted" if not any(holds) else "inconclusive"


def judge(claim: Claim, analysis: pd.DataFrame, patterns: pd.DataFrame, thresholds: dict) -> dict:
    """One row of the findings table for `claim` across every replicate of the run."""
    row = {
        "claim": claim.statement,
        "criterion": claim.criterion.format(**thresholds),
        "statistic": claim.statistic_name,
        "depends_on": claim.depends_on,
    }
    missing = sorted(set(claim.models) - set(analysis["model"]))
    if missing:
        return {**row, "verdict": "not tested", "note": f"the run has no {', '.join(missing)}"}
    outcomes = {
        replicate: judge_replicate(claim, of_replicate, patterns[patterns["replicate"] == replicate], thresholds)
        for replicate, of_replicate in analysis.groupby("replicate", sort=True)
    }
    valid = {r: o for r, o in outcomes.items() if o["valid"]}
    interval = t_interval([o["statistic"] for o in valid.values()], thresholds["confidence"])
    excluded = [
        f"seed {r}: "
        + (
            f"{', '.join(o['failed'])} did not reach {'its' if len(o['failed']) == 1 else 'their'} objective"
            if o["failed"]
            else "no value"
        )
        for r, o in outcomes.items()
        if not o["valid"]
    ]
    return {
        **row,
        "mean": interval["mean"],
        "ci_low": interval["ci_low"],
        "ci_high": interval["ci_high"],
        "values": ";".join(f"{o['statistic']:.4g}" for o in outcomes.values()),
        "holds_in": sum(o["holds"] for o in valid.values()),
        "valid_replicates": len(valid),
        "replicates": len(outcomes),
        "verdict": verdict_of([o["holds"] for o in valid.values()]),
        "note": "; ".join(excluded),
    }


def findings_table(analysis: pd.DataFrame, patterns: pd.DataFrame, thresholds: dict) -> pd.DataFrame:
    """The findings table: one row per claim (see the module doc). analysis: one row per model and
    replicate (summarise-analysis); patterns: rows per model (and 'all'), replicate and criterion."""
    return pd.DataFrame([judge(claim, analysis, patterns, thresholds) for claim in CLAIMS])
