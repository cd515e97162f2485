"""Directional, controlled statistics of the study's three trajectory claims, one number per
replicate (shared by the findings; no command).

Each function takes the walks of ONE replicate (rows of the walks tables, of the models that
reached their objective; static walks are removed here, walk_shape.pooled), the config's
`findings` block, and `pattern_column`: which reading of the horseshoe to use (`pattern`, the
configured one, or `pattern_hump` / `pattern_valley`). It returns one number (NaN: no evidence in
this replicate); the claim's side of its threshold is given with each. The dissolve measure is
walk_shape.DISSOLVE_MEASURE (the CDI times the evenness of its timing).

wave_dissolve_gap         "wave goes with cross-dissolve": the dissolve score of wave walks
                          minus that of horseshoe walks, estimated WITHIN model and pair
                          criterion with the ends' pixel distance as a covariate: least squares
                          of score ~ stratum (model x criterion, one intercept each) + wave
                          (0/1) + end_difference over the wave and horseshoe walks of the
                          strata that hold both; the coefficient of wave. Claim: above
                          findings.min_wave_dissolve_gap.
wave_dissolve_dominance   "the amount of cross-dissolve is strongly associated with the pattern",
                          in the study's direction (waves dissolve more): Cliff's delta of the
                          dissolve score, wave walks against horseshoe walks, P(wave > horseshoe)
                          - P(wave < horseshoe) over all pairs (-1 .. 1; 0 = no association; a
                          negative value is the opposite of the study). Claim: above
                          findings.strong_dominance.
horseshoe_share_aae_vae   "horseshoes mainly in the AAE and VAE": the AAE's and the VAE's share
                          of all horseshoe walks (NaN when there are none, or the replicate has
                          no AAE or VAE walks). Claim: above findings.mainly_share (with 5
                          models of equal walk counts, chance is 0.4).
"""

import numpy as np
import pandas as pd

from stylepath.walk_shape import DISSOLVE_MEASURE, pooled


def wave_or_horseshoe(walks: pd.DataFrame, pattern_column: str) -> pd.DataFrame:
    """The non-static wave and horseshoe walks with a finite dissolve score."""
    walks = pooled(walks)
    chosen = walks[pattern_column].isin(["wave", "horseshoe"]) & np.isfinite(walks[DISSOLVE_MEASURE])
    return walks[chosen]


def wave_dissolve_gap(walks: pd.DataFrame, findings: dict, pattern_column: str = "pattern") -> float:
    """Within-stratum (model x criterion) difference of the dissolve score, wave minus horseshoe,
    adjusted for end_difference (module doc); NaN when no stratum holds both patterns or the fit
    has no residual degree of freedom."""
    walks = wave_or_horseshoe(walks, pattern_column)
    walks = walks[np.isfinite(walks["end_difference"])]
    strata = walks["model"].astype(str) + "/" + walks["criterion"].astype(str)
    both = walks.groupby(strata)[pattern_column].transform("nunique") == 2
    walks, strata = walks[both], strata[both]
    if walks.empty:
        return np.nan
    dummies = pd.get_dummies(strata).to_numpy(np.float64)
    wave = (walks[pattern_column] == "wave").to_numpy(np.float64)
    design = np.column_stack([wave, walks["end_difference"].to_numpy(np.float64), dummies])
    if len(walks) <= design.shape[1] or np.linalg.matrix_rank(design) < design.shape[1]:
        return np.nan
    coefficients = np.linalg.lstsq(design, walks[DISSOLVE_MEASURE].to_numpy(np.float64), rcond=None)[0]
    return float(coefficients[0])


def wave_dissolve_dominance(walks: pd.DataFrame, findings: dict, pattern_column: str = "pattern") -> float:
    """Cliff's delta of the dissolve score, wave walks against horseshoe walks (module doc); NaN
    without walks of both patterns."""
    walks = wave_or_horseshoe(walks, pattern_column)
    wave = walks.loc[walks[pattern_column] == "wave", DISSOLVE_MEASURE].to_numpy(np.float64)
    horseshoe = walks.loc[walks[pattern_column] == "horseshoe", DISSOLVE_MEASURE].to_numpy(np.float64)
    if len(wave) == 0 or len(horseshoe) == 0:
        return np.nan
    return float(np.sign(wave[:, None] - horseshoe[None, :]).mean())


def horseshoe_share_aae_vae(walks: pd.DataFrame, findings: dict, pattern_column: str = "pattern") -> float:
    """Share of the replicate's horseshoe walks that are the AAE's or the VAE's (module doc)."""
    walks = pooled(walks)
    if not {"aae", "vae"} <= set(walks["model"]):
        return np.nan
    horseshoe = walks[walks[pattern_column] == "horseshoe"]
    if horseshoe.empty:
        return np.nan
    return float(horseshoe["model"].isin(["aae", "vae"]).mean())


# claim key -> (statistic, findings threshold key, the claim's side of it)
TRAJECTORY_CLAIMS = {
    "wave_cross_dissolve": (wave_dissolve_gap, "min_wave_dissolve_gap", "above"),
    "cross_dissolve_pattern": (wave_dissolve_dominance, "strong_dominance", "above"),
    "horseshoe_aae_vae": (horseshoe_share_aae_vae, "mainly_share", "above"),
}
