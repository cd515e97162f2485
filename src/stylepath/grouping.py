"""Is a latent space grouped by style? Measured on held-out images, with statistics fixed in advance.

Shared by the analysis (per chain) and the known-answer controls. Every statistic is fitted on
the training split's codes and scored on the held-out (val) split's, and also on the training
split itself: the gap between the two is memorisation (a triplet term that saw the training
labels can group them without grouping new paintings).

- probe: a multinomial logistic regression (standardised codes, scikit-learn's defaults) fitted
  on the training codes and styles; accuracy on held-out and on training codes; chance = the
  held-out share of the training split's most frequent style; p = (1 + #{null >= observed}) /
  (1 + permutations), the null scoring the same held-out predictions against shuffled held-out
  styles (predictions independent of the styles).
- knn: accuracy of a k-nearest-neighbour vote (k = `knn_neighbours`, Euclidean) of the training
  codes, on held-out codes.
- kmeans: k-means with k = number of styles (stylepath.clustering.kmeans_labels' geometry: one
  global scale) fitted on the training codes; the held-out codes take their nearest centre;
  ARI against style on each split (chance 0).
"""

import numpy as np
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from stylepath.io import StylepathError


def probe(train_z, train_styles, seed: int):
    """The linear probe fitted on training codes (N x D) and their styles."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    return model.fit(train_z, train_styles)


def chance_accuracy(train_styles, val_styles) -> float:
    """Held-out accuracy of always answering the training split's most frequent style."""
    values, counts = np.unique(train_styles, return_counts=True)
    return float(np.mean(np.asarray(val_styles) == values[np.argmax(counts)]))


def probe_scores(train_z, train_styles, val_z, val_styles, permutations: int, seed: int) -> dict:
    """probe_train, probe_val (accuracies), chance, probe_p (permutation test of probe_val)."""
    fitted = probe(train_z, train_styles, seed)
    predicted, val_styles = fitted.predict(val_z), np.asarray(val_styles)
    observed = float(np.mean(predicted == val_styles))
    rng = np.random.default_rng([seed, 7])
    null = [np.mean(predicted == rng.permutation(val_styles)) for _ in range(permutations)]
    return {
        "probe_train": float(fitted.score(train_z, train_styles)),
        "probe_val": observed,
        "chance": chance_accuracy(train_styles, val_styles),
        "probe_p": float((1 + np.sum(np.asarray(null) >= observed)) / (1 + permutations)),
    }


def knn_accuracy(train_z, train_styles, val_z, val_styles, neighbours: int) -> float:
    """Held-out accuracy of a k-nearest-neighbour vote of the training codes."""
    k = min(neighbours, len(train_z))
    return float(KNeighborsClassifier(n_neighbors=k).fit(train_z, train_styles).score(val_z, val_styles))


def kmeans_scores(train_z, train_styles, val_z, val_styles, seed: int) -> dict:
    """kmeans_train_ari, kmeans_val_ari: k-means (k = styles) fitted on the training codes."""
    centre, scale = train_z.mean(0), np.sqrt(np.mean(train_z.var(0)))
    scale = scale if scale > 0 else 1.0
    k = len(np.unique(train_styles))
    fitted = KMeans(n_clusters=k, n_init=10, random_state=seed).fit((train_z - centre) / scale)
    return {
        "kmeans_train_ari": float(adjusted_rand_score(train_styles, fitted.labels_)),
        "kmeans_val_ari": float(adjusted_rand_score(val_styles, fitted.predict((val_z - centre) / scale))),
    }


def grouping(z, styles, split, settings: dict, seed: int) -> dict:
    """Every grouping statistic of codes z (N x D) with their styles and split ('train'/'val')."""
    styles, split = np.asarray(styles), np.asarray(split)
    train, val = split == "train", split == "val"
    if val.sum() < 2 or len(np.unique(styles[train])) < 2:
        raise StylepathError(
            "grouping by style is judged on held-out images: the latent table needs a val split with at least "
            "2 images and a train split with at least 2 styles (dataset.val_fraction)"
        )
    args = (z[train], styles[train], z[val], styles[val])
    return {
        **probe_scores(*args, settings["permutations"], seed),
        "knn_val": knn_accuracy(*args, settings["knn_neighbours"]),
        **kmeans_scores(*args, seed),
        "n_train": int(train.sum()),
        "n_val": int(val.sum()),
    }
