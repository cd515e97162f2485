"""The study's claims judged across replicates: the t intervals against an independent
computation, and each verdict rule on constructed summary tables (a clear support, a clear
contradiction, an inconclusive split, replicates left out, a model the run lacks)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from stylepath import findings
from stylepath.config import with_defaults
from stylepath.patterns_summary import summarise
from stylepath.run_summary import headline_table, replicate_table, to_html

THRESHOLDS = with_defaults({})["findings"]
MODELS = ["ae", "vae", "beta_vae", "aae", "tvae"]


def test_t_interval_matches_scipy():
    values = [0.2, 0.35, 0.31, np.nan]
    result = findings.t_interval(values, 0.95)
    finite = np.array(values[:3])
    low, high = stats.t.interval(0.95, 2, loc=finite.mean(), scale=stats.sem(finite))
    assert result["n"] == 3 and result["mean"] == pytest.approx(finite.mean())
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((low, high))
    assert result["sd"] == pytest.approx(np.std(finite, ddof=1))
    assert (result["min"], result["max"]) == (0.2, 0.35)
    single = findings.t_interval([0.4], 0.95)
    assert single["mean"] == 0.4 and np.isnan(single["ci_low"]) and np.isnan(single["sd"])


def test_across_replicates_lists_each_replicate_in_seed_order():
    table = pd.DataFrame({"model": ["aae"] * 3, "replicate": [2, 0, 1], "sphericity": [0.9, 0.95, 0.8]})
    row = findings.across_replicates(table, ["sphericity", "absent"], 0.9).iloc[0]
    assert (row["model"], row["quantity"], row["n"]) == ("aae", "sphericity", 3)
    assert row["values"] == "0.95;0.8;0.9" and row["replicates"] == "0;1;2"
    low, high = stats.t.interval(0.9, 2, loc=np.mean([0.9, 0.95, 0.8]), scale=stats.sem([0.9, 0.95, 0.8]))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))


def analysis_rows(replicates=(0, 1), overrides=None):
    """One row per model and replicate of the analysis summary; overrides: {(model, replicate): {...}}."""
    overrides = overrides or {}
    rows = []
    for replicate in replicates:
        for model in MODELS:
            row = {
                "model": model,
                "replicate": replicate,
                "sphericity": 0.95 if model == "aae" else 0.3,
                "best_ari": 0.8 if model == "tvae" else 0.05,
                "reached_objective": True,
            }
            rows.append({**row, **overrides.get((model, replicate), {})})
    return pd.DataFrame(rows)


def walk_rows(replicates=(0, 1), horseshoes=None, wave_cdi=0.9):
    """20 walks per model and replicate: `horseshoes[model]` horseshoes (cross-dissolve index
    about 0.2), then 4 waves (about `wave_cdi`), the rest other (about 0.5)."""
    horseshoes = horseshoes or {"aae": 8, "vae": 6, "ae": 1, "beta_vae": 1, "tvae": 2}
    rng = np.random.default_rng(0)
    rows = []
    for replicate in replicates:
        for model in MODELS:
            h = horseshoes[model]
            patterns = ["horseshoe"] * h + ["wave"] * 4 + ["other"] * (16 - h)
            centre = {"horseshoe": 0.2, "wave": wave_cdi, "other": 0.5}
            cdi = [centre[p] + rng.normal(0, 0.05) for p in patterns]
            rows += [{"model": model, "replicate": replicate, "pattern": p, "cross_dissolve_index": c}
                     for p, c in zip(patterns, cdi)]  # fmt: skip
    return pd.DataFrame(rows)


def table(analysis=None, walks=None):
    result = findings.findings_table(
        analysis if analysis is not None else analysis_rows(),
        walks if walks is not None else walk_rows(),
        THRESHOLDS,
    )
    return result.set_index(result["claim"].map({c.statement: c.key for c in findings.CLAIMS}))


def test_the_study_as_found_is_supported_claim_by_claim():
    result = table()
    assert (result["verdict"] == "supported").all(), result[["verdict", "note"]]
    aae = result.loc["aae_spherical"]
    assert (aae["holds_in"], aae["valid_replicates"], aae["mean"]) == (2, 2, pytest.approx(0.95))
    assert result.loc["horseshoe_aae_vae", "mean"] == pytest.approx((6 - 2) / 20)  # VAE 6/20 vs TVAE 2/20
    assert result.loc["aae_spherical", "criterion"] == "sphericity of the AAE's codes >= 0.85"


def test_a_clear_contradiction():
    flat = {("aae", r): {"sphericity": 0.2} for r in (0, 1)}
    result = table(analysis_rows(overrides=flat), walk_rows(wave_cdi=0.1))
    assert result.loc["aae_spherical", "verdict"] == "contradicted"
    assert result.loc["aae_spherical", "holds_in"] == 0
    assert result.loc["wave_cross_dissolve", "verdict"] == "contradicted"


def test_replicates_that_disagree_are_inconclusive():
    result = table(analysis_rows(overrides={("tvae", 1): {"best_ari": 0.3}}))
    row = result.loc["tvae_grouped"]
    assert (row["verdict"], row["holds_in"], row["valid_replicates"]) == ("inconclusive", 1, 2)
    assert row["values"] == "0.8;0.3"
    # an ARI between the two thresholds is neither grouped nor clearly not grouped
    assert result.loc["others_not_grouped", "verdict"] == "supported"


def test_a_weak_association_is_no_strong_association():
    same = table(walks=walk_rows().assign(cross_dissolve_index=0.5))
    assert np.isnan(same.loc["cross_dissolve_pattern", "mean"])  # a constant index: no association to measure
    weak = walk_rows()
    weak["cross_dissolve_index"] = 0.5 + np.random.default_rng(1).normal(0, 0.2, len(weak))  # unrelated to pattern
    result = table(walks=weak)
    assert result.loc["cross_dissolve_pattern", "verdict"] == "contradicted"
    assert result.loc["wave_cross_dissolve", "verdict"] in ("contradicted", "inconclusive")


def test_replicates_where_a_model_missed_its_objective_are_left_out():
    result = table(analysis_rows((0, 1, 2), {("aae", 2): {"reached_objective": False}}), walk_rows((0, 1, 2)))
    row = result.loc["aae_spherical"]
    assert (row["verdict"], row["holds_in"], row["valid_replicates"], row["replicates"]) == ("supported", 2, 2, 3)
    assert row["note"] == "seed 2: aae did not reach its objective"
    # the claims about all walks pool the models that reached their objective: seed 2 still counts
    assert result.loc["wave_cross_dissolve", "valid_replicates"] == 3
    assert result.loc["horseshoe_aae_vae", "valid_replicates"] == 2
    # the TVAE's claims do not involve the AAE
    assert result.loc["tvae_grouped", "valid_replicates"] == 3


def test_one_valid_replicate_is_not_enough():
    single = table(analysis_rows(replicates=(0,)), walk_rows(replicates=(0,)))
    assert (single["verdict"] == "inconclusive").all()
    assert np.isnan(single.loc["aae_spherical", "ci_low"])


def test_no_horseshoe_at_all_is_no_evidence_and_a_missing_model_is_not_tested():
    none = table(walks=walk_rows(horseshoes=dict.fromkeys(MODELS, 0)))
    assert none.loc["horseshoe_aae_vae", "verdict"] == "inconclusive"
    assert none.loc["horseshoe_aae_vae", "valid_replicates"] == 0
    analysis = analysis_rows()
    walks = walk_rows()
    without_tvae = table(analysis[analysis["model"] != "tvae"], walks[walks["model"] != "tvae"])
    assert without_tvae.loc["tvae_grouped", "verdict"] == "not tested"
    assert without_tvae.loc["aae_spherical", "verdict"] == "supported"


def test_front_page_starts_with_the_findings_and_flags_a_demo():
    analysis = analysis_rows().assign(
        recon_ratio=0.3, recon_mse=0.01, prior_sphericity=0.9, prior_mmd_p=0.5, condition_ratio=0.5,
        effective_dim_fraction=0.5, best_ari_algorithm="kmeans", verdict="reached its objective",
    )  # fmt: skip
    walks = walk_rows().assign(
        instrument="gatys", criterion="random", orientation="hump", bend=0.1, weights_id="random:seed=0:abc"
    )
    patterns = summarise(walks)
    headline = headline_table(analysis, patterns)
    assert len(headline) == 10 and list(headline.columns[:3]) == ["model", "replicate", "reached_objective"]
    replicates = replicate_table(headline, patterns, 0.95)
    assert set(replicates.loc[replicates["model"] == "all", "quantity"]) >= {"r_cdi_wave", "eta2_cdi_pattern"}
    origin = {"data": "synthetic", "weights": "random:seed=0:abc", "replicates": 2, "demo": True,
              "warning": "DEMO RUN: these verdicts check the pipeline"}  # fmt: skip
    page = to_html(table(), headline, replicates, origin, "demo")
    assert page.index("DEMO RUN") < page.index("<table>") < page.index("reached its objective")
    assert page.count("class='supported'") == len(findings.CLAIMS)
