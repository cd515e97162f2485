"""Latent analysis of one model: PCA, covariance shape and clustering scored against style.

The study judged by eye that the AAE's latent distribution is spherical, the TVAE's oblong
and clustered by style, and the others oblong and not clustered by style. This stage turns
each judgement into numbers:

- PCA of z over all images: components, explained variance and the projections.
- Shape: how spherical the covariance of z is (see `shape_measures`).
- Clustering: k-means, Gaussian mixture, Ward and HDBSCAN (k = number of styles), in the
  latent space and in the leading PCA space, scored against the style labels (ARI, NMI,
  homogeneity, completeness) and without them (silhouette), with bootstrap intervals.

Geometry: every algorithm sees z centred and divided by ONE global scale (the root mean
variance per dimension), never standardised per dimension. Per-dimension scaling would blow
dimensions that carry almost no variance (collapsed VAE units) up to the weight of the
informative ones; the global scale keeps the model's own geometry (the one the trajectories
travel through) while making GMM's absolute covariance regulariser relative. No algorithm and
no score depends on that global scale.
"""

import numpy as np
import pandas as pd
from sklearn import metrics
from sklearn.decomposition import PCA
from tqdm import tqdm

from stylepath.clustering import cluster_labels
from stylepath.geometry import held_out_shape, shape_measures
from stylepath.grouping import grouping
from stylepath.io import StylepathError, read_json, write_json, write_parquet
from stylepath.latents import read_latents, read_record
from stylepath.statistics import percentile_interval

STYLE_REFERENCE = "style"  # the algorithm name of the rows that score the style labels themselves
LABEL_METRICS = {
    "ari": metrics.adjusted_rand_score,
    "nmi": metrics.normalized_mutual_info_score,
    "homogeneity": metrics.homogeneity_score,
    "completeness": metrics.completeness_score,
}


# ----------------------------------------------------------------------------- PCA


def fit_pca(z):
    """PCA of z (N x D) with all min(N, D) components; signs fixed by scikit-learn's svd_flip."""
    return PCA(n_components=min(z.shape), svd_solver="full").fit(z)


def pca_components_table(pca, n_components):
    """The first `n_components` principal components, one row each.

    Columns: component (1-based), explained_variance (variance of z along it, units of z
    squared), explained_variance_ratio (of the total variance), cumulative_ratio and
    loading_0 .. loading_{D-1} (the unit component vector over the latent dimensions).
    """
    n = min(n_components, pca.n_components_)
    table = pd.DataFrame(
        {
            "component": np.arange(1, n + 1),
            "explained_variance": pca.explained_variance_[:n],
            "explained_variance_ratio": pca.explained_variance_ratio_[:n],
            "cumulative_ratio": np.cumsum(pca.explained_variance_ratio_)[:n],
        }
    )
    loadings = pd.DataFrame(pca.components_[:n], columns=[f"loading_{j}" for j in range(pca.components_.shape[1])])
    return pd.concat([table, loadings], axis=1)


def projections_table(meta, scores, n_components):
    """image_id, style, split and pc1 .. pcK: the PCA scores (N x K, units of z) of every image."""
    n = min(n_components, scores.shape[1])
    pcs = pd.DataFrame(scores[:, :n], columns=[f"pc{i + 1}" for i in range(n)])
    return pd.concat([meta[["image_id", "style", "split"]].reset_index(drop=True), pcs], axis=1)


# ----------------------------------------------------------------------------- clustering


def point_silhouettes(x, labels):
    """Silhouette of each row of x (N x D) under `labels`, shape (N,), in [-1, 1].

    Noise points (label -1) get NaN and are left out; all NaN when fewer than 2 clusters remain.
    """
    values = np.full(len(labels), np.nan)
    clustered = labels >= 0
    n_clusters = len(np.unique(labels[clustered]))
    if 2 <= n_clusters < clustered.sum():
        values[clustered] = metrics.silhouette_samples(x[clustered], labels[clustered])
    return values


def nanmean(values):
    """Mean of the finite values, NaN when there is none (without numpy's warning)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else np.nan


def metric_names(algorithm):
    """The metrics scored for `algorithm`: against style and silhouette; HDBSCAN adds its
    noise_fraction; the style labels themselves get the silhouette only."""
    if algorithm == STYLE_REFERENCE:
        return ["silhouette"]
    return [*LABEL_METRICS, "silhouette"] + (["noise_fraction"] if algorithm == "hdbscan" else [])


def clustering_scores(styles, clusters, silhouettes, names):
    """Scores `names` of one clustering, a dict metric -> value.

    styles, clusters: (N,) labels; silhouettes: (N,) per-point silhouettes (NaN = not scored).
    ari, nmi, homogeneity, completeness compare clusters with styles (1 = the clusters are the
    styles; ARI ~0 by chance and can go below, the others in [0, 1]); HDBSCAN's noise (-1)
    counts as one more cluster. silhouette: mean silhouette, in [-1, 1], noise left out.
    noise_fraction: share of images HDBSCAN calls noise.
    """
    scores = {}
    for name in names:
        if name in LABEL_METRICS:
            scores[name] = float(LABEL_METRICS[name](styles, clusters))
        elif name == "silhouette":
            scores[name] = nanmean(silhouettes)
        elif name == "noise_fraction":
            scores[name] = float(np.mean(clusters < 0))
    return scores


def bootstrap_indices(n_images, n_bootstrap, seed):
    """n_bootstrap resamples of the images with replacement, int array n_bootstrap x n_images.

    One set shared by every algorithm and space, so their intervals are paired.
    """
    return np.random.default_rng(seed).integers(0, n_images, size=(n_bootstrap, n_images))


def resampled_scores(styles, clusters, silhouettes, indices, names) -> dict:
    """Scores `names` of one clustering on each bootstrap resample (rows of `indices`, B x N),
    {metric: (B,) array}, all resamples at once from their contingency tables.

    The label metrics follow scikit-learn's definitions exactly (tests compare them): ARI from
    the pair confusion matrix (1 when no pair is split differently), mutual information over the
    entropies for homogeneity and completeness (1 when an entropy is 0), NMI with the arithmetic
    mean of the entropies (1 when both labelings have one group, 0 when the information is 0).
    """
    style_codes = pd.factorize(styles, sort=True)[0]
    cluster_codes, cluster_names = pd.factorize(clusters, sort=True)
    n_styles, n_clusters = style_codes.max() + 1, len(cluster_names)
    b, n = indices.shape
    cells = style_codes[indices] * n_clusters + cluster_codes[indices] + n_styles * n_clusters * np.arange(b)[:, None]
    counts = np.bincount(cells.ravel(), minlength=b * n_styles * n_clusters).reshape(b, n_styles, n_clusters)
    counts = counts.astype(np.float64)
    rows, columns = counts.sum(2), counts.sum(1)
    scores = {}
    if "ari" in names:
        same_both = (counts**2).sum((1, 2))
        tp, fp, fn = same_both - n, (columns**2).sum(1) - same_both, (rows**2).sum(1) - same_both
        tn = n**2 - fp - fn - same_both
        with np.errstate(invalid="ignore", divide="ignore"):
            ari = 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))
        scores["ari"] = np.where((fn == 0) & (fp == 0), 1.0, ari)
    if {"nmi", "homogeneity", "completeness"} & set(names):

        def entropy(groups):  # B x G counts -> B
            p = groups / n
            return -np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0).sum(1)

        h_styles, h_clusters = entropy(rows), entropy(columns)
        outer = rows[:, :, None] * columns[:, None, :]
        safe = np.where(counts > 0, counts, 1)
        mi = np.where(counts > 0, counts / n * np.log(n * safe / np.where(outer > 0, outer, 1)), 0).sum((1, 2))
        mi = np.clip(mi, 0.0, None)
        with np.errstate(invalid="ignore", divide="ignore"):
            scores["homogeneity"] = np.where(h_styles > 0, mi / h_styles, 1.0)
            scores["completeness"] = np.where(h_clusters > 0, mi / h_clusters, 1.0)
            nmi = mi / ((h_styles + h_clusters) / 2)
        single = ((rows > 0).sum(1) == 1) & ((columns > 0).sum(1) == 1)
        scores["nmi"] = np.where(single, 1.0, np.where(mi <= 1e-15, 0.0, nmi))
    if "silhouette" in names:
        values = silhouettes[indices]
        finite = np.isfinite(values)
        with np.errstate(invalid="ignore"):
            scores["silhouette"] = np.where(finite, values, 0).sum(1) / finite.sum(1)
    if "noise_fraction" in names:
        scores["noise_fraction"] = (clusters[indices] < 0).mean(1)
    return {name: scores[name] for name in names}


def scores_with_intervals(styles, clusters, silhouettes, indices, confidence, names):
    """Rows (metric, value, ci_low, ci_high) of one clustering.

    value is the score on all images; the interval re-scores the same fitted labels on each
    bootstrap resample of the images (no refit: it shows how much the scores depend on which
    images were drawn, not how stable the algorithm is). Duplicated images always agree, which
    lifts the resampled ARI by about 3/N (0.02 for 160 images, negligible for thousands).
    """
    full = clustering_scores(styles, clusters, silhouettes, names)
    resampled = resampled_scores(styles, clusters, silhouettes, indices, names)
    rows = []
    for metric, value in full.items():
        low, high = percentile_interval(resampled[metric], confidence)
        rows.append({"metric": metric, "value": value, "ci_low": low, "ci_high": high})
    return rows


def clustering_spaces(z, pca_scores, spaces, pca_dims):
    """Coordinates to cluster in, by space name: latent = z (N x D), pca = leading PCs (N x pca_dims)."""
    coordinates = {"latent": z, "pca": pca_scores[:, :pca_dims]}
    return {space: coordinates[space] for space in spaces}


def cluster_and_score(model, meta, spaces, settings, seed):
    """Cluster every space with every algorithm and score it.

    Returns (scores, labels): scores a long table (model, algorithm, space, metric, value,
    ci_low, ci_high, n_clusters), labels a long table (image_id, algorithm, space, cluster).
    Besides the algorithms, algorithm 'style' scores the style labels themselves (silhouette
    only): how well the styles separate in that space, whatever the algorithm.
    """
    styles = pd.factorize(meta["style"], sort=True)[0]  # integer codes score faster than strings
    n_styles = len(np.unique(styles))
    if n_styles < 2:
        raise StylepathError("clustering against style needs at least two styles in the latent table")
    indices = bootstrap_indices(len(meta), settings["n_bootstrap"], seed)
    score_rows, label_tables = [], []
    jobs = [(space, algorithm) for space in spaces for algorithm in settings["algorithms"]]
    for space, algorithm in tqdm(jobs, desc=f"{model} clustering", mininterval=5):
        x = spaces[space]
        clusters = cluster_labels(algorithm, x, n_styles, seed, settings["hdbscan_min_cluster_size"])
        silhouettes = point_silhouettes(x, clusters)
        rows = scores_with_intervals(
            styles, clusters, silhouettes, indices, settings["confidence"], metric_names(algorithm)
        )
        n_clusters = len(np.unique(clusters[clusters >= 0]))
        score_rows += [{"algorithm": algorithm, "space": space, **r, "n_clusters": n_clusters} for r in rows]
        label_tables.append(
            pd.DataFrame({"image_id": meta["image_id"], "algorithm": algorithm, "space": space, "cluster": clusters})
        )
    for space, x in spaces.items():
        silhouettes = point_silhouettes(x, styles)
        rows = scores_with_intervals(
            styles, styles, silhouettes, indices, settings["confidence"], metric_names(STYLE_REFERENCE)
        )
        score_rows += [{"algorithm": STYLE_REFERENCE, "space": space, **r, "n_clusters": n_styles} for r in rows]
    scores = pd.DataFrame(score_rows)
    scores.insert(0, "model", model)
    scores["n_clusters"] = scores["n_clusters"].astype("int64")
    labels = pd.concat(label_tables, ignore_index=True)
    labels["cluster"] = labels["cluster"].astype("int64")
    return scores, labels


# ----------------------------------------------------------------------------- command


INPUTS = ("latents", "history")
OPTIONAL_INPUTS = ("reference_latents", "reference_diagnostics")
OUTPUTS = ("pca", "projections", "shape", "scores", "labels", "diagnostics", "grouping")


def main(args):
    import pandas as pd
    from threadpoolctl import threadpool_limits

    from stylepath.diagnostics import diagnose

    analysis, seed = args.settings["analysis"], args.settings["seed"]
    clustering = analysis["clustering"]
    record = read_record(args.latents)
    meta, z, logvar = read_latents(args.latents, logvar=True)
    model, replicate = record["model"], record["settings"]["seed"]
    reference = read_latents(args.reference_latents)[1] if args.reference_latents else None
    n_images, dim = z.shape
    print(f"{model} (training seed {replicate}): {n_images} images, latent_dim {dim}", flush=True)

    with threadpool_limits(limits=max(1, args.threads)):
        pca = fit_pca(z)
        pca_scores = pca.transform(z)
        shape = {"model": model, "replicate": replicate, **shape_measures(z)}
        val = (meta["split"] == "val").to_numpy()
        shape["held_out"] = held_out_shape(z, val, record["variational"], analysis, seed)
        pca_dims = min(clustering["pca_dims"], pca.n_components_)
        if pca_dims < clustering["pca_dims"]:
            print(f"pca_dims {clustering['pca_dims']} capped at {pca_dims} components", flush=True)
        spaces = clustering_spaces(z, pca_scores, clustering["spaces"], pca_dims)
        scores, labels = cluster_and_score(model, meta, spaces, clustering, seed)
        history = pd.read_csv(args.history)
        reference_verdict = read_json(args.reference_diagnostics) if args.reference_diagnostics else None
        diagnostics = diagnose(
            meta, z, logvar, record, history, reference, reference_verdict, analysis["diagnostics"], seed
        )
        grouped = {"model": model, "replicate": replicate}
        grouped.update(grouping(z, meta["style"].to_numpy(), meta["split"].to_numpy(), analysis["grouping"], seed))
    scores.insert(1, "replicate", replicate)

    write_parquet(pca_components_table(pca, analysis["pca_components"]), args.pca)
    write_parquet(projections_table(meta, pca_scores, analysis["pca_components"]), args.projections)
    write_json(shape, args.shape)
    write_parquet(scores, args.scores)
    write_parquet(labels, args.labels)
    write_json(diagnostics, args.diagnostics)
    write_json(grouped, args.grouping)
    print(f"sphericity {shape['sphericity']}, condition ratio {shape['condition_ratio']}", flush=True)
    print(f"held out: {shape['held_out']}", flush=True)
    print(f"grouping: {grouped}", flush=True)
    print(scores.query("metric == 'ari'")[["algorithm", "space", "value", "ci_low", "ci_high"]].to_string(), flush=True)
    print(f"{model}: {diagnostics['verdict']}", flush=True)
