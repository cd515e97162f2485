"""Pair selection: each criterion's count and definition, duplicates, seeding, the split."""

import itertools
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from stylepath import cli, select_pairs
from stylepath.latents import read_latents
from stylepath.select_pairs import CRITERIA, random_pairs

STYLES = ["expressionism", "impressionism", "realism", "romanticism"]
N = 3  # pairs per criterion


def write_latents(path, z, styles):
    """A latent table as `stylepath encode` writes it (docs/outputs.md); every 5th image is val."""
    n, dim = z.shape
    vectors = pa.FixedSizeListArray.from_arrays(pa.array(np.asarray(z, np.float32).ravel()), dim)
    table = pa.table(
        {
            "image_id": [f"img{i:04d}" for i in range(n)],
            "style": list(styles),
            "split": np.where(np.arange(n) % 5 == 0, "val", "train"),
            "z": vectors,
            "logvar": vectors,
            "recon_mse": np.full(n, 0.01, np.float32),
        }
    )
    pq.write_table(table, path)


@pytest.fixture(scope="module")
def latents(tmp_path_factory):
    """10 images per style in 3-d, styles offset; image 7 duplicates image 3's code."""
    rng = np.random.default_rng(0)
    styles = np.repeat(STYLES, 10)
    z = rng.normal(size=(40, 3)) + 3 * np.eye(4, 3)[np.repeat(np.arange(4), 10)]
    z[7] = z[3]
    path = tmp_path_factory.mktemp("pairs") / "latents.parquet"
    write_latents(path, z, styles)
    return path


def run(latents, out, seed=0, criteria=CRITERIA, split="all"):
    settings = {"pairs": {"n_per_criterion": N, "criteria": list(criteria), "split": split}, "seed": seed}
    cli.main(["select-pairs", "--settings", json.dumps(settings), "--latents", str(latents), "--pairs", str(out)])
    return pd.read_parquet(out)


@pytest.fixture(scope="module")
def selected(latents, tmp_path_factory):
    return run(latents, tmp_path_factory.mktemp("out") / "pairs.parquet")


def codes(latents):
    frame, z = read_latents(latents)
    return frame.set_index("image_id"), dict(zip(frame["image_id"], z.astype(np.float64)))


def all_distances(latents):
    """{(id_a, id_b): distance} of every pair of distinct codes (image 7 left out)."""
    frame, z_of = codes(latents)
    ids = [i for i in frame.index if i != "img0007"]
    return {(a, b): np.linalg.norm(z_of[a] - z_of[b]) for a, b in itertools.combinations(ids, 2)}


def as_set(rows):
    return {tuple(sorted(p)) for p in zip(rows["image_id_a"], rows["image_id_b"])}


def test_columns_counts_and_distances(selected, latents):
    assert list(selected.columns) == [
        "pair_id", "criterion", "image_id_a", "image_id_b", "style_a", "style_b", "distance"
    ]  # fmt: skip
    assert selected["pair_id"].tolist() == list(range(len(selected)))
    counts = selected["criterion"].value_counts().to_dict()
    per_style_pair = N * 6  # 4 styles -> 6 pairs of styles
    assert counts == {
        "random": N, "same_style": N, "nearest": N, "farthest": N,
        "across_styles": per_style_pair, "class_centroids": per_style_pair, "cluster_centroids": per_style_pair,
    }  # fmt: skip
    frame, z_of = codes(latents)
    for row in selected.itertuples():
        assert row.image_id_a != row.image_id_b
        assert row.distance == pytest.approx(np.linalg.norm(z_of[row.image_id_a] - z_of[row.image_id_b]))
        assert (row.style_a, row.style_b) == (frame.at[row.image_id_a, "style"], frame.at[row.image_id_b, "style"])
    for _, group in selected.groupby("criterion"):
        assert len(as_set(group)) == len(group)  # no pair twice within a criterion


def test_duplicate_codes_are_collapsed_so_no_walk_has_length_zero(selected):
    assert (selected["distance"] > 0).all()
    assert "img0007" not in set(selected["image_id_a"]) | set(selected["image_id_b"])


def test_style_criteria(selected):
    same = selected[selected["criterion"] == "same_style"]
    assert (same["style_a"] == same["style_b"]).all()
    assert same["style_a"].nunique() == N  # styles taken in turn
    across = selected[selected["criterion"] == "across_styles"]
    assert (across["style_a"] < across["style_b"]).all()  # a from the first style of each pair
    assert across.groupby(["style_a", "style_b"]).size().eq(N).all()


def test_nearest_and_farthest_are_the_extreme_pairs(selected, latents):
    ranked = sorted(all_distances(latents).items(), key=lambda item: item[1])
    closest = {pair for pair, _ in ranked[:N]}
    farthest = {pair for pair, _ in ranked[-N:]}
    assert as_set(selected[selected["criterion"] == "nearest"]) == closest
    assert as_set(selected[selected["criterion"] == "farthest"]) == farthest


def test_class_centroid_pairs_join_the_most_central_images(selected, latents):
    frame, z_of = codes(latents)
    central = {}
    for style in STYLES:
        ids = [i for i in frame.index[frame["style"] == style] if i != "img0007"]
        centre = np.mean([z_of[i] for i in ids], axis=0)
        central[style] = sorted(ids, key=lambda i: np.linalg.norm(z_of[i] - centre))[:N]
    rows = selected[selected["criterion"] == "class_centroids"]
    assert len(rows) == 6 * N
    for (s1, s2), group in rows.groupby(["style_a", "style_b"]):
        assert group["image_id_a"].tolist() == central[s1]
        assert group["image_id_b"].tolist() == central[s2]


def test_cluster_centroid_pairs_join_members_of_different_clusters(selected, latents):
    from stylepath.clustering import kmeans_labels

    frame, z_of = codes(latents)
    ids = [i for i in frame.index if i != "img0007"]
    labels = dict(zip(ids, kmeans_labels(np.stack([z_of[i] for i in ids]), 4, 0)))
    rows = selected[selected["criterion"] == "cluster_centroids"]
    assert all(labels[a] != labels[b] for a, b in zip(rows["image_id_a"], rows["image_id_b"]))
    # the k = 0 pairs join each cluster's most central member
    centre = {c: np.mean([z_of[i] for i in ids if labels[i] == c], axis=0) for c in range(4)}
    most_central = {
        c: min((i for i in ids if labels[i] == c), key=lambda i: np.linalg.norm(z_of[i] - centre[c])) for c in range(4)
    }
    assert set(most_central.values()) <= set(rows["image_id_a"]) | set(rows["image_id_b"])


def test_seeded_reproducible_and_each_criterion_independent_of_the_others(selected, latents, tmp_path):
    again = run(latents, tmp_path / "again.parquet")
    pd.testing.assert_frame_equal(selected, again)
    alone = run(latents, tmp_path / "alone.parquet", criteria=["same_style"])
    mixed = selected[selected["criterion"] == "same_style"]
    assert as_set(alone) == as_set(mixed)
    other_seed = run(latents, tmp_path / "seed.parquet", seed=1, criteria=["random", "across_styles"])
    assert as_set(other_seed) != as_set(selected[selected["criterion"].isin(["random", "across_styles"])])


def test_split_keeps_only_its_images(latents, tmp_path):
    val = run(latents, tmp_path / "val.parquet", criteria=["random", "nearest"], split="val")
    frame, _ = codes(latents)
    ids = set(val["image_id_a"]) | set(val["image_id_b"])
    assert ids and (frame.loc[list(ids), "split"] == "val").all()


def test_random_pairs_never_repeat_and_stop_at_all_possible_pairs():
    rng = np.random.default_rng(0)
    group = np.arange(3)
    chosen = random_pairs(group, group, 10, rng)  # only 3 pairs exist
    assert sorted(tuple(sorted(p)) for p in chosen) == [(0, 1), (0, 2), (1, 2)]
    big = np.arange(200)
    chosen = random_pairs(big, big, 50, rng)
    assert len({tuple(sorted(p)) for p in chosen}) == 50 and all(i != j for i, j in chosen)


def test_too_few_distinct_codes_is_a_clear_error():
    frame = pd.DataFrame({"image_id": ["a", "b"], "style": ["realism", "realism"]})
    with pytest.raises(select_pairs.StylepathError, match="distinct latent code"):
        select_pairs.select_pairs(frame, np.zeros((2, 3), np.float32), ["random"], 1, 0)
