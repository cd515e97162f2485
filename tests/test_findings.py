"""The study's claims as tests that can come out either way: the interval rule and Holm's
adjustment against independent computations; each claim on constructed summary tables (a clear
support, a clear contradiction, a straddling interval, replicates left out, a model the run
lacks); and the known-answer controls, built here independently of stylepath.controls, through
the same measurements and rules, each with the verdict it must give."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from stylepath import controls, findings, statistics
from stylepath.config import with_defaults
from stylepath.geometry import held_out_shape
from stylepath.grouping import grouping
from stylepath.summarise_patterns import summarise
from stylepath.summarise_run import headline_table, replicate_table, to_html, with_shape_reading

DEFAULTS = with_defaults({})
THRESHOLDS = DEFAULTS["findings"]
ANALYSIS = DEFAULTS["analysis"]
MODELS = ["ae", "vae", "beta_vae", "aae", "tvae"]
REPLICATES = (0, 1, 2)


def test_t_interval_matches_scipy():
    values = [0.2, 0.35, 0.31, np.nan]
    result = statistics.t_interval(values, 0.95)
    finite = np.array(values[:3])
    low, high = stats.t.interval(0.95, 2, loc=finite.mean(), scale=stats.sem(finite))
    assert result["n"] == 3 and result["mean"] == pytest.approx(finite.mean())
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((low, high))
    assert result["sd"] == pytest.approx(np.std(finite, ddof=1))
    single = statistics.t_interval([0.4], 0.95)
    assert single["mean"] == 0.4 and np.isnan(single["ci_low"]) and np.isnan(single["sd"])


def test_holm_matches_the_step_down_procedure_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    # sorted: 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> max 0.06)
    assert statistics.holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    rejected = statistics.holm(p) < 0.05
    # Holm by hand: reject p_(i) while p_(i) <= alpha / (m - i + 1)
    order, by_hand = np.argsort(p), np.zeros(4, bool)
    for i, index in enumerate(order):
        if p[index] > 0.05 / (4 - i):
            break
        by_hand[index] = True
    assert (rejected == by_hand).all()


@pytest.mark.parametrize(
    "margins, verdict",
    [([0.3, 0.31, 0.29], "supported"), ([-0.3, -0.31, -0.29], "contradicted"), ([0.3, -0.1, 0.2], "inconclusive"),
     ([0.3], "inconclusive")],
)  # fmt: skip
def test_the_interval_rule(margins, verdict):
    found, mean, low, high = findings.interval_verdict(margins, 0.95)
    assert found == verdict
    if len(margins) > 1:
        expected = stats.t.interval(0.95, len(margins) - 1, loc=np.mean(margins), scale=stats.sem(margins))
        assert (low, high) == pytest.approx(expected)


def analysis_rows(replicates=REPLICATES, overrides=None):
    """One analysis-summary row per model and replicate, as the study found it (a spherical AAE, a
    grouped TVAE, oblong and ungrouped plain models), with small differences between replicates;
    overrides: {(model, replicate): {...}}."""
    overrides = overrides or {}
    rows = []
    for replicate in replicates:
        wiggle = 0.01 * replicate
        for model in MODELS:
            row = {
                "model": model,
                "replicate": replicate,
                "isotropy": (0.9 if model == "aae" else 0.3) + wiggle,
                "isotropy_band_low": 0.85,
                "active_dims": 16,
                "collapsed_dims": 0,
                "probe_val": (0.8 if model == "tvae" else 0.27) + wiggle,
                "probe_train": 0.9 if model == "tvae" else 0.3,
                "chance": 0.25,
                "probe_p": 0.001 if model == "tvae" else 0.4,
                "knn_val": 0.3,
                "kmeans_val_ari": 0.05,
                "kmeans_train_ari": 0.05,
                "reached_objective": True,
            }
            rows.append({**row, **overrides.get((model, replicate), {})})
    return pd.DataFrame(rows)


def walk_rows(replicates=REPLICATES, horseshoes=None, wave_score=0.9):
    """20 walks per model, criterion 'random', and replicate: `horseshoes[model]` horseshoes
    (dissolve score about 0.2), then 4 waves (about `wave_score`), the rest other (about 0.5)."""
    horseshoes = horseshoes or {"aae": 8, "vae": 6, "ae": 1, "beta_vae": 1, "tvae": 2}
    rng = np.random.default_rng(0)
    rows = []
    for replicate in replicates:
        for model in MODELS:
            h = horseshoes[model]
            patterns = ["horseshoe"] * h + ["wave"] * 4 + ["other"] * (16 - h)
            centre = {"horseshoe": 0.2, "wave": wave_score, "other": 0.5}
            score = [centre[p] + rng.normal(0, 0.05) for p in patterns]
            rows += [{"model": model, "replicate": replicate, "pattern": p, "dissolve_score": s,
                      "end_difference": 0.1 + rng.uniform(0, 0.01)} for p, s in zip(patterns, score)]  # fmt: skip
    walks = pd.DataFrame(rows)
    layers = {f"pattern_{layer}": walks["pattern"] for layer in DEFAULTS["style_loss"]["layers"]}
    return walks.assign(
        criterion="random", cross_dissolve_index=walks["dissolve_score"], pattern_hump=walks["pattern"],
        pattern_valley="other", static=False, **layers,
    )  # fmt: skip


def table(analysis=None, walks=None):
    result = findings.findings_table(
        analysis if analysis is not None else analysis_rows(),
        walks if walks is not None else walk_rows(),
        THRESHOLDS,
        ["hump"],
    )
    return result.set_index("key")


def test_the_study_as_found_is_supported_claim_by_claim():
    result = table()
    default = [key for key in result.index if ":" not in key or key.endswith("(the default)")]
    assert (result.loc[default, "verdict"] == "supported").all(), result.loc[default, ["verdict", "note"]]
    aae = result.loc["aae_spherical"]
    assert (aae["valid_replicates"], aae["mean"]) == (3, pytest.approx(0.91))
    assert aae["threshold"] == pytest.approx(0.85 - THRESHOLDS["spherical_tolerance"])
    assert result.loc["tvae_grouped", "p_holm"] <= 0.001 * sum(result["p"].notna())
    # the valley reading finds no horseshoe at all here: no evidence, not support
    assert result.loc["horseshoe_aae_vae:valley reading", "verdict"] == "inconclusive"


def test_a_clear_contradiction():
    flat = {("aae", r): {"isotropy": 0.2 + 0.01 * r} for r in REPLICATES}
    grouped = {(m, r): {"probe_val": 0.8 + 0.01 * r} for m in findings.OTHERS for r in REPLICATES}
    result = table(analysis_rows(overrides={**flat, **grouped}), walk_rows(wave_score=0.05))
    assert result.loc["aae_spherical", "verdict"] == "contradicted"
    assert result.loc["aae_spherical", "ci_high"] < 0
    assert result.loc["others_not_grouped", "verdict"] == "contradicted"
    assert result.loc["wave_cross_dissolve:hump reading (the default)", "verdict"] == "contradicted"


def test_a_straddling_interval_is_inconclusive():
    result = table(analysis_rows(overrides={("tvae", 1): {"probe_val": 0.3}}))
    row = result.loc["tvae_grouped"]
    assert (row["verdict"], row["holds_in"], row["valid_replicates"]) == ("inconclusive", 2, 3)
    assert row["ci_low"] < 0 < row["ci_high"]


def test_a_supported_interval_with_a_failed_test_is_inconclusive():
    weak = {("tvae", r): {"probe_p": 0.08} for r in REPLICATES}  # the permutation test does not reject
    result = table(analysis_rows(overrides=weak))
    row = result.loc["tvae_grouped"]
    assert row["interval_verdict"] == "supported" and row["verdict"] == "inconclusive"
    assert "Holm" in row["note"]


def test_collapse_is_not_read_as_oblong():
    # a TVAE whose active part is round: not oblong, whatever its collapsed units
    round_ = {("tvae", r): {"isotropy": 0.9, "collapsed_dims": 10} for r in REPLICATES}
    assert table(analysis_rows(overrides=round_)).loc["tvae_oblong", "verdict"] == "contradicted"


def test_replicates_where_a_model_missed_its_objective_are_left_out():
    result = table(analysis_rows(overrides={("aae", 2): {"reached_objective": False}}))
    row = result.loc["aae_spherical"]
    assert (row["verdict"], row["valid_replicates"], row["replicates"]) == ("supported", 2, 3)
    assert row["note"] == "seed 2: aae did not reach its objective"
    assert result.loc["tvae_grouped", "valid_replicates"] == 3  # the TVAE's claims do not involve the AAE


def test_one_valid_replicate_is_not_enough_and_a_missing_model_is_not_tested():
    single = table(analysis_rows(replicates=(0,)), walk_rows(replicates=(0,)))
    assert (single["verdict"] == "inconclusive").all()
    analysis, walks = analysis_rows(), walk_rows()
    without_tvae = table(analysis[analysis["model"] != "tvae"], walks[walks["model"] != "tvae"])
    assert without_tvae.loc["tvae_grouped", "verdict"] == "not tested"
    assert without_tvae.loc["aae_spherical", "verdict"] == "supported"


def test_the_trajectory_claims_per_layer_are_a_table_of_their_own():
    layers = DEFAULTS["style_loss"]["layers"]
    result = findings.layer_table(analysis_rows(), walk_rows(), THRESHOLDS, layers)
    assert list(result["layer"].unique()) == layers and len(result) == 3 * len(layers)
    assert (result["verdict"] == "supported").all()


# ----------------------------------------------------------------------------- known-answer controls


def styles_and_split(n_per_style=100, val_fraction=0.2):
    styles = np.repeat(["expressionism", "impressionism", "realism", "romanticism"], n_per_style)
    split = np.where(np.arange(len(styles)) % n_per_style < val_fraction * n_per_style, "val", "train")
    return styles, split


def control_verdicts(make_codes, variational=False, shuffle=False, d=8):
    """Verdicts of the four latent-geometry rules on a control built here: make_codes(rng, styles,
    split) -> z, one table per replicate, measured as the analysis measures."""
    styles, split = styles_and_split()
    rows = []
    for replicate in REPLICATES:
        rng = np.random.default_rng(100 + replicate)
        z = make_codes(rng, styles, split, d)
        labels = rng.permutation(styles) if shuffle else styles
        shape = held_out_shape(z, split == "val", variational, ANALYSIS, 0)
        rows.append({"model": "x", "replicate": replicate, "reached_objective": True, "isotropy": shape["isotropy"],
                     "isotropy_band_low": shape["isotropy_band"][0], "collapsed_dims": shape["collapsed_dims"],
                     **grouping(z, labels, split, ANALYSIS["grouping"], 0)})  # fmt: skip
    rows = pd.DataFrame(rows)
    claims = [
        findings.spherical_claim("spherical", "x", ""),
        findings.oblong_claim("oblong", ["x"], ""),
        findings.grouped_claim("grouped", "x", ""),
        findings.not_grouped_claim("not grouped", ["x"], ""),
    ]
    judged = findings.judge_all(
        claims, findings.replicates_of(rows, pd.DataFrame({"replicate": []})), {"x"}, THRESHOLDS
    )
    return dict(zip(judged["key"], judged["verdict"])), rows


def by_style(rng, styles, d, distance=6.0):
    centres = {s: distance * np.eye(d)[i] for i, s in enumerate(sorted(set(styles)))}
    return np.array([centres[s] for s in styles]) + rng.standard_normal((len(styles), d))


def test_prior_codes_are_spherical_and_not_oblong():
    verdicts, _ = control_verdicts(lambda rng, styles, split, d: rng.standard_normal((len(styles), d)))
    assert (verdicts["spherical"], verdicts["oblong"]) == ("supported", "contradicted")


def test_an_anisotropic_gaussian_is_oblong():
    verdicts, _ = control_verdicts(lambda rng, s, split, d: rng.standard_normal((len(s), d)) * np.geomspace(1, 0.02, d))
    assert (verdicts["oblong"], verdicts["spherical"]) == ("supported", "contradicted")


def test_a_round_active_part_with_collapsed_units_is_not_oblong_and_the_collapse_is_counted():
    def codes(rng, styles, split, d):
        return np.column_stack(
            [rng.standard_normal((len(styles), d - 3)), 0.03 * rng.standard_normal((len(styles), 3))]
        )

    verdicts, rows = control_verdicts(codes, variational=True)
    assert verdicts["oblong"] == "contradicted"
    assert (rows["collapsed_dims"] == 3).all()


def test_a_separated_labelled_mixture_is_grouped_and_shuffled_labels_are_not():
    verdicts, _ = control_verdicts(lambda rng, styles, split, d: by_style(rng, styles, d))
    assert (verdicts["grouped"], verdicts["not grouped"]) == ("supported", "contradicted")
    shuffled, _ = control_verdicts(lambda rng, styles, split, d: by_style(rng, styles, d), shuffle=True)
    assert (shuffled["grouped"], shuffled["not grouped"]) == ("contradicted", "supported")


def test_memorised_training_labels_are_grouped_on_training_images_only():
    def codes(rng, styles, split, d):
        z = by_style(rng, styles, d)
        z[split == "val"] = rng.standard_normal(((split == "val").sum(), d))
        return z

    verdicts, rows = control_verdicts(codes)
    assert (rows["probe_train"] > 0.9).all()
    assert (verdicts["grouped"], verdicts["not grouped"]) == ("contradicted", "supported")


def test_the_controls_stage_gives_every_expected_verdict_at_the_demos_sizes():
    styles, split = styles_and_split()
    metadata = pd.DataFrame({"style": styles, "split": split})
    result = controls.controls_table(metadata, 16, list(REPLICATES), ANALYSIS, THRESHOLDS, 0)
    assert result["as_expected"].all(), result[["control", "claim", "verdict", "expected"]]
    assert set(result["control"]) == {c.name for c in controls.CONTROLS}


# ----------------------------------------------------------------------------- front page


def test_front_page_starts_with_the_findings_and_flags_a_demo():
    analysis = analysis_rows().assign(
        recon_ratio=0.3, recon_mse=0.01, sphericity=0.5, prior_sphericity=0.9, prior_mmd_p=0.5, condition_ratio=0.5,
        effective_dim_fraction=0.5, best_ari=0.1, best_ari_algorithm="kmeans", verdict="reached its objective",
    )  # fmt: skip
    walks = walk_rows().assign(orientation="hump", bend=0.1, weights_id="random:seed=0:abc")
    patterns = summarise(walks)
    headline = with_shape_reading(headline_table(analysis, patterns), THRESHOLDS)
    assert len(headline) == 15 and list(headline.columns[:3]) == ["model", "replicate", "reached_objective"]
    assert set(headline.loc[headline["model"] == "aae", "shape"]) == {"spherical"}
    assert set(headline.loc[headline["model"] == "ae", "shape"]) == {"oblong"}
    replicates = replicate_table(headline, patterns, 0.95)
    origin = {"data": "synthetic", "weights": "random:seed=0:abc", "replicates": 3, "demo": True,
              "warning": "DEMO RUN: these verdicts check the pipeline"}  # fmt: skip
    found = table().reset_index()
    by_layer = findings.layer_table(analysis, walks, THRESHOLDS, DEFAULTS["style_loss"]["layers"])
    styles, split = styles_and_split(25)
    control_table = controls.controls_table(pd.DataFrame({"style": styles, "split": split}), 4, [0, 1], ANALYSIS,
                                            THRESHOLDS, 0)  # fmt: skip
    page = to_html(found, by_layer, control_table, headline, replicates, origin, "demo")
    assert page.index("DEMO RUN") < page.index("<table>") < page.index("whose answer we know") < page.index("Did each model reach")
    assert "explorer.html" in page and "collapsed dimensions" in page
