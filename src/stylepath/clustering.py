"""Clusterings of latent codes: the same fits for every stage that needs them.

Geometry: every algorithm sees the codes centred and divided by ONE global scale (the root mean
variance per dimension), never standardised per dimension, so collapsed units are not blown up
to the weight of informative ones; no algorithm depends on that global scale. The analysis
scores these clusterings against style; pair selection takes the centroids of the k-means one.
"""

import numpy as np
from sklearn.cluster import HDBSCAN, AgglomerativeClustering, KMeans
from sklearn.mixture import GaussianMixture

from stylepath.config import choices
from stylepath.io import StylepathError

ALGORITHMS = choices("analysis", "clustering", "algorithms")


def scale_globally(x):
    """x (N x D) centred and divided by one scalar, the root mean variance per dimension."""
    centred = x - x.mean(axis=0)
    scale = np.sqrt(np.mean(centred.var(axis=0)))
    return centred / scale if scale > 0 else centred


def kmeans_labels(z, n_clusters, seed):
    """k-means cluster (0 .. n_clusters-1) of each row of z (N x D), shape (N,).

    Exactly the clustering the analysis scores as (kmeans, latent) when given the latent
    codes, so other stages find the same clusters (e.g. their centroids) from z alone.
    """
    x = scale_globally(np.asarray(z, dtype=np.float64))
    return KMeans(n_clusters=n_clusters, n_init=10, random_state=seed).fit_predict(x)


def cluster_labels(algorithm, x, n_clusters, seed, min_cluster_size):
    """Cluster of each row of x (N x D) by `algorithm`, shape (N,); HDBSCAN's noise is -1.

    k-means (10 seeded restarts), a full-covariance Gaussian mixture (seeded, k-means start)
    and Ward's agglomeration (memory grows as N²) take n_clusters; HDBSCAN finds its own
    number of clusters of at least `min_cluster_size` images.
    """
    if algorithm == "kmeans":
        return kmeans_labels(x, n_clusters, seed)
    x = scale_globally(x)
    if algorithm == "gmm":
        return GaussianMixture(n_components=n_clusters, covariance_type="full", random_state=seed).fit_predict(x)
    if algorithm == "ward":
        return AgglomerativeClustering(n_clusters=n_clusters, linkage="ward").fit_predict(x)
    if algorithm == "hdbscan":
        return HDBSCAN(min_cluster_size=min_cluster_size, copy=True).fit_predict(x)
    raise StylepathError(f"unknown clustering algorithm {algorithm!r}; choose from {ALGORITHMS}")
