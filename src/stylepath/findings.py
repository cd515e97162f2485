"""The study's claims as measurable statements, judged across replicates (training seeds).

Each claim of Rich (2021) becomes a statistic computed per replicate and a criterion on it
(thresholds from the config's `findings` block). Per replicate the criterion holds or not; a
replicate counts as evidence only when every model the claim is about reached its objective in it
(stylepath.diagnostics) and the statistic exists (e.g. there are horseshoe walks to count). The
claims about all walks pool the walks of the models that reached their objective.

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
from functools import cached_property

import numpy as np
import pandas as pd

from stylepath.statistics import association, correlation, t_interval

VERDICTS = ("supported", "contradicted", "inconclusive", "not tested")
OTHERS = ["ae", "vae", "beta_vae"]


# ----------------------------------------------------------------------------- across replicates


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
    """One claim, judged on the tables of one replicate (a Replicate):
    `statistic(replicate, thresholds)` -> a number (NaN: no evidence) and
    `holds(statistic, replicate, thresholds)` -> whether the criterion holds."""

    key: str
    statement: str
    criterion: str  # the criterion in words, {thresholds} filled from the config
    statistic_name: str
    models: list[str]  # whose objective must be reached for a replicate to count
    depends_on: str  # 'latent analysis' or 'style loss'
    statistic: Callable
    holds: Callable


@dataclass
class Replicate:
    """The tables of one replicate: analysis rows (one per model), every walk of every model,
    and the models that reached their objective in it."""

    analysis: pd.DataFrame
    walks: pd.DataFrame
    valid: list[str]

    def value(self, model: str, column: str) -> float:
        """One model's value of an analysis column."""
        return float(self.analysis.loc[self.analysis["model"] == model, column].iloc[0])

    def horseshoe_share(self, model: str) -> float:
        """Share of the model's walks whose curve is a horseshoe."""
        return float((self.walks.loc[self.walks["model"] == model, "pattern"] == "horseshoe").mean())

    def valid_walks(self) -> pd.DataFrame:
        """The walks of the models that reached their objective."""
        return self.walks[self.walks["model"].isin(self.valid)]

    @cached_property
    def wave_association(self) -> tuple[float, float]:
        """(r, p): point-biserial correlation of 'the curve is a wave' with the cross-dissolve
        index over the walks of the models that reached their objective (NaN with fewer than 2)."""
        walks = self.valid_walks()
        if walks["model"].nunique() < 2:
            return np.nan, np.nan
        is_wave = (walks["pattern"] == "wave").to_numpy(np.float64)
        return correlation(is_wave, walks["cross_dissolve_index"].to_numpy(np.float64), "pearson")

    @cached_property
    def pattern_association(self) -> tuple[float, float]:
        """(eta squared, Kruskal-Wallis p) of the cross-dissolve index across the curve patterns
        of the walks of the models that reached their objective (NaN with fewer than 2)."""
        walks = self.valid_walks()
        if walks["model"].nunique() < 2:
            return np.nan, np.nan
        return association(walks["cross_dissolve_index"].to_numpy(np.float64), walks["pattern"].to_numpy())


def max_of(replicate: Replicate, models: list[str], column: str) -> float:
    return max(replicate.value(model, column) for model in models)


def horseshoe_lead(replicate: Replicate) -> float:
    """The smaller of the AAE's and the VAE's horseshoe shares minus the largest share of the
    other models that reached their objective; NaN when no walk of these models is a horseshoe."""
    others = [m for m in replicate.valid if m not in ("aae", "vae")]
    shares = {m: replicate.horseshoe_share(m) for m in ["aae", "vae", *others]}
    if not others or max(shares.values()) == 0:
        return np.nan
    return min(shares["aae"], shares["vae"]) - max(shares[m] for m in others)


CLAIMS = [
    Claim(
        "aae_spherical", "The AAE's latent covariance is spherical.",
        "sphericity of the AAE's codes >= {spherical_at}", "sphericity (AAE)", ["aae"], "latent analysis",
        lambda r, t: r.value("aae", "sphericity"),
        lambda v, r, t: v >= t["spherical_at"],
    ),
    Claim(
        "tvae_oblong", "The TVAE's latent space is oblong.",
        "sphericity of the TVAE's posterior means < {spherical_at}", "sphericity (TVAE)", ["tvae"],
        "latent analysis",
        lambda r, t: r.value("tvae", "sphericity"),
        lambda v, r, t: v < t["spherical_at"],
    ),
    Claim(
        "tvae_grouped", "The TVAE's latent space is grouped by style.",
        "best ARI of a clustering of the TVAE's means against style >= {grouped_at}", "best ARI (TVAE)", ["tvae"],
        "latent analysis",
        lambda r, t: r.value("tvae", "best_ari"),
        lambda v, r, t: v >= t["grouped_at"],
    ),
    Claim(
        "others_oblong", "The β-VAE's, VAE's and AE's latent spaces are oblong.",
        "largest sphericity of the AE, VAE and β-VAE < {spherical_at}", "max sphericity (AE, VAE, β-VAE)", OTHERS,
        "latent analysis",
        lambda r, t: max_of(r, OTHERS, "sphericity"),
        lambda v, r, t: v < t["spherical_at"],
    ),
    Claim(
        "others_not_grouped", "The β-VAE's, VAE's and AE's latent spaces are not grouped by style.",
        "largest best ARI against style of the AE, VAE and β-VAE <= {not_grouped_below}",
        "max best ARI (AE, VAE, β-VAE)", OTHERS, "latent analysis",
        lambda r, t: max_of(r, OTHERS, "best_ari"),
        lambda v, r, t: v <= t["not_grouped_below"],
    ),
    Claim(
        "horseshoe_aae_vae", "Horseshoe curves occur mainly in the AAE and the VAE.",
        "the AAE's and the VAE's horseshoe shares both exceed every other model's (models that reached their "
        "objective): min(AAE, VAE) - max(others) > 0", "horseshoe share lead of the AAE and VAE", ["aae", "vae"],
        "style loss",
        lambda r, t: horseshoe_lead(r),
        lambda v, r, t: v > 0,
    ),
    Claim(
        "wave_cross_dissolve", "Wave curves go with cross-dissolves.",
        "point-biserial r of 'wave' with the cross-dissolve index > 0, p < {alpha} (walks of the models that "
        "reached their objective)", "r (wave, cross-dissolve index)", [], "style loss",
        lambda r, t: r.wave_association[0],
        lambda v, r, t: v > 0 and r.wave_association[1] < t["alpha"],
    ),
    Claim(
        "cross_dissolve_pattern", "The amount of cross-dissolve is strongly associated with the curve pattern.",
        "eta² of the cross-dissolve index by pattern >= {strong_association}, Kruskal-Wallis p < {alpha} (walks "
        "of the models that reached their objective)", "eta² (cross-dissolve index by pattern)", [], "style loss",
        lambda r, t: r.pattern_association[0],
        lambda v, r, t: v >= t["strong_association"] and r.pattern_association[1] < t["alpha"],
    ),
]  # fmt: skip


def judge_replicate(claim: Claim, replicate: Replicate, thresholds) -> dict:
    """The claim in one replicate: statistic, whether it is valid evidence, whether it holds."""
    failed = [m for m in claim.models if m not in replicate.valid]
    statistic = np.nan if failed else claim.statistic(replicate, thresholds)
    holds = bool(np.isfinite(statistic) and claim.holds(statistic, replicate, thresholds))
    return {"statistic": statistic, "valid": not failed and np.isfinite(statistic), "holds": holds, "failed": failed}


def verdict_of(holds: list[bool]) -> str:
    """supported / contradicted / inconclusive from the valid replicates' outcomes (see the module doc)."""
    if len(holds) < 2:
        return "inconclusive"
    return "supported" if all(holds) else "contradicted" if not any(holds) else "inconclusive"


def replicates_of(analysis: pd.DataFrame, walks: pd.DataFrame) -> dict:
    """{replicate: Replicate} of the run."""
    return {
        replicate: Replicate(
            rows,
            walks[walks["replicate"] == replicate],
            list(rows.loc[rows["reached_objective"].astype(bool), "model"]),
        )
        for replicate, rows in analysis.groupby("replicate", sort=True)
    }


def judge(claim: Claim, replicates: dict, models: set, thresholds: dict) -> dict:
    """One row of the findings table for `claim` across every replicate of the run."""
    row = {
        "claim": claim.statement,
        "criterion": claim.criterion.format(**thresholds),
        "statistic": claim.statistic_name,
        "depends_on": claim.depends_on,
    }
    missing = sorted(set(claim.models) - models)
    if missing:
        return {**row, "verdict": "not tested", "note": f"the run has no {', '.join(missing)}"}
    outcomes = {r: judge_replicate(claim, replicate, thresholds) for r, replicate in replicates.items()}
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


def findings_table(analysis: pd.DataFrame, walks: pd.DataFrame, thresholds: dict) -> pd.DataFrame:
    """The findings table: one row per claim (see the module doc). analysis: one row per model and
    replicate (summarise-analysis, with reached_objective); walks: every walk of every model and
    replicate (patterns)."""
    replicates = replicates_of(analysis, walks)
    models = set(analysis["model"])
    return pd.DataFrame([judge(claim, replicates, models, thresholds) for claim in CLAIMS])
