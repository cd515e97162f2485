"""Geometry of a cloud of latent codes: its covariance spectrum and shape measures, and how far
it is from the prior N(0, I) (prior samples, moments, the sphericity band of N(0, I) samples, MMD).

Shared mathematics: used by the analysis (the study's spherical-vs-oblong question), the
diagnostics (do the codes match the prior?) and training (the same numbers logged per epoch).
numpy and scipy only.
"""

import numpy as np

from stylepath.io import StylepathError


def covariance_spectrum(z):
    """Eigenvalues of the sample covariance of z (N x D, ddof 1), descending, shape (D,).

    They equal PCA's explained variances; round-off negatives are clipped to 0.
    """
    eigenvalues = np.linalg.eigvalsh(np.cov(z, rowvar=False))
    return np.clip(eigenvalues[::-1], 0.0, None)


def log_mauchly_w(eigenvalues) -> float:
    """ln W = D (mean ln λ - ln mean λ), W = det S / (tr S / D)^D: 0 for a sphere, -inf when a
    direction has no variance. The sphericity is W^(1/D)."""
    with np.errstate(divide="ignore"):
        return len(eigenvalues) * (np.mean(np.log(eigenvalues)) - np.log(np.mean(eigenvalues)))


def sphericity(z) -> float:
    """Geometric over arithmetic mean of the covariance eigenvalues of z (N x D), in [0, 1]:
    1 for a sphere, 0 when some direction has no variance."""
    eigenvalues = covariance_spectrum(z)
    return float(np.exp(log_mauchly_w(eigenvalues) / len(eigenvalues)))


def shape_measures(z):
    """How spherical the distribution of z (N x D) is, from its covariance S with eigenvalues λ.

    All but the last two are scale-free (an AE's arbitrary scale does not matter):

    - condition_ratio = λ_min / λ_max, in [0, 1]: 1 is a sphere, near 0 a flat (oblong or
      degenerate) cloud; the most sensitive measure, set by the two extreme axes alone.
    - participation_ratio = (Σλ)² / Σλ², in [1, D]: the effective number of dimensions the
      variance spreads over; D for a sphere, 1 when one axis holds it all.
    - effective_dim_fraction = participation_ratio / D, in [1/D, 1]: 1 is a sphere.
    - sphericity = geometric / arithmetic mean of λ = W^(1/D), in [0, 1]: 1 is a sphere,
      0 when some direction has no variance; W is Mauchly's statistic det S / (tr S / D)^D.
    - mauchly_chi2, mauchly_df, mauchly_p: Mauchly's likelihood-ratio test of S = σ²I,
      -((N-1) - (2D²+D+2)/(6D)) ln W ~ χ²(D(D+1)/2 - 1). A small p rejects sphericity; with
      thousands of images any tiny deviation is rejected, so read the effect sizes above.
    - identity_distance = ||S - I||_F / √D, ≥ 0: how far the covariance is from the prior
      N(0, I)'s (0 is the prior); depends on the scale of z.
    - mean_norm = ||mean z||, ≥ 0: how far the centre is from the prior's mean 0.

    Also returned: n_images, latent_dim, mean_variance (tr S / D) and eigenvalues (descending).
    Non-finite values (a zero eigenvalue makes ln W = -inf) are returned as None.
    """
    n_images, dim = z.shape
    if n_images <= dim:
        raise StylepathError(
            f"{n_images} images cannot estimate a {dim}-dimensional covariance; use more images than latent_dim"
        )
    eigenvalues = covariance_spectrum(z)
    if eigenvalues[0] == 0:
        raise StylepathError("z is the same for every image (zero variance); the encoder has collapsed, retrain it")
    covariance = np.cov(z, rowvar=False)
    arithmetic = eigenvalues.mean()
    log_w = log_mauchly_w(eigenvalues)
    from scipy import stats

    chi2 = -((n_images - 1) - (2 * dim**2 + dim + 2) / (6 * dim)) * log_w
    df = dim * (dim + 1) // 2 - 1
    participation = eigenvalues.sum() ** 2 / np.sum(eigenvalues**2)
    measures = {
        "n_images": n_images,
        "latent_dim": dim,
        "condition_ratio": eigenvalues[-1] / eigenvalues[0],
        "participation_ratio": participation,
        "effective_dim_fraction": participation / dim,
        "sphericity": np.exp(log_w / dim),
        "mauchly_w": np.exp(log_w),
        "mauchly_chi2": chi2,
        "mauchly_df": df,
        "mauchly_p": stats.chi2.sf(chi2, df),
        "identity_distance": np.linalg.norm(covariance - np.eye(dim)) / np.sqrt(dim),
        "mean_norm": np.linalg.norm(z.mean(axis=0)),
        "mean_variance": arithmetic,
    }
    measures = {key: json_number(value) for key, value in measures.items()}
    measures["eigenvalues"] = eigenvalues.tolist()
    return measures


def json_number(value):
    """An int stays an int; a float becomes a Python float, or None when not finite."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    return float(value) if np.isfinite(value) else None


# ----------------------------------------------------------------------------- the prior N(0, I)

MMD_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
BAND_QUANTILES = (0.01, 0.99)


def prior_sample(z, logvar, seed: int) -> np.ndarray:
    """What should look like N(0, I): the codes z (N x D), or for a variational model one draw
    z + exp(logvar / 2) * eps per image (the aggregate posterior), eps from `seed`."""
    if logvar is None:
        return z
    return z + np.exp(logvar / 2) * np.random.default_rng([seed, 1]).standard_normal(z.shape)


def sphericity_band(n: int, d: int, draws: int, seed: int) -> tuple[float, float]:
    """1st and 99th percentile of the sphericity of n draws of N(0, I_d): the covariance of such
    a sample is Wishart(d, n - 1) / (n - 1), and sphericity does not depend on the scale."""
    from scipy import stats

    wisharts = stats.wishart(df=n - 1, scale=np.eye(d)).rvs(size=draws, random_state=seed).reshape(draws, d, d)
    values = [np.exp(log_mauchly_w(np.linalg.eigvalsh(w)) / d) for w in wisharts]
    low, high = np.quantile(values, BAND_QUANTILES)
    return float(low), float(high)


def imq_kernel(x, y) -> np.ndarray:
    """Inverse multiquadratic kernel matrix between rows of x (N x D) and y (M x D), summed over
    the scales C_s = 2 D s, s in MMD_SCALES."""
    squared = (x**2).sum(1)[:, None] + (y**2).sum(1)[None, :] - 2 * x @ y.T
    squared = np.maximum(squared, 0.0)
    return sum(c / (c + squared) for c in (2 * x.shape[1] * s for s in MMD_SCALES))


def mmd_statistics(kernel, labels) -> np.ndarray:
    """Unbiased MMD^2 between the two groups of each column of `labels` (2n x P booleans, n True
    per column) given the pooled kernel matrix (2n x 2n); shape (P,)."""
    u = labels.astype(np.float64)
    v = 1.0 - u
    n = u[:, 0].sum()
    diagonal = np.diag(kernel)[:, None]
    within_x = ((kernel @ u) * u).sum(0) - (diagonal * u).sum(0)
    within_y = ((kernel @ v) * v).sum(0) - (diagonal * v).sum(0)
    between = ((kernel @ v) * u).sum(0)
    return within_x / (n * (n - 1)) + within_y / (n * (n - 1)) - 2 * between / (n * n)


def mmd2_to_prior(codes, seed: int) -> float:
    """Unbiased MMD^2 between codes (n x D) and n draws of N(0, I) (0 in expectation when they match)."""
    pooled = np.concatenate([codes, np.random.default_rng([seed, 2]).standard_normal(codes.shape)])
    labels = np.zeros((len(pooled), 1), bool)
    labels[: len(codes)] = True
    return float(mmd_statistics(imq_kernel(pooled, pooled), labels)[0])


def mmd_test(codes, permutations: int, seed: int) -> dict:
    """MMD two-sample test of codes (n x D) against n draws of N(0, I): mmd2, p_value, n."""
    rng = np.random.default_rng([seed, 2])
    n = len(codes)
    pooled = np.concatenate([codes, rng.standard_normal(codes.shape)])
    kernel = imq_kernel(pooled, pooled)
    observed = np.zeros((2 * n, 1), bool)
    observed[:n] = True
    shuffled = np.stack([rng.permutation(2 * n) < n for _ in range(permutations)], axis=1)
    mmd2 = mmd_statistics(kernel, observed)[0]
    null = mmd_statistics(kernel, shuffled)
    return {"mmd2": float(mmd2), "p_value": float((1 + np.sum(null >= mmd2)) / (1 + permutations)), "n": n}


def subsample(x, max_rows: int, seed: int) -> np.ndarray:
    """At most max_rows rows of x, chosen at random with `seed` (all of them, in order, if fewer)."""
    if len(x) <= max_rows:
        return x
    return x[np.sort(np.random.default_rng([seed, 3]).choice(len(x), max_rows, replace=False))]


def moments(sample) -> dict:
    """The cheap part of a prior sample's (N x D) match: per-dimension mean and variance (ddof 1),
    the largest |mean|, the smallest and largest variance, and the sphericity."""
    mean, variance = sample.mean(0), sample.var(0, ddof=1)
    return {
        "mean": mean.tolist(),
        "variance": variance.tolist(),
        "max_abs_mean": float(np.abs(mean).max()),
        "min_variance": float(variance.min()),
        "max_variance": float(variance.max()),
        "sphericity": sphericity(sample),
    }


EPOCH_PRIOR_STATISTICS = ("sphericity", "max_abs_mean", "min_variance", "max_variance")  # of `moments`


def prior_statistics(z, logvar, seed: int, mmd_samples: int) -> dict:
    """How close the prior sample of codes z (N x D; with logvar for a variational model) is to
    N(0, I), as a model whose objective has a prior logs it per epoch: prior_sphericity,
    prior_max_abs_mean, prior_min_variance, prior_max_variance and prior_mmd2 (on at most
    `mmd_samples` rows)."""
    sample = prior_sample(z, logvar, seed)
    found = moments(sample)
    row = {f"prior_{key}": found[key] for key in EPOCH_PRIOR_STATISTICS}
    row["prior_mmd2"] = mmd2_to_prior(subsample(sample, mmd_samples, seed), seed)
    return row


# ----------------------------------------------------------------------------- shape of the active part


def isotropy(eigenvalues) -> float:
    """Participation ratio over the dimension count, (sum l)^2 / (k sum l^2) of k covariance
    eigenvalues, in [1/k, 1]: 1 when the variance spreads evenly over all k axes (a sphere),
    1/k when one axis holds it all. Read as 'the variance fills this share of the dimensions'."""
    eigenvalues = np.asarray(eigenvalues, np.float64)
    return float(eigenvalues.sum() ** 2 / (len(eigenvalues) * np.sum(eigenvalues**2)))


def active_part(z, active: np.ndarray | None, threshold: float) -> np.ndarray:
    """Covariance eigenvalues (descending) of the part of z (N x D) that carries variance: the
    dimensions flagged in `active` (D booleans: a variational model's active units), or, when
    active is None (a deterministic encoder, whose scale is arbitrary), the principal components
    whose variance exceeds `threshold` times the mean variance per dimension (the same cut, in
    units of the codes' own scale, that Burda et al.'s threshold makes in units of the prior's)."""
    if active is not None:
        if not np.any(active):
            return np.zeros(0)
        return covariance_spectrum(z[:, active]) if active.sum() > 1 else np.array([np.var(z[:, active], ddof=1)])
    eigenvalues = covariance_spectrum(z)
    return eigenvalues[eigenvalues > threshold * eigenvalues.mean()]


def isotropy_band(n: int, d: int, deterministic: bool, threshold: float, draws: int, seed: int) -> tuple:
    """1st and 99th percentile of the isotropy of the active part of n draws of N(0, I_d), the
    active part found exactly as for the codes (all d dimensions for a variational model's active
    units; the components above threshold x the mean variance for a deterministic encoder)."""
    rng = np.random.default_rng([seed, 6])
    values = []
    for _ in range(draws):
        sample = rng.standard_normal((n, d))
        values.append(isotropy(active_part(sample, None if deterministic else np.ones(d, bool), threshold)))
    low, high = np.quantile(values, BAND_QUANTILES)
    return float(low), float(high)


def active_shape(z, active, threshold: float, band_draws: int, seed: int) -> dict:
    """Shape of the part of z (N x D) that carries variance (see active_part), with the band of
    N(0, I) samples of the same size: active_dims, collapsed_dims (D - active_dims), isotropy,
    isotropy_band [low, high], axis_ratio (largest over smallest principal standard deviation
    of the active part, >= 1)."""
    n, d = z.shape
    eigenvalues = active_part(z, active, threshold)
    k = len(eigenvalues)
    if k == 0:
        return {"active_dims": 0, "collapsed_dims": d, "isotropy": None, "isotropy_band": [None, None],
                "axis_ratio": None}  # fmt: skip
    low, high = isotropy_band(n, k if active is not None else d, active is None, threshold, band_draws, seed)
    ratio = np.sqrt(eigenvalues[0] / eigenvalues[-1]) if eigenvalues[-1] > 0 else np.inf
    return {
        "active_dims": k,
        "collapsed_dims": d - k,
        "isotropy": isotropy(eigenvalues),
        "isotropy_band": [low, high],
        "axis_ratio": json_number(ratio),
    }


def held_out_shape(z, val, variational: bool, analysis: dict, seed: int) -> dict:
    """Shape of the held-out codes' active part (`active_shape` of z[val], z N x D, val N booleans):
    a variational model's active units (variance of the posterior means over all images above
    analysis.diagnostics.active_unit_threshold), else the principal components above that
    threshold times the mean variance; with n, the number of held-out codes."""
    if val.sum() <= 2:
        raise StylepathError("the held-out shape needs at least 3 val images (dataset.val_fraction)")
    threshold = analysis["diagnostics"]["active_unit_threshold"]
    active = z.var(0, ddof=1) > threshold if variational else None
    return {"n": int(val.sum()), **active_shape(z[val], active, threshold, analysis["shape"]["band_draws"], seed)}
