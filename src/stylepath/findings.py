"""The study's claims as tests that can come out either way, judged across replicates.

Each claim of Rich (2021) becomes, per replicate (training seed), a statistic s and a threshold
θ (from the config's `findings` block, or from a null band of that replicate's size) with the
claim's side of it: the margin m = s - θ for a claim that s is above θ, θ - s for one that it is
below. A replicate is valid evidence when every model the claim is about reached its objective in
it (stylepath.diagnostics, whose checks never restate a claim) and the statistic exists.

Verdict, from the margins of the valid replicates (at least 2) and their two-sided t interval at
`confidence` (mean +- t(1 - (1 - c)/2, n - 1) * sd / sqrt(n)):
    supported      the interval lies wholly above 0 (on the claim's side), and, for a claim
                   whose criterion includes a test (a permutation or rank test within each
                   replicate), the largest p-value over its replicates is below `alpha` after
                   Holm's step-down adjustment across the claims of the table that have one
    contradicted   the interval lies wholly below 0 (on the other side)
    inconclusive   otherwise (it straddles 0, the test is not significant, or < 2 valid replicates)
A claim about a model the run does not train is 'not tested'.

The latent-geometry claims are judged on held-out (val) codes (stylepath.analyse):
    shape      the isotropy of the part of the space that carries variance (geometry.active_shape:
               participation ratio over the active dimension count, 1 = a sphere); spherical when
               it is at least the lower edge of the band of N(0, I) samples of the same size minus
               `spherical_tolerance`, oblong when at most `oblong_below`. Collapsed dimensions are
               left out of the shape and reported apart (collapsed_dims).
    grouping   the excess over chance of the statistic named by `grouping_statistic` (a linear
               probe by default, with its permutation test), fitted on training codes, scored on
               held-out codes; grouped when >= `grouped_at`, not grouped when <= `not_grouped_below`.
The same rules judge the known-answer controls (stylepath.controls).

Across replicates, every quantity gets its mean, t interval, standard deviation (ddof 1), range and
the per-replicate values (`across_replicates`).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stylepath.config import model_names
from stylepath.statistics import holm, t_band, t_interval
from stylepath.walk_statistics import TRAJECTORY_CLAIMS

VERDICTS = ("supported", "contradicted", "inconclusive", "not tested")
OTHERS = [m for m in model_names() if m not in ("aae", "tvae")]  # the study's plain models: AE, VAE, β-VAE
GROUPING = {  # grouping_statistic -> (held-out column, its chance column or None for 0)
    "probe_accuracy": ("probe_val", "chance"),
    "knn_accuracy": ("knn_val", "chance"),
    "kmeans_ari": ("kmeans_val_ari", None),
}


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


# ----------------------------------------------------------------------------- one replicate


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

    def valid_walks(self) -> pd.DataFrame:
        """The walks of the models that reached their objective (static walks are left out by the
        statistics themselves: walk_shape.pooled)."""
        return self.walks[self.walks["model"].isin(self.valid)]


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


# ----------------------------------------------------------------------------- claims


@dataclass
class Claim:
    """One claim, judged on the tables of each replicate (a Replicate) with the findings settings t:
    statistic(r, t) -> s (NaN: no evidence), threshold(r, t) -> θ, side 'above' or 'below' (the
    claim is that s lies on that side of θ), p_value(r, t) -> the p-value of the test within the
    replicate, for claims whose criterion includes one."""

    key: str
    statement: str
    criterion: str  # in words, {settings} filled from the config
    statistic_name: str
    models: list[str]  # whose objective must be reached for a replicate to count
    depends_on: str  # 'latent analysis' or 'style loss'
    statistic: Callable
    threshold: Callable
    side: str
    p_value: Callable | None = None

    def margin(self, replicate: Replicate, settings: dict) -> tuple[float, float, float]:
        """(statistic, threshold, margin towards the claim's side) in one replicate."""
        value, threshold = self.statistic(replicate, settings), self.threshold(replicate, settings)
        return value, threshold, (value - threshold) if self.side == "above" else (threshold - value)


def isotropy_of(models: list[str]) -> Callable:
    """The largest held-out isotropy among `models` (the least oblong of them)."""
    return lambda r, t: max(r.value(m, "isotropy") for m in models)


def spherical_claim(key: str, model: str, statement: str) -> Claim:
    """`model`'s held-out active part is as isotropic as N(0, I) samples of its size."""
    return Claim(
        key, statement,
        "isotropy of the held-out active part >= lower edge of the N(0, I) band of that size - {spherical_tolerance}",
        f"isotropy ({model})", [model], "latent analysis",
        isotropy_of([model]),
        lambda r, t: r.value(model, "isotropy_band_low") - t["spherical_tolerance"],
        "above",
    )  # fmt: skip


def oblong_claim(key: str, models: list[str], statement: str) -> Claim:
    """Every one of `models` has a held-out active part whose variance fills at most oblong_below of it."""
    return Claim(
        key, statement, "largest isotropy of the held-out active part <= {oblong_below} (collapsed units left out)",
        f"isotropy ({', '.join(models)})", list(models), "latent analysis",
        isotropy_of(models), lambda r, t: t["oblong_below"], "below",
    )  # fmt: skip


def grouping_excess(replicate: Replicate, model: str, settings: dict) -> float:
    """The held-out grouping statistic named by settings' grouping_statistic, minus its chance."""
    column, chance = GROUPING[settings["grouping_statistic"]]
    return replicate.value(model, column) - (replicate.value(model, chance) if chance else 0.0)


def probe_p(models: list[str]) -> Callable:
    """The largest permutation p-value of the held-out probe among `models` (only when the probe
    is the grouping statistic; other statistics have no test)."""

    def p_value(r, t):
        if t["grouping_statistic"] != "probe_accuracy":
            return np.nan
        return max(r.value(m, "probe_p") for m in models)

    return p_value


def grouped_claim(key: str, model: str, statement: str) -> Claim:
    """`model`'s held-out codes tell the style better than chance by at least grouped_at."""
    return Claim(
        key, statement,
        "held-out {grouping_statistic} - chance >= {grouped_at} (fitted on training codes), permutation p < {alpha}",
        f"held-out grouping above chance ({model})", [model], "latent analysis",
        lambda r, t: grouping_excess(r, model, t), lambda r, t: t["grouped_at"], "above", probe_p([model]),
    )  # fmt: skip


def not_grouped_claim(key: str, models: list[str], statement: str) -> Claim:
    """None of `models`' held-out codes tells the style better than chance by more than not_grouped_below."""
    return Claim(
        key, statement, "largest held-out {grouping_statistic} - chance <= {not_grouped_below}",
        f"held-out grouping above chance (max of {', '.join(models)})", list(models), "latent analysis",
        lambda r, t: max(grouping_excess(r, m, t) for m in models), lambda r, t: t["not_grouped_below"], "below",
    )  # fmt: skip


def isotropy_lead(replicate: Replicate) -> float:
    """The AAE's held-out isotropy minus the largest of the other models that reached their
    objective (NaN when none did)."""
    others = [m for m in replicate.valid if m != "aae"]
    if not others:
        return np.nan
    return replicate.value("aae", "isotropy") - max(replicate.value(m, "isotropy") for m in others)


TRAJECTORY_STATEMENTS = {
    "horseshoe_aae_vae": ("Horseshoe curves occur mainly in the AAE and the VAE.", ["aae", "vae"],
                          "the AAE's and VAE's share of the horseshoe walks (non-static walks of the models that "
                          "reached their objective) > {mainly_share}"),
    "wave_cross_dissolve": ("Wave curves go with cross-dissolves.", [],
                            "dissolve score of wave minus horseshoe walks, within model and criterion, adjusted for "
                            "the ends' pixel distance >= {min_wave_dissolve_gap}"),
    "cross_dissolve_pattern": ("The amount of cross-dissolve is strongly associated with the curve pattern "
                               "(waves dissolve more).", [],
                               "Cliff's delta of the dissolve score, wave against horseshoe walks "
                               "> {strong_dominance}"),
}  # fmt: skip


def trajectory_claims(pattern_column: str, label: str) -> list[Claim]:
    """The three trajectory claims (stylepath.walk_statistics) on the walks' `pattern_column`: a
    reading of the horseshoe (pattern_hump, pattern_valley) or one VGG19 layer (pattern_<layer>)."""
    claims = []
    for key, (function, threshold, side) in TRAJECTORY_CLAIMS.items():
        statement, models, criterion = TRAJECTORY_STATEMENTS[key]
        claims.append(
            Claim(
                f"{key}:{label}",
                statement,
                f"{criterion} ({label})",
                function.__name__,
                models,
                "style loss",
                lambda r, t, f=function: f(r.valid_walks(), t, pattern_column),
                lambda r, t, k=threshold: t[k],
                side,
            )
        )
    return claims


def readings(default: list[str]) -> dict[str, str]:
    """The walks' pattern column of each reading of the horseshoe, the configured one first."""
    names = {"pattern_hump": "hump reading", "pattern_valley": "valley reading"}
    first = "pattern_hump" if default == ["hump"] else "pattern_valley" if default == ["valley"] else None
    order = sorted(names, key=lambda column: column != first)
    return {column: names[column] + (" (the default)" if column == first else "") for column in order}


LATENT_CLAIMS = [
    spherical_claim("aae_spherical", "aae", "The AAE's latent covariance is spherical."),
    Claim(
        "aae_more_spherical", "The AAE's latent space is more spherical than every other model's.",
        "held-out isotropy of the AAE - the largest of the other models (those that reached their objective) > 0",
        "isotropy lead of the AAE", ["aae"], "latent analysis",
        lambda r, t: isotropy_lead(r), lambda r, t: 0.0, "above",
    ),
    oblong_claim("tvae_oblong", ["tvae"], "The TVAE's latent space is oblong."),
    grouped_claim("tvae_grouped", "tvae", "The TVAE's latent space is grouped by style."),
    oblong_claim("others_oblong", OTHERS, "The β-VAE's, VAE's and AE's latent spaces are oblong."),
    not_grouped_claim(
        "others_not_grouped", OTHERS, "The β-VAE's, VAE's and AE's latent spaces are not grouped by style."
    ),
]  # fmt: skip


# ----------------------------------------------------------------------------- verdicts


def judge_replicate(claim: Claim, replicate: Replicate, settings: dict) -> dict:
    """The claim in one replicate: statistic, margin, p-value, and whether it is valid evidence."""
    failed = [m for m in claim.models if m not in replicate.valid]
    value, threshold, margin, p = np.nan, np.nan, np.nan, np.nan
    if not failed:
        value, threshold, margin = claim.margin(replicate, settings)
        p = claim.p_value(replicate, settings) if claim.p_value else np.nan
    valid = not failed and bool(np.isfinite(margin))
    return {"statistic": value, "threshold": threshold, "margin": margin, "p": p, "valid": valid, "failed": failed}


def interval_verdict(margins: list[float], confidence: float) -> tuple[str, float, float, float]:
    """(verdict, mean, ci_low, ci_high) of the margins of the valid replicates (see the module doc),
    before any test's adjustment."""
    margins = np.asarray(margins, np.float64)
    if len(margins) < 2:
        return "inconclusive", (margins.mean() if len(margins) else np.nan), np.nan, np.nan
    mean, low, high = t_band(margins, confidence)
    if low > 0:
        return "supported", mean, low, high
    if high < 0:
        return "contradicted", mean, low, high
    return "inconclusive", mean, low, high


def judge(claim: Claim, replicates: dict, models: set, settings: dict) -> dict:
    """One row of the findings table for `claim` across every replicate, before Holm's adjustment."""
    row = {
        "key": claim.key,
        "claim": claim.statement,
        "criterion": claim.criterion.format(**settings),
        "statistic": claim.statistic_name,
        "depends_on": claim.depends_on,
    }
    missing = sorted(set(claim.models) - models)
    if missing:
        return {**row, "verdict": "not tested", "note": f"the run has no {', '.join(missing)}"}
    outcomes = {r: judge_replicate(claim, replicate, settings) for r, replicate in replicates.items()}
    valid = [o for o in outcomes.values() if o["valid"]]
    verdict, margin, low, high = interval_verdict([o["margin"] for o in valid], settings["confidence"])
    excluded = [
        f"seed {r}: "
        + (f"{', '.join(o['failed'])} did not reach {'its' if len(o['failed']) == 1 else 'their'} objective"
           if o["failed"] else "no value")
        for r, o in outcomes.items()
        if not o["valid"]
    ]  # fmt: skip
    p_values = [o["p"] for o in valid]
    tested = claim.p_value is not None and len(valid) > 0 and np.all(np.isfinite(p_values))
    return {
        **row,
        "mean": np.mean([o["statistic"] for o in valid]) if valid else np.nan,
        "threshold": np.mean([o["threshold"] for o in valid]) if valid else np.nan,
        "side": claim.side,
        "margin": margin,
        "ci_low": low,
        "ci_high": high,
        "values": ";".join(f"{o['statistic']:.4g}" for o in outcomes.values()),
        "holds_in": sum(o["margin"] > 0 for o in valid),
        "valid_replicates": len(valid),
        "replicates": len(outcomes),
        "p": max(p_values) if tested else np.nan,
        "interval_verdict": verdict,
        "verdict": verdict,
        "note": "; ".join(excluded),
    }


def apply_tests(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Holm-adjust the claims' p-values across the table (p_holm) and keep a claim with a test
    'supported' only when its adjusted p is below alpha (else inconclusive, with a note)."""
    table = table.copy()
    table["p_holm"] = np.nan
    if "p" not in table:
        return table
    tested = table["p"].notna()
    table.loc[tested, "p_holm"] = holm(table.loc[tested, "p"].to_numpy())
    weak = tested & (table["verdict"] == "supported") & ~(table["p_holm"] < alpha)
    for i in table.index[weak]:
        note = f"the test is not significant after Holm's adjustment (p {table.at[i, 'p_holm']:.3g} >= {alpha:g})"
        table.at[i, "note"] = "; ".join(filter(None, [table.at[i, "note"], note]))
        table.at[i, "verdict"] = "inconclusive"
    return table


def judge_all(claims: list[Claim], replicates: dict, models: set, settings: dict) -> pd.DataFrame:
    """The verdict table of `claims` (see the module doc): the same rules for the study and the controls."""
    table = pd.DataFrame([judge(claim, replicates, models, settings) for claim in claims])
    return apply_tests(table, settings["alpha"])


def findings_table(analysis: pd.DataFrame, walks: pd.DataFrame, settings: dict, orientations: list) -> pd.DataFrame:
    """The findings table: one row per claim, the trajectory claims under each reading of the
    horseshoe (`orientations`: patterns.horseshoe_orientations, the default reading). analysis: one
    row per model and replicate (summarise-analysis, with reached_objective); walks: every walk of
    every model and replicate (patterns)."""
    claims = LATENT_CLAIMS + [
        c for column, label in readings(orientations).items() for c in trajectory_claims(column, label)
    ]
    return judge_all(claims, replicates_of(analysis, walks), set(analysis["model"]), settings)


def layer_table(analysis: pd.DataFrame, walks: pd.DataFrame, settings: dict, layers: list[str]) -> pd.DataFrame:
    """The trajectory claims judged on each VGG19 layer's own curve (the walks' pattern_<layer>),
    one family of tests of its own: does a verdict hold per layer, or only for the total?"""
    claims = [c for layer in layers for c in trajectory_claims(f"pattern_{layer}", layer)]
    table = judge_all(claims, replicates_of(analysis, walks), set(analysis["model"]), settings)
    table.insert(0, "layer", [layer for layer in layers for _ in TRAJECTORY_CLAIMS])
    return table


def shape_reading(isotropy: float, band_low: float, settings: dict) -> str:
    """One replicate's shape in words by the claims' thresholds: spherical, oblong or neither."""
    if not np.isfinite(isotropy):
        return "collapsed"
    if isotropy >= band_low - settings["spherical_tolerance"]:
        return "spherical"
    return "oblong" if isotropy <= settings["oblong_below"] else "neither"
