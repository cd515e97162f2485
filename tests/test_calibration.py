"""The calibration stage's expected outcomes (random VGG19, small synthetic paintings), the rule's
noise rate, the dissolve measure, and the trajectory claims' statistics against independent
computations on constructed walks."""

import itertools

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from sklearn.linear_model import LinearRegression
from test_patterns import RULE, U, command

from stylepath.calibrate import EXPECTED
from stylepath.config import with_defaults
from stylepath.data import synthetic
from stylepath.walk_shape import cross_dissolve_index, curve_statistics, dissolve_evenness, label_curve, periodicity_p
from stylepath.walk_statistics import horseshoe_share_aae_vae, wave_dissolve_dominance, wave_dissolve_gap

CALIBRATION = {
    "walks_per_kind": 3, "noise_walks": 20, "noise_level": 0.02, "max_shift": 0.25, "max_rotation": 45,
    "max_zoom": 1.5, "warp_amplitude": 0.08, "dissolve_at": 0.5, "max_noise_wave_share": 0.05,
}  # fmt: skip


@pytest.fixture(scope="module")
def calibration(tmp_path_factory):
    """The calibrate command on 12 synthetic 32 px paintings, 3 VGG19 layers, 10-frame walks."""
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("calibration")
    images, rows = synthetic.generate(["realism", "expressionism"], 6, 32, seed=0)
    np.save(folder / "images.npy", images)
    pd.DataFrame(rows).to_parquet(folder / "metadata.parquet")
    settings = {
        "seed": 0, "steps": 10, "calibration": CALIBRATION, "patterns": {**RULE, "horseshoe_orientations": ["hump"]},
        "style_loss": {**with_defaults({})["style_loss"], "weights": "random", "batch_size": 32,
                       "layers": ["conv1_1", "conv2_1", "conv3_1"]},  # both instruments
    }  # fmt: skip
    out = {name: folder / f"out_{name}" for name in ("images", "index", "style_loss", "walks")}
    command(
        "calibrate", settings, images=folder / "images.npy", metadata=folder / "metadata.parquet",
        walk_images=out["images"].with_suffix(".npy"), index=out["index"].with_suffix(".parquet"),
        style_loss=out["style_loss"].with_suffix(".parquet"), walks=out["walks"].with_suffix(".parquet"),
        summary=folder / "summary.csv",
    )  # fmt: skip
    return {
        "walks": pd.read_parquet(out["walks"].with_suffix(".parquet")),
        "index": pd.read_parquet(out["index"].with_suffix(".parquet")),
        "losses": pd.read_parquet(out["style_loss"].with_suffix(".parquet")),
        "frames": np.load(out["images"].with_suffix(".npy")),
        "summary": pd.read_csv(folder / "summary.csv").set_index(["instrument", "kind"]),
    }


def test_calibration_outputs_follow_the_contract(calibration):
    walks, index, losses, frames = (calibration[k] for k in ("walks", "index", "losses", "frames"))
    assert frames.dtype == np.uint8 and frames.shape == (len(index), 32, 32, 3)
    assert list(index.columns) == ["row", "pair_id", "criterion", "step", "t"]
    assert set(index["criterion"]) == set(EXPECTED)  # synthetic source: rendered walks too
    assert (losses["model"] == "calibration").all() and (losses["replicate"] == -1).all()
    assert {"kind", "expected", "static", "pattern_hump", "pattern_valley", "dissolve_score"} <= set(walks.columns)
    assert (walks["kind"] == walks["criterion"]).all() and (walks["expected"] == walks["kind"].map(EXPECTED)).all()
    assert (calibration["summary"].xs("noise", level="kind")["n_walks"] == 20).all()
    assert set(losses["instrument"]) == set(walks["instrument"]) == {"gatys", "portilla_simoncelli"}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_each_calibration_kind_meets_its_target(calibration, kind):
    """Dissolves score high, cuts and transformations low, noise is not a wave."""
    walks, summary = calibration["walks"], calibration["summary"]
    assert summary.xs(kind, level="kind")["meets_target"].all()  # under each instrument
    of_kind = walks[(walks["kind"] == kind) & (walks["instrument"] == "gatys")]
    assert not of_kind["static"].any()
    if EXPECTED[kind] == "dissolve":
        assert of_kind["dissolve_score"].min() >= 0.5
        assert of_kind["cross_dissolve_index"].min() > 0.99
    elif EXPECTED[kind] == "cut":
        assert of_kind["dissolve_score"].max() < 0.4
        assert of_kind["cross_dissolve_index"].min() > 0.99  # the CDI alone cannot tell a cut from a dissolve
    elif EXPECTED[kind] == "transformation":
        assert of_kind["dissolve_score"].median() < 0.5
    else:
        assert (of_kind["pattern"] == "wave").mean() <= 0.05
        assert of_kind["dissolve_score"].max() < 0.1


def test_noise_curves_are_rarely_waves_but_oscillations_are():
    """9 iid losses of cv 0.15: the old rule (no permutation null) said wave 98% of the time."""
    rng = np.random.default_rng(3)
    labels, old_labels = [], []
    for _ in range(400):
        curve = np.abs(1 + 0.15 * rng.standard_normal(9))
        statistics = curve_statistics(curve, U, RULE["turn_tolerance"])
        labels.append(label_curve({**statistics, "wave_p": periodicity_p(curve, 999)}, U, RULE)[0])
        old_labels.append(label_curve({**statistics, "wave_p": 0.0}, U, RULE)[0])
    assert np.mean(np.array(labels) == "wave") <= 0.05
    assert np.mean(np.array(old_labels) == "wave") > 0.9
    assert periodicity_p(2 + np.sin(4 * np.pi * U), 999) < 0.01


def explicit_periodicity(values) -> float:
    """Fisher's g by explicit DFT sums, or the alternating share if larger (walk_shape's doc)."""
    r = np.asarray(values, float) / np.mean(values) - 1
    k, n = np.arange(len(r)), len(r)
    power = [np.sum(r * np.cos(2 * np.pi * j * k / n)) ** 2 + np.sum(r * np.sin(2 * np.pi * j * k / n)) ** 2
             for j in range(1, n // 2 + 1)]  # fmt: skip
    return max(max(power) / sum(power), np.sum(r * (-1.0) ** k) ** 2 / (n * np.sum(r**2)))


def test_periodicity_p_is_the_exact_permutation_p():
    """Against every one of the 5040 orders of 7 losses (the p here uses 999 random orders)."""
    curve = np.array([1.0, 2.2, 1.1, 2.0, 0.9, 2.1, 1.4])
    observed = explicit_periodicity(curve)
    null = np.array([explicit_periodicity(order) for order in itertools.permutations(curve)])
    exact = np.mean(null >= observed - 1e-12)
    assert periodicity_p(curve, 999) == pytest.approx(exact, abs=0.03)
    assert periodicity_p(np.full(8, 2.0), 999) == 1.0


def test_dissolve_evenness_and_score_by_hand():
    t = np.linspace(0, 1, 10)
    a, b = np.zeros((4, 4, 3)), np.ones((4, 4, 3))
    for weights, evenness in [
        (t, 1.0),
        ((t >= 0.5).astype(float), 1 / 9),  # a hard cut: one step of 9 carries the whole weight
        (0.4 * t + 0.6 * (t >= 0.5), 1 / (9 * ((np.diff(0.4 * t + 0.6 * (t >= 0.5))) ** 2).sum())),
    ]:
        frames = (1 - weights)[:, None, None, None] * a + weights[:, None, None, None] * b
        result = cross_dissolve_index(frames, t)
        assert result["cross_dissolve_index"] == pytest.approx(1.0)
        assert result["dissolve_evenness"] == pytest.approx(evenness)
        assert result["dissolve_score"] == pytest.approx(evenness)
    assert dissolve_evenness([0, 0.8, 0.2, 1.0], [0, 1 / 3, 2 / 3, 1]) < dissolve_evenness(
        [0, 0.8, 0.9, 1.0], [0, 1 / 3, 2 / 3, 1]
    )


def constructed_walks(seed=0):
    """Walks of 3 models x 2 criteria whose dissolve score is 0.3 x wave + 0.5 x end_difference +
    a stratum effect + small noise; plus a static wave walk with an extreme score."""
    rng = np.random.default_rng(seed)
    rows = []
    for model, criterion in [(m, c) for m in ("aae", "vae", "ae") for c in ("random", "nearest")]:
        effect = rng.uniform(0, 0.4)
        for k in range(12):
            pattern = ["wave", "horseshoe", "other"][k % 3]
            end = rng.uniform(0.05, 0.4)
            score = effect + 0.3 * (pattern == "wave") + 0.5 * end + rng.normal(0, 0.02)
            rows.append({"model": model, "criterion": criterion, "pattern": pattern, "end_difference": end,
                         "dissolve_score": score, "static": False})  # fmt: skip
    rows.append({"model": "ae", "criterion": "random", "pattern": "wave", "end_difference": 0.001,
                 "dissolve_score": -5.0, "static": True})  # fmt: skip
    return pd.DataFrame(rows)


def test_wave_dissolve_gap_is_the_stratified_regression_coefficient():
    walks = constructed_walks()
    gap = wave_dissolve_gap(walks, {})
    # independently: scikit-learn on the same design (one-hot strata, no static walk, no 'other')
    chosen = walks[~walks["static"] & walks["pattern"].isin(["wave", "horseshoe"])]
    design = pd.concat(
        [(chosen["pattern"] == "wave").astype(float), chosen["end_difference"],
         pd.get_dummies(chosen["model"] + chosen["criterion"], drop_first=True).astype(float)], axis=1,
    )  # fmt: skip
    fit = LinearRegression().fit(design.to_numpy(), chosen["dissolve_score"].to_numpy())
    assert gap == pytest.approx(fit.coef_[0])
    assert gap == pytest.approx(0.3, abs=0.03)
    # confounded by distance: waves on far pairs only; pooled means mislead, the regression does not
    confounded = walks.copy()
    far = confounded["pattern"] == "wave"
    confounded.loc[far, "end_difference"] += 1.0
    confounded.loc[far, "dissolve_score"] += 0.5 - 0.3  # the score's rise is all distance, no wave effect
    assert wave_dissolve_gap(confounded, {}) == pytest.approx(0.0, abs=0.03)
    assert np.isnan(wave_dissolve_gap(walks[walks["pattern"] != "wave"], {}))


def test_wave_dissolve_dominance_is_cliffs_delta():
    walks = constructed_walks()
    delta = wave_dissolve_dominance(walks, {})
    chosen = walks[~walks["static"]]
    wave = chosen.loc[chosen["pattern"] == "wave", "dissolve_score"]
    horseshoe = chosen.loc[chosen["pattern"] == "horseshoe", "dissolve_score"]
    u = stats.mannwhitneyu(wave, horseshoe).statistic
    assert delta == pytest.approx(2 * u / (len(wave) * len(horseshoe)) - 1)
    reversed_walks = walks.assign(pattern=walks["pattern"].replace({"wave": "horseshoe", "horseshoe": "wave"}))
    assert wave_dissolve_dominance(reversed_walks, {}) == pytest.approx(-delta)  # the opposite of the study


def test_horseshoe_share_of_the_aae_and_vae():
    walks = constructed_walks()
    assert horseshoe_share_aae_vae(walks, {}) == pytest.approx(2 / 3)  # 8 of 12 horseshoes per model pair
    assert np.isnan(horseshoe_share_aae_vae(walks[walks["model"] != "vae"], {}))
    assert np.isnan(horseshoe_share_aae_vae(walks.assign(pattern="wave"), {}))
    readings = walks.assign(pattern_valley=np.where(walks["model"] == "ae", walks["pattern"], "other"))
    assert horseshoe_share_aae_vae(readings, {}, "pattern_valley") == 0.0
