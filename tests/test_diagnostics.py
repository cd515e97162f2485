"""Did a model reach its objective? Each diagnostic against an independent computation on
constructed latents: N(0, I) samples pass, a shifted or collapsed cloud fails, inactive
dimensions are counted, and the verdict names the failed check and its fix."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from stylepath import diagnostics, geometry
from stylepath.config import with_defaults

SETTINGS = {**with_defaults({})["analysis"]["diagnostics"], "mmd_permutations": 100, "sphericity_band_draws": 100}
N, D = 400, 8


def gaussian(n=N, d=D, seed=0, mean=0.0, scale=1.0):
    return np.random.default_rng(seed).standard_normal((n, d)) * scale + mean


def naive_mmd2(x, y):
    """Unbiased MMD^2 with the IMQ kernel, by explicit sums over pairs (an independent formula)."""
    d = x.shape[1]
    scales = [2 * d * s for s in geometry.MMD_SCALES]

    def k(a, b):
        return sum(c / (c + ((a - b) ** 2).sum()) for c in scales)

    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


def test_mmd_statistic_matches_the_sum_over_pairs():
    x, y = gaussian(30, 3, seed=1), gaussian(30, 3, seed=2, mean=0.4)
    pooled = np.concatenate([x, y])
    labels = np.zeros((60, 1), bool)
    labels[:30] = True
    kernel = geometry.imq_kernel(pooled, pooled)
    assert geometry.mmd_statistics(kernel, labels)[0] == pytest.approx(naive_mmd2(x, y), rel=1e-10)


def test_mmd_test_accepts_the_prior_and_rejects_a_shifted_or_shrunk_cloud():
    assert geometry.mmd_test(gaussian(), 100, seed=0)["p_value"] > 0.05
    assert geometry.mmd_test(gaussian(mean=0.5), 100, seed=0)["p_value"] < 0.01
    assert geometry.mmd_test(gaussian(scale=0.5), 100, seed=0)["p_value"] < 0.01


def test_sphericity_band_matches_direct_sampling():
    from stylepath.geometry import sphericity

    low, high = geometry.sphericity_band(200, 6, draws=400, seed=0)
    direct = [sphericity(gaussian(200, 6, seed=s)) for s in range(400)]
    assert low == pytest.approx(np.quantile(direct, 0.01), abs=0.01)
    assert high == pytest.approx(np.quantile(direct, 0.99), abs=0.005)
    assert 0.8 < low < high < 1


def test_active_units_and_kl_per_dimension():
    rng = np.random.default_rng(0)
    mu = np.concatenate([rng.standard_normal((300, 3)), 0.001 * rng.standard_normal((300, 5))], axis=1)
    logvar = np.concatenate([np.full((300, 3), -2.0), np.zeros((300, 5))], axis=1)
    units = diagnostics.active_units(mu, 0.01)
    assert units["count"] == 3 == int((np.var(mu, axis=0, ddof=1) > 0.01).sum())
    expected = kl_divergence(
        Normal(torch.tensor(mu), torch.tensor(np.exp(logvar / 2))), Normal(torch.zeros(8), torch.ones(8))
    ).mean(0)
    np.testing.assert_allclose(diagnostics.kl_per_dimension(mu, logvar), expected.numpy(), rtol=1e-10)


def test_fresh_discriminator_is_at_chance_on_the_prior_and_not_on_shifted_codes():
    matched = diagnostics.fresh_discriminator_accuracy(gaussian(), [64, 32], seed=0)["accuracy"]
    shifted = diagnostics.fresh_discriminator_accuracy(gaussian(mean=[1.5, 1.5, 0, 0, 0, 0, 0, 0]), [64, 32], seed=0)
    assert matched < 0.62
    assert shifted["accuracy"] > 0.8 and shifted["n_held_out"] == N // 4


def test_triplet_accuracy_agrees_with_all_triplets_counted_and_ignores_the_scale():
    rng = np.random.default_rng(0)
    styles = np.repeat(["a", "b", "c"], 10)
    mu = rng.standard_normal((30, 2)) + 2.0 * (styles == "a")[:, None]
    exhaustive = [
        np.abs(mu[i] - mu[j]).sum() < np.abs(mu[i] - mu[k]).sum()
        for i in range(30)
        for j in range(30)
        for k in range(30)
        if i != j and styles[i] == styles[j] and styles[k] != styles[i]
    ]
    # Anchors are drawn uniformly and every style has 10 images, so the draws are uniform over triplets.
    triplets = diagnostics.draw_triplets(styles, 200_000, seed=0)
    assert (styles[triplets[:, 0]] == styles[triplets[:, 1]]).all() and (triplets[:, 0] != triplets[:, 1]).all()
    assert (styles[triplets[:, 0]] != styles[triplets[:, 2]]).all()
    sampled = diagnostics.triplet_accuracy(mu, triplets, "l1")
    assert sampled == pytest.approx(np.mean(exhaustive), abs=0.01)
    assert diagnostics.triplet_accuracy(mu * 100, triplets, "l1") == sampled  # no absolute margin
    separated = rng.standard_normal((30, 2)) * 0.1 + 10 * np.arange(3).repeat(10)[:, None]
    assert diagnostics.triplet_accuracy(separated, triplets, "l2") == 1.0
    # Cosine (1 - cos): styles 90 or 180 degrees apart at any radii are all told apart; styles on
    # one ray at radii 1, 10, 100 are apart in L2 but not in angle.
    directions = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]).repeat(10, axis=0)
    assert diagnostics.triplet_accuracy(directions * rng.uniform(0.01, 100, (30, 1)), triplets, "cosine") == 1.0
    ray = np.array([[1.0, 0.0]]) * 10.0 ** np.arange(3).repeat(10)[:, None]
    assert diagnostics.triplet_accuracy(ray, triplets, "l2") == 1.0
    assert diagnostics.triplet_accuracy(ray, triplets, "cosine") == 0.0


def latents(n_val=80):
    """meta for N images (the first n_val in val) with a reconstruction 0.3x its mean-colour baseline."""
    return pd.DataFrame(
        {
            "image_id": [f"i{k}" for k in range(N)],
            "style": np.tile(["a", "b", "c", "d"], N // 4),
            "split": ["val"] * n_val + ["train"] * (N - n_val),
            "recon_mse": np.full(N, 0.003),
            "mean_colour_mse": np.full(N, 0.01),
        }
    )


def history(epochs=5):
    return pd.DataFrame({"epoch": np.arange(1, epochs + 1), "val_recon_mse": np.linspace(0.02, 0.01, epochs)})


def record(model, **settings):
    variational = model in ("vae", "beta_vae", "tvae")
    return {
        "model": model,
        "variational": variational,
        "prior": model != "ae",
        "adversarial": model == "aae",
        "triplet_term": model == "tvae",
        "settings": {"seed": 0, **settings},
    }


def test_codes_that_match_the_prior_reach_the_objective():
    result = diagnostics.diagnose(
        latents(), gaussian(), None, record("aae", disc_hidden=[64, 32]), history(), None, None, SETTINGS, 0
    )
    assert result["reached_objective"], result["verdict"]
    assert result["verdict"] == "reached its objective"
    assert {c["statistic"] for c in result["checks"]} == {
        "recon_ratio", "max |mean|", "min variance", "max variance", "MMD p-value", "fresh discriminator accuracy",
    }  # fmt: skip
    assert result["reconstruction"]["recon_ratio"] == pytest.approx(0.3)
    assert result["prior"]["sphericity_band"][0] < result["prior"]["sphericity"]


@pytest.mark.parametrize(
    "codes, failed",
    [
        (gaussian(mean=[0.6] + [0] * (D - 1)), {"max |mean|", "MMD p-value"}),
        (gaussian(scale=[1] * 4 + [0.1] * 4), {"min variance", "MMD p-value"}),
    ],
    ids=["shifted", "collapsed"],
)
def test_a_shifted_or_collapsed_cloud_does_not_converge_and_the_verdict_says_why(codes, failed):
    result = diagnostics.diagnose(
        latents(), codes, None, record("aae", disc_hidden=[64, 32]), history(), None, None, SETTINGS, 0
    )
    assert not result["reached_objective"]
    assert failed <= {c["statistic"] for c in result["checks"] if not c["passed"]}
    assert result["verdict"].startswith("did not converge: ")
    assert "expected" in result["verdict"] and "training.aae" in result["verdict"]


def test_a_variational_model_reports_its_aggregate_posterior_and_is_judged_on_active_units():
    rng = np.random.default_rng(0)
    # A well-regularised VAE: means with variance 0.75, posterior variance 0.25 -> aggregate N(0, I).
    mu = rng.standard_normal((N, D)) * np.sqrt(0.75)
    logvar = np.full((N, D), np.log(0.25))
    good = diagnostics.diagnose(latents(), mu, logvar, record("vae"), history(), None, None, SETTINGS, 0)
    assert good["reached_objective"], good["verdict"]
    assert good["active_units"]["count"] == D
    assert np.mean(good["posterior_means"]["variance"]) == pytest.approx(0.75, abs=0.05)
    assert np.mean(good["prior"]["variance"]) == pytest.approx(1.0, abs=0.05)
    # An aggregate posterior off the prior is reported, not failed: an ELBO optimum need not match it.
    shifted = diagnostics.diagnose(latents(), mu + 0.8, logvar, record("vae"), history(), None, None, SETTINGS, 0)
    assert shifted["reached_objective"] and shifted["prior"]["max_abs_mean"] > 0.6
    assert {c["statistic"] for c in shifted["checks"]} == {"recon_ratio", "active units"}
    # Posterior collapse: every mean 0, every variance 1 -> the aggregate is N(0, I) but nothing is encoded.
    collapsed = diagnostics.diagnose(
        latents(), 1e-4 * mu, np.zeros((N, D)), record("vae"), history(), None, None, SETTINGS, 0
    )
    assert collapsed["active_units"]["count"] == 0
    assert "active units = 0 (expected >= 1) - the posterior has collapsed" in collapsed["verdict"]


def test_the_aaes_objective_check_does_not_restate_the_sphericity_claim():
    result = diagnostics.diagnose(
        latents(), gaussian(), None, record("aae", disc_hidden=[64, 32]), history(), None, None, SETTINGS, 0
    )
    assert "sphericity" in result["prior"]  # reported beside its band
    assert not any("spheric" in c["statistic"] for c in result["checks"])


def test_a_triplet_term_must_beat_a_vae_that_reached_its_objective_and_a_poor_reconstruction_fails():
    rng = np.random.default_rng(0)
    meta = latents()
    centres = {"a": 0.0, "b": 1.0, "c": 2.0, "d": 3.0}
    vae = rng.standard_normal((N, D)) * 0.5
    tvae = vae + np.array([centres[s] for s in meta["style"]])[:, None] * np.eye(D)[0] * 3
    logvar = np.full((N, D), -1.0)
    own = record("tvae", triplet_margin=1.0, triplet_distance="l1")
    reached = {"reached_objective": True, "verdict": "reached its objective"}
    name = "held-out triplet accuracy gain over the VAE"
    result = diagnostics.diagnose(meta, tvae, logvar, own, history(), vae, reached, SETTINGS, 0)
    triplets = result["triplets"]
    assert triplets["accuracy"] > triplets["vae_accuracy"] + 0.05 and triplets["vae_accuracy"] == pytest.approx(
        0.5, abs=0.05
    )
    assert next(c for c in result["checks"] if c["statistic"] == name)["passed"]
    same = diagnostics.diagnose(meta, vae, logvar, own, history(), vae, reached, SETTINGS, 0)
    assert f"{name} = 0 (expected >= 0.05)" in same["verdict"]
    failed_vae = {"reached_objective": False, "verdict": "did not converge: recon_ratio = 0.9"}
    unchecked = diagnostics.diagnose(meta, tvae, logvar, own, history(), vae, failed_vae, SETTINGS, 0)
    assert (
        not unchecked["reached_objective"]
        and "the reference VAE did not reach its own objective" in unchecked["verdict"]
    )
    alone = diagnostics.diagnose(meta, tvae, logvar, own, history(), None, None, SETTINGS, 0)
    assert not alone["reached_objective"] and "the run has no VAE" in alone["verdict"]
    blurry = meta.assign(recon_mse=0.009)
    result = diagnostics.diagnose(blurry, gaussian(), None, record("ae"), history(), None, None, SETTINGS, 0)
    assert result["verdict"] == (
        "did not converge: recon_ratio = 0.9 (expected <= 0.5) - train longer (training.ae.epochs) "
        "or with a larger learning rate (training.ae.lr)"
    )
