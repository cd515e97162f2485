"""How a cloud of latent codes is shaped: the covariance spectrum and how spherical it is.

Used by the analysis (the study's spherical-vs-oblong question), the diagnostics (do the codes
match the prior N(0, I)?) and training (the same numbers logged per epoch). numpy and scipy only.
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
