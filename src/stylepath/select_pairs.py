"""Choose pairs of latent points (the end points of the trajectories), by several criteria.

Criteria (each gives `pairs.n_per_criterion` pairs unless noted):

    random             uniformly random distinct pairs of images
    same_style         random pairs within one style; styles taken in turn (sorted), so
                       n pairs spread as evenly as possible over the styles
    across_styles      for EACH pair of styles (s1 < s2): n random pairs, a in s1, b in s2
    nearest            the n closest pairs (Euclidean in z) over the whole split
    farthest           the n farthest pairs
    class_centroids    for each style: its images ranked by distance to the style's mean z;
                       for EACH pair of styles: the k-th nearest of s1 with the k-th of s2,
                       k = 0..n-1 (k = 0 pairs the two most central images)
    cluster_centroids  the same with k-means clusters (k = number of styles,
                       `stylepath.clustering.kmeans_labels`) instead of styles; the centre of a
                       cluster is the mean of its members; only members represent a cluster

Duplicates and ties: images with identical codes (e.g. duplicate paintings) are collapsed to
their first row before any choice, so no pair has distance 0 and no trajectory is a single
point. A pair is unordered and appears at most once per criterion; random choices never
repeat a pair. Distance ties are broken by the lower row index of the latent table. A group
with too few images gives fewer pairs (said in the log). Every random choice comes from its
own generator seeded with (seed, criterion), so adding or removing one criterion leaves the
pairs of the others unchanged.

Output `pairs/<model>.parquet`: pair_id, criterion, image_id_a, image_id_b, style_a, style_b,
distance (Euclidean distance between the two codes z).
"""

import itertools

import numpy as np
import pandas as pd

from stylepath.clustering import kmeans_labels
from stylepath.config import choices
from stylepath.io import StylepathError, write_parquet
from stylepath.latents import read_latents

CRITERIA = choices("pairs", "criteria")  # the schema's order: criterion i draws from [seed, i]


INPUTS = ("latents",)
OUTPUTS = ("pairs",)


# ----------------------------------------------------------------------------- criteria
# Each returns a list of (i, j) row indices into z (i != j, unordered, no repeats).


def random_pairs(group_a, group_b, n, rng) -> list[tuple[int, int]]:
    """n distinct unordered pairs (i, j), i from group_a, j from group_b, i != j, at random.

    group_a and group_b are either the same array (pairs within a group) or disjoint.
    If fewer than n pairs exist, all of them are returned (in random order).
    """
    same = group_a is group_b
    n_possible = len(group_a) * (len(group_a) - 1) // 2 if same else len(group_a) * len(group_b)
    if n_possible <= 4 * n:  # few enough to list them all and draw without replacement
        if same:
            every = list(itertools.combinations(group_a.tolist(), 2))
        else:
            every = list(itertools.product(group_a.tolist(), group_b.tolist()))
        order = rng.permutation(len(every))[:n]
        return [every[k] for k in order]
    chosen, seen = [], set()
    while len(chosen) < n:  # rejection sampling: at most 1/4 of the pairs are taken
        i, j = int(rng.choice(group_a)), int(rng.choice(group_b))
        key = (min(i, j), max(i, j))
        if i != j and key not in seen:
            seen.add(key)
            chosen.append((i, j))
    return chosen


def same_style_pairs(labels, n, rng) -> list[tuple[int, int]]:
    """n random within-style pairs, the styles (with >= 2 images) taken in turn."""
    groups = [np.flatnonzero(labels == s) for s in sorted(set(labels))]
    groups = [g for g in groups if len(g) >= 2]
    if not groups:
        return []
    counts = [n // len(groups) + (k < n % len(groups)) for k in range(len(groups))]
    return [p for g, c in zip(groups, counts) if c for p in random_pairs(g, g, c, rng)]


def across_style_pairs(labels, n, rng) -> list[tuple[int, int]]:
    """For each pair of styles (sorted names): n random pairs, one image from each."""
    styles = sorted(set(labels))
    pairs = []
    for s1, s2 in itertools.combinations(styles, 2):
        pairs += random_pairs(np.flatnonzero(labels == s1), np.flatnonzero(labels == s2), n, rng)
    return pairs


def _sorted_candidates(i, j, d):
    """Unique unordered candidates sorted by distance, ties by (i, j): arrays i, j, d."""
    i, j = np.minimum(i, j), np.maximum(i, j)
    keys = np.unique(np.stack([i, j], axis=1), axis=0, return_index=True)[1]
    i, j, d = i[keys], j[keys], d[keys]
    order = np.lexsort((j, i, d))
    return i[order], j[order], d[order]


def nearest_pairs(z, n) -> list[tuple[int, int]]:
    """The n closest pairs. Each of them joins a point to one of its n nearest neighbours
    (any closer neighbour would make a closer pair), so n neighbours per point suffice."""
    from sklearn.neighbors import NearestNeighbors

    k = min(n, len(z) - 1)
    distances, neighbours = NearestNeighbors(n_neighbors=k).fit(z).kneighbors()  # excludes self
    rows = np.repeat(np.arange(len(z)), k)
    i, j, _ = _sorted_candidates(rows, neighbours.ravel(), distances.ravel())
    return list(zip(i[:n].tolist(), j[:n].tolist()))


def farthest_pairs(z, n) -> list[tuple[int, int]]:
    """The n farthest pairs, exact: the distance matrix in row chunks, keeping each row's
    n farthest partners j > i (the same argument as for nearest_pairs)."""
    from sklearn.metrics import pairwise_distances_chunked

    k = min(n, len(z) - 1)

    def keep_farthest(chunk, start):  # per row: its k farthest partners j > i, or -inf
        rows = np.arange(start, start + len(chunk))
        chunk = np.where(np.arange(len(z))[None, :] > rows[:, None], chunk, -np.inf)
        top = np.argpartition(-chunk, k - 1, axis=1)[:, :k]
        return top, np.take_along_axis(chunk, top, axis=1)

    distances = pairwise_distances_chunked(z.astype(np.float64), reduce_func=keep_farthest, working_memory=256)
    chunks = list(distances)  # 256 MB of distances at a time
    j = np.concatenate([top for top, _ in chunks]).ravel()
    d = np.concatenate([distance for _, distance in chunks]).ravel()
    i = np.repeat(np.arange(len(z)), k)
    valid = np.isfinite(d)
    i, j, d = i[valid], j[valid], d[valid]
    i, j, d = _sorted_candidates(i, j, -d)  # farthest first
    return list(zip(i[:n].tolist(), j[:n].tolist()))


def centroid_pairs(z, groups, n) -> list[tuple[int, int]]:
    """For each group: members ranked by distance to the group mean; for each pair of
    groups (sorted): the k-th most central member of one with the k-th of the other."""
    ranked = {}
    for g in sorted(set(groups)):
        members = np.flatnonzero(groups == g)
        distance = np.linalg.norm(z[members].astype(np.float64) - z[members].mean(axis=0), axis=1)
        ranked[g] = members[np.argsort(distance, kind="stable")][:n]
    pairs = []
    for g1, g2 in itertools.combinations(sorted(ranked), 2):
        pairs += list(zip(ranked[g1].tolist(), ranked[g2].tolist()))
    return pairs


# ----------------------------------------------------------------------------- selection


def expected_count(criterion, n, n_styles) -> int:
    """Pairs a criterion gives when every group is large enough."""
    per_style_pair = criterion in ("across_styles", "class_centroids", "cluster_centroids")
    return n * n_styles * (n_styles - 1) // 2 if per_style_pair else n


def select_pairs(frame, z, criteria, n, seed) -> pd.DataFrame:
    """Pairs of the rows of `frame` (image_id, style) / `z` (N x D) for each criterion.

    Returns pair_id, criterion, image_id_a, image_id_b, style_a, style_b, distance.
    """
    _, first = np.unique(z, axis=0, return_index=True)
    keep = np.sort(first)  # identical codes collapsed to their first row
    if len(keep) < len(z):
        print(f"{len(z) - len(keep)} images share their code with an earlier one; left out")
    frame, z = frame.iloc[keep].reset_index(drop=True), z[keep]
    if len(z) < 2:
        raise StylepathError(f"only {len(z)} distinct latent code(s) to pair; use pairs.split: all or more images")
    styles = frame["style"].to_numpy()
    n_styles = len(set(styles))
    rows = []
    for criterion in criteria:
        rng = np.random.default_rng([seed, CRITERIA.index(criterion)])
        if criterion == "random":
            everyone = np.arange(len(z))
            pairs = random_pairs(everyone, everyone, n, rng)
        elif criterion == "same_style":
            pairs = same_style_pairs(styles, n, rng)
        elif criterion == "across_styles":
            pairs = across_style_pairs(styles, n, rng)
        elif criterion == "nearest":
            pairs = nearest_pairs(z, n)
        elif criterion == "farthest":
            pairs = farthest_pairs(z, n)
        elif criterion == "class_centroids":
            pairs = centroid_pairs(z, styles, n)
        elif criterion == "cluster_centroids":
            pairs = centroid_pairs(z, kmeans_labels(z, n_styles, seed), n)
        else:
            raise StylepathError(f"unknown pair criterion {criterion!r}; choose from {CRITERIA}")
        wanted = expected_count(criterion, n, n_styles)
        if len(pairs) < wanted:
            print(f"warning: {criterion}: {len(pairs)} pairs instead of {wanted} (small groups)")
        rows += [(criterion, i, j) for i, j in pairs]
    if not rows:
        raise StylepathError("no pair could be formed; add images or criteria")
    criterion, a, b = (np.array(column) for column in zip(*rows))
    distance = np.linalg.norm(z[a].astype(np.float64) - z[b].astype(np.float64), axis=1)
    return pd.DataFrame(
        {
            "pair_id": np.arange(len(rows), dtype=np.int64),
            "criterion": criterion,
            "image_id_a": frame["image_id"].to_numpy()[a],
            "image_id_b": frame["image_id"].to_numpy()[b],
            "style_a": styles[a],
            "style_b": styles[b],
            "distance": distance,
        }
    )


def main(args) -> None:
    pairs_settings, seed = args.settings["pairs"], args.settings["seed"]
    frame, z = read_latents(args.latents)
    split = pairs_settings["split"]
    if split != "all":
        chosen = (frame["split"] == split).to_numpy()
        frame, z = frame[chosen].reset_index(drop=True), z[chosen]
    print(f"{len(z)} images from split {split!r}, latent size {z.shape[1]}")
    pairs = select_pairs(frame, z, pairs_settings["criteria"], pairs_settings["n_per_criterion"], seed)
    for criterion, count in pairs["criterion"].value_counts(sort=False).items():
        print(f"{criterion}: {count} pairs")
    write_parquet(pairs, args.pairs)
