"""Did a model become what its objective asks for? Diagnostics of one training run, and a verdict.

A comparison of latent spaces means something only if each model reached its objective, so the
analysis stage checks every training run from its latent table and training history before any
result is read. What is checked depends on the objective, which the latent table records (the
model class's capabilities `variational`, `prior`, `adversarial`, `triplet_term`, and its settings):

every model    reconstruction: the mean validation MSE per pixel over that of a trivial baseline,
               each image replaced by its mean colour: recon_ratio <= max_recon_ratio.
prior match    measured for every model whose objective involves the prior N(0, I) (aae, vae,
               beta_vae, tvae), on the sample that should look like it: the codes of a
               deterministic encoder; for a variational one, one draw z ~ q(z|x) per image (the
               aggregate posterior; the posterior means, which shrink towards 0, are reported
               beside it): every dimension's mean and variance, sphericity with the 1st-99th
               percentile band of as many N(0, I) draws, and an MMD two-sample test against N(0, I)
               draws. It is a CHECK for a deterministic encoder with a prior (the AAE), whose
               objective is exactly that match: every mean within +-max_abs_mean, every variance
               within variance_range and an MMD test that does not reject at mmd_alpha. The
               sphericity is reported, NOT checked: "the AAE is spherical" is one of the study's
               claims (stylepath.findings), judged on held-out codes, and a check that restated it
               would decide which replicates may test it. For a variational model the prior match
               is reported only: an optimum of the
               ELBO need not put the aggregate posterior on the prior (the average KL term is the
               information the codes carry plus KL(aggregate posterior || prior); Hoffman and
               Johnson 2016, "ELBO surgery"), and the demo's VAEs keep a mismatch long after their
               reconstruction has converged (docs/models.md).
variational    active units (Burda et al. 2015: dimension d is active when the variance over
               images of E[z_d | x] exceeds active_unit_threshold) >= 1, i.e. the posterior has not
               collapsed onto the prior; the KL per dimension is reported.
discriminator  (the AAE) a discriminator of the model's own architecture trained afresh on the
               final codes against prior draws, scored on held-out codes and draws: accuracy <=
               max_discriminator_accuracy (about 0.5 when the codes match the prior). The
               accuracy logged during training is no such evidence: it is measured against a
               discriminator that the encoder has just learnt to fool.
triplet term   (the TVAE) held-out triplet accuracy: the share of random validation triplets
               (anchor, a positive of its style, a negative of another) with d(a, p) < d(a, n) on
               its posterior means (0.5 by chance; scale-free, unlike a share meeting an absolute
               margin, since the triplet weight changes the latent scale) must exceed the same
               share on the VAE's means (same replicate, same triplets) by min_triplet_gain, and
               that VAE must itself have reached its objective: the triplet term must make a
               difference against a checked reference. A run without a VAE fails this check and
               says so.

MMD: the unbiased estimate of MMD^2 with the inverse multiquadratic kernel
k(x, y) = sum_s C_s / (C_s + ||x - y||^2), C_s = 2 d s for s in MMD_SCALES (the prior's variance
is 1; the kernel of WAE, Tolstikhin et al. 2018), between at most max_samples codes and as many
prior draws; p = (1 + #{MMD^2 of a random relabelling >= observed}) / (1 + mmd_permutations).

Verdict: "reached its objective" when every check passes, else "did not converge: " and, per
failed check, the statistic, its value, the expected range and what to change.
"""

import numpy as np

from stylepath.geometry import mmd_test, moments, prior_sample, sphericity_band, subsample
from stylepath.io import StylepathError

DISCRIMINATOR_STEPS = 300
DISCRIMINATOR_BATCH = 128
HELD_OUT_FRACTION = 0.25


# ----------------------------------------------------------------------------- the prior
def prior_match(sample, settings: dict, seed: int) -> dict:
    """The moments of a prior sample (N x D), the band of sphericity of N(0, I) samples of its
    size, and its MMD test against N(0, I)."""
    n, d = sample.shape
    low, high = sphericity_band(n, d, settings["sphericity_band_draws"], seed)
    mmd = mmd_test(subsample(sample, settings["max_samples"], seed), settings["mmd_permutations"], seed)
    return {
        **moments(sample),
        "sphericity_band": [low, high],
        "mmd2": mmd["mmd2"],
        "mmd_p": mmd["p_value"],
        "mmd_n": mmd["n"],
    }


# ----------------------------------------------------------------------------- variational


def active_units(mu, threshold: float) -> dict:
    """Burda et al. (2015): dimension d is active when Var_x(E[z_d | x]) > threshold."""
    variances = mu.var(0, ddof=1)
    return {"count": int((variances > threshold).sum()), "variance_of_means": variances.tolist()}


def kl_per_dimension(mu, logvar) -> list[float]:
    """Mean over images of KL(N(mu_d, exp(logvar_d)) || N(0, 1)) per dimension, in nats."""
    return (-0.5 * (1 + logvar - mu**2 - np.exp(logvar))).mean(0).tolist()


# ----------------------------------------------------------------------------- discriminator


def fresh_discriminator_accuracy(codes, hidden: list[int], seed: int) -> dict:
    """Accuracy of a discriminator (the AAE's MLP, `hidden` widths) trained afresh to tell codes
    from N(0, I) draws, on held-out codes and draws (half each); about 0.5 when they match."""
    import torch
    import torch.nn.functional as F

    from stylepath.models.aae import Discriminator

    rng = np.random.default_rng([seed, 4])
    order = rng.permutation(len(codes))
    n_test = max(1, int(HELD_OUT_FRACTION * len(codes)))
    test, train = codes[order[:n_test]], codes[order[n_test:]]
    x = torch.tensor(np.concatenate([rng.standard_normal(train.shape), train]), dtype=torch.float32)
    y = torch.cat([torch.ones(len(train)), torch.zeros(len(train))])
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    discriminator = Discriminator(codes.shape[1], hidden)
    optimiser = torch.optim.Adam(discriminator.parameters(), lr=1e-3, betas=(0.5, 0.999))
    for _ in range(DISCRIMINATOR_STEPS):
        batch = torch.randint(len(x), (DISCRIMINATOR_BATCH,), generator=generator)
        optimiser.zero_grad(set_to_none=True)
        F.binary_cross_entropy_with_logits(discriminator(x[batch]), y[batch]).backward()
        optimiser.step()
    with torch.no_grad():
        prior_right = (discriminator(torch.tensor(rng.standard_normal(test.shape), dtype=torch.float32)) > 0).float()
        codes_right = (discriminator(torch.tensor(test, dtype=torch.float32)) < 0).float()
    accuracy = (prior_right.mean() + codes_right.mean()).item() / 2
    return {"accuracy": accuracy, "n_train": len(train), "n_held_out": n_test, "steps": DISCRIMINATOR_STEPS}


# ----------------------------------------------------------------------------- triplets


def draw_triplets(styles, n_triplets: int, seed: int) -> np.ndarray:
    """n_triplets random (anchor, positive, negative) row indices, T x 3: the positive another
    image of the anchor's style, the negative an image of another style. The same seed draws the
    same triplets for another model's codes of the same images."""
    rng = np.random.default_rng([seed, 5])
    styles = np.asarray(styles)
    anchors = rng.integers(len(styles), size=n_triplets)
    positives, negatives = np.empty(n_triplets, int), np.empty(n_triplets, int)
    for style in np.unique(styles):
        chosen = np.flatnonzero(styles[anchors] == style)
        same, other = np.flatnonzero(styles == style), np.flatnonzero(styles != style)
        positives[chosen] = same[rng.integers(len(same), size=len(chosen))]
        negatives[chosen] = other[rng.integers(len(other), size=len(chosen))]
    triplets = np.stack([anchors, positives, negatives], axis=1)
    return triplets[positives != anchors]


def triplet_accuracy(mu, triplets, distance: str) -> float:
    """Share of the triplets (T x 3 rows of mu, N x D) whose anchor is nearer its positive than
    its negative, d(a, p) < d(a, n), d = L1, L2 or cosine (1 - cos, as the TVAE's triplet term may
    measure it): 0.5 by chance, and unchanged when the codes are rescaled (unlike a share meeting
    an absolute margin)."""
    anchor, positive, negative = (mu[triplets[:, i]] for i in range(3))
    if distance == "cosine":
        unit = [rows / np.linalg.norm(rows, axis=1, keepdims=True) for rows in (anchor, positive, negative)]
        d_ap, d_an = 1 - np.sum(unit[0] * unit[1], axis=1), 1 - np.sum(unit[0] * unit[2], axis=1)
        return float(np.mean(d_ap < d_an))
    order = {"l1": 1, "l2": 2}[distance]
    d_ap = np.linalg.norm(anchor - positive, ord=order, axis=1)
    d_an = np.linalg.norm(anchor - negative, ord=order, axis=1)
    return float(np.mean(d_ap < d_an))


# ----------------------------------------------------------------------------- checks and verdict


def check(name: str, value: float, low: float | None, high: float | None, fix: str) -> dict:
    """One check: passed when low <= value <= high (a None bound is open)."""
    passed = (low is None or value >= low) and (high is None or value <= high)
    if low is not None and high is not None:
        expected = f"in [{low:g}, {high:g}]"
    else:
        expected = f">= {low:g}" if low is not None else f"<= {high:g}"
    return {
        "statistic": name,
        "value": float(value),
        "low": low,
        "high": high,
        "expected": expected,
        "passed": bool(passed),
        "fix": fix,
    }


def verdict(checks: list[dict]) -> str:
    """'reached its objective', or 'did not converge: ' with the failed checks (statistic = value,
    expected range), each group that shares a fix followed by ' - ' and the fix."""
    failed = [c for c in checks if not c["passed"]]
    if not failed:
        return "reached its objective"
    by_fix = {}
    for c in failed:
        by_fix.setdefault(c["fix"], []).append(f"{c['statistic']} = {c['value']:.3g} (expected {c['expected']})")
    return "did not converge: " + "; ".join(f"{', '.join(found)} - {fix}" for fix, found in by_fix.items())


def history_notes(history) -> dict:
    """From the training history (a DataFrame): the final validation MSE, how much it fell over
    the last fifth of the epochs (from the last epoch that logged it: `eval_every`; a large fall:
    more epochs would help) and, for the AAE, the
    discriminator accuracy logged in the last epoch (no evidence of a prior match)."""
    last = history.iloc[-1]
    fifth_from_end = history["epoch"].iloc[max(0, int(len(history) * 0.8) - 1)]
    logged = history[history["epoch"] <= fifth_from_end]["val_recon_mse"].dropna()  # eval_every skips some
    earlier = logged.iloc[-1] if len(logged) else np.nan
    notes = {"epochs": int(last["epoch"]), "final_val_recon_mse": float(last["val_recon_mse"])}
    notes["val_recon_fall_last_fifth"] = float(1 - last["val_recon_mse"] / earlier)
    if "disc_accuracy" in history:
        notes["logged_disc_accuracy"] = float(last["disc_accuracy"])
    return notes


def reconstruction_part(meta, val, model: str, settings: dict) -> tuple[dict, list]:
    """Validation reconstruction error against that of each image's mean colour, and its check."""
    recon, baseline = float(meta["recon_mse"][val].mean()), float(meta["mean_colour_mse"][val].mean())
    found = {"val_recon_mse": recon, "val_mean_colour_mse": baseline, "recon_ratio": recon / baseline}
    fix = f"train longer (training.{model}.epochs) or with a larger learning rate (training.{model}.lr)"
    return {"reconstruction": found}, [check("recon_ratio", recon / baseline, None, settings["max_recon_ratio"], fix)]


def prior_part(z, logvar, model: str, settings: dict, seed: int) -> tuple[dict, list]:
    """The prior match of the prior sample (and of the posterior means); checks only for a
    deterministic encoder, whose objective is that match (see the module doc)."""
    match = prior_match(prior_sample(z, logvar, seed), settings, seed)
    if logvar is not None:
        match["sample"] = "aggregate posterior (one z ~ q(z|x) per image)"
        return {"prior": match, "posterior_means": prior_match(z, settings, seed)}, []
    match["sample"] = "codes"
    fix = (
        f"train longer (training.{model}.epochs), with the warm-up and discriminator steps of the "
        f"recipe (training.{model}.warm_up_steps, disc_steps; docs/models.md)"
    )
    low, high = settings["variance_range"]
    checks = [
        check("max |mean|", match["max_abs_mean"], None, settings["max_abs_mean"], fix),
        check("min variance", match["min_variance"], low, None, fix),
        check("max variance", match["max_variance"], None, high, fix),
        check("MMD p-value", match["mmd_p"], settings["mmd_alpha"], None, fix),
    ]
    return {"prior": match}, checks


def variational_part(z, logvar, model: str, settings: dict) -> tuple[dict, list]:
    """Active units (checked: at least one) and the KL per dimension."""
    units = active_units(z, settings["active_unit_threshold"])
    fix = f"the posterior has collapsed: lower the KL weight or train longer (training.{model})"
    found = {"active_units": units, "kl_per_dimension": kl_per_dimension(z, logvar)}
    return found, [check("active units", units["count"], 1, None, fix)]


def discriminator_part(z, hidden: list[int], model: str, settings: dict, seed: int) -> tuple[dict, list]:
    """A discriminator of the model's architecture trained afresh on its codes, and its check."""
    fresh = fresh_discriminator_accuracy(subsample(z, settings["max_samples"], seed), hidden, seed)
    fix = (
        f"the codes are told apart from the prior: train longer (training.{model}.epochs) or "
        f"balance the phases (training.{model}.disc_lr, disc_steps; docs/models.md)"
    )
    limit = settings["max_discriminator_accuracy"]
    return {"discriminator": fresh}, [check("fresh discriminator accuracy", fresh["accuracy"], None, limit, fix)]


def triplet_part(z, reference, reference_verdict, styles, own: dict, model: str, settings: dict, seed: int):
    """Held-out triplet accuracy on the model's means and on the VAE's (rows: the validation
    split), and its check: the triplet term must make the model's held-out accuracy exceed that of
    a VAE that itself reached its objective. Without a VAE the check fails and says so."""
    triplets = draw_triplets(styles, settings["n_triplets"], seed)
    found = {"accuracy": triplet_accuracy(z, triplets, own["triplet_distance"]), "n_triplets": len(triplets)}
    name, low = "held-out triplet accuracy gain over the VAE", settings["min_triplet_gain"]
    if reference is None:
        fix = f"the run has no VAE to compare the {model} with: add vae to `models`"
        return {"triplets": found}, [check(name, np.nan, low, None, fix)]
    found["vae_accuracy"] = triplet_accuracy(reference, triplets, own["triplet_distance"])
    if not reference_verdict["reached_objective"]:
        fix = f"the reference VAE did not reach its own objective ({reference_verdict['verdict']}); fix the VAE first"
        return {"triplets": found}, [check("reference VAE reached its objective", 0, 1, None, fix)]
    fix = (
        "the triplet term does not separate held-out styles: raise "
        f"training.{model}.triplet_weight, let the encoders see the brushwork (training.shared.encoder_input: "
        "image_and_high_pass), train longer or use more images (docs/models.md)"
    )
    return {"triplets": found}, [check(name, found["accuracy"] - found["vae_accuracy"], low, None, fix)]


def diagnose(meta, z, logvar, info: dict, history, reference, reference_verdict, settings: dict, seed: int) -> dict:
    """Diagnostics and verdict of one training run.

    meta: image_id, style, split, recon_mse, mean_colour_mse per image; z, logvar: N x D
    (logvar None for deterministic models); info: the latent table's record of the model
    (model, variational, prior, settings); history: the training history (or None);
    reference, reference_verdict: the VAE's posterior means of the same images (N x D) and its
    diagnostics (a dict with reached_objective and verdict) for a model with a triplet term, else
    None; settings: analysis.diagnostics.
    """
    model, own = info["model"], info["settings"]
    if 1 / (1 + settings["mmd_permutations"]) >= settings["mmd_alpha"]:
        raise StylepathError(
            f"analysis.diagnostics.mmd_permutations = {settings['mmd_permutations']} cannot give a p-value below "
            f"mmd_alpha = {settings['mmd_alpha']}; use at least {int(1 / settings['mmd_alpha'])} permutations"
        )
    val = (meta["split"] == "val").to_numpy()
    parts = [reconstruction_part(meta, val, model, settings)]
    if info["prior"]:
        parts.append(prior_part(z, logvar, model, settings, seed))
    if logvar is not None:
        parts.append(variational_part(z, logvar, model, settings))
    if info["adversarial"]:
        parts.append(discriminator_part(z, own["disc_hidden"], model, settings, seed))
    if info["triplet_term"]:
        styles = meta["style"].to_numpy()[val]
        validation_reference = None if reference is None else reference[val]
        part = triplet_part(z[val], validation_reference, reference_verdict, styles, own, model, settings, seed)
        parts.append(part)
    result = {"model": model, "training_seed": own["seed"], "n_images": len(z), "n_val": int(val.sum())}
    checks = []
    for found, part_checks in parts:
        result.update(found)
        checks += part_checks
    if history is not None:
        result["history"] = history_notes(history)
    result.update(checks=checks, reached_objective=all(c["passed"] for c in checks), verdict=verdict(checks))
    return result
