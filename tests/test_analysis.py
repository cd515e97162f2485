"""Latent analysis: sphericity measures, clustering scores, bootstrap, the four commands."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from stylepath import analyse as stage
from stylepath import cli, clustering, statistics
from stylepath.config import load_config
from stylepath.figures.latent_space import matched_crosstab
from stylepath.geometry import shape_measures
from stylepath.io import StylepathError
from stylepath.latents import latent_table, read_latents
from stylepath.summarise_analysis import summarise

ROOT = Path(__file__).resolve().parents[1]
STYLES = ["expressionism", "impressionism", "realism", "romanticism"]
N_PER_STYLE = 40
DIM = 6


@pytest.fixture(scope="module")
def config():
    """The tiny test config with the schema's defaults filled in."""
    return load_config(ROOT / "tests/config/tiny.yaml")


def write_latents(path, z, styles, model="vae"):
    """A latent table of `model` as `stylepath encode` writes it (stylepath.latents), with a
    reconstruction a third of its mean-colour baseline."""
    n = len(z)
    rng = np.random.default_rng(1)
    split = np.where(np.arange(n) % 5 == 0, "val", "train")
    metadata = pd.DataFrame({"image_id": [f"img{i:04d}" for i in range(n)], "style": styles, "split": split})
    variational = model in ("vae", "beta_vae", "tvae")
    encoded = {
        "z": z,
        "logvar": rng.normal(-2, 0.1, size=z.shape) if variational else None,
        "recon_mse": rng.uniform(0.01, 0.03, n),
        "mean_colour_mse": np.full(n, 0.06),
    }
    own = {"aae": {"disc_hidden": [32, 32]}, "tvae": {"triplet_margin": 1.0, "triplet_distance": "l1"}}.get(model, {})
    record = {"model": model, "variational": variational, "prior": model != "ae", "adversarial": model == "aae",
              "triplet_term": model == "tvae", "settings": {"seed": 0, **own}}  # fmt: skip
    pq.write_table(latent_table(metadata, encoded, record), path)


def write_history(path, epochs=3):
    pd.DataFrame({"epoch": range(1, epochs + 1), "val_recon_mse": np.linspace(0.03, 0.02, epochs)}).to_csv(path)
    return path


def fake_latents(kind, seed=0):
    """z (N x DIM) and styles shaped like the study's findings.

    spherical: N(0, I), styles unrelated (the AAE); clustered: oblong, one well-separated
    blob per style (the TVAE); oblong: elongated Gaussian, styles unrelated (the VAE).
    """
    rng = np.random.default_rng(seed)
    styles = np.repeat(STYLES, N_PER_STYLE)
    n = len(styles)
    if kind == "spherical":
        return rng.normal(size=(n, DIM)), styles
    axes = np.array([3.0, 1.5, 0.8, 0.5, 0.3, 0.2])
    z = rng.normal(size=(n, DIM)) * axes
    if kind == "clustered":
        centres = rng.normal(size=(len(STYLES), DIM)) * 12 * axes
        z = 0.3 * z + centres[np.repeat(np.arange(len(STYLES)), N_PER_STYLE)]
    return z, rng.permutation(styles) if kind == "oblong" else styles


def run(*argv):
    cli.main([str(a) for a in argv])


OUTPUTS = {
    "pca": "pca_components.parquet",
    "projections": "pca_projections.parquet",
    "shape": "shape.json",
    "scores": "clustering_scores.parquet",
    "labels": "cluster_labels.parquet",
    "diagnostics": "diagnostics.json",
    "grouping": "grouping.json",
}


def analyse(directory, model, latents, settings):
    out = {name: directory / model / name for name in OUTPUTS.values()}
    directory.mkdir(parents=True, exist_ok=True)
    history = write_history(directory / f"{model}_history.csv")
    options = [arg for option, name in OUTPUTS.items() for arg in (f"--{option}", out[name])]
    run("analyse", "--settings", json.dumps(settings), "--latents", latents, "--history", history, *options)
    return out


MODELS = {"aae": "spherical", "tvae": "clustered", "vae": "oblong"}


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, config):
    """Three fake models, analysed by `stylepath analyse` with the tiny settings."""
    directory = tmp_path_factory.mktemp("analysis")
    settings = {"analysis": config["analysis"], "seed": config["seed"]}
    outputs, latents = {}, {}
    for model, kind in MODELS.items():
        latents[model] = directory / f"{model}.parquet"
        write_latents(latents[model], *fake_latents(kind), model=model)
        outputs[model] = analyse(directory, model, latents[model], settings)
    return {"dir": directory, "outputs": outputs, "latents": latents, "settings": settings}


# --------------------------------------------------------------------------- measures


def test_isotropic_gaussian_is_spherical_and_elongated_is_not():
    rng = np.random.default_rng(0)
    isotropic = shape_measures(rng.normal(size=(2000, 8)) * 5.0)  # scale must not matter
    elongated = shape_measures(rng.normal(size=(2000, 8)) * [4, 2, 1, 1, 0.5, 0.5, 0.3, 0.2])

    assert isotropic["sphericity"] > 0.98 and elongated["sphericity"] < 0.4
    assert isotropic["condition_ratio"] > 0.6 and elongated["condition_ratio"] < 0.05
    assert isotropic["effective_dim_fraction"] > 0.95 and elongated["effective_dim_fraction"] < 0.4
    assert 7.5 < isotropic["participation_ratio"] <= 8
    assert isotropic["mauchly_p"] > 0.001 and elongated["mauchly_p"] < 1e-10
    assert isotropic["mauchly_w"] == pytest.approx(isotropic["sphericity"] ** 8)
    assert isotropic["identity_distance"] > 20  # covariance 25 I is far from the prior's I
    eigenvalues = np.array(elongated["eigenvalues"])
    assert np.all(np.diff(eigenvalues) <= 0) and eigenvalues[0] == pytest.approx(16, rel=0.15)


def test_standard_normal_is_close_to_the_prior():
    measures = shape_measures(np.random.default_rng(0).normal(size=(5000, 4)))
    assert measures["identity_distance"] < 0.05 and measures["mean_norm"] < 0.05


def test_a_dimension_without_variance_gives_zero_sphericity_not_an_error():
    z = np.random.default_rng(0).normal(size=(100, 3))
    z[:, 2] = 1.0
    measures = shape_measures(z)
    assert measures["sphericity"] == 0.0 and measures["condition_ratio"] == 0.0
    assert measures["mauchly_chi2"] is None and measures["mauchly_p"] == 0.0


def test_too_few_images_for_the_covariance_is_a_user_error():
    with pytest.raises(StylepathError, match="more images than latent_dim"):
        shape_measures(np.ones((4, 8)))


# --------------------------------------------------------------------------- clustering


def separated_blobs(seed=0):
    from sklearn.datasets import make_blobs

    x, y = make_blobs(n_samples=200, n_features=5, centers=4, cluster_std=1.0, center_box=(-25, 25), random_state=seed)
    return x, np.array(STYLES)[y]


@pytest.mark.parametrize("algorithm", clustering.ALGORITHMS)
def test_every_algorithm_finds_separated_styles_and_not_random_ones(algorithm):
    x, styles = separated_blobs()
    clusters = clustering.cluster_labels(algorithm, x, 4, seed=0, min_cluster_size=10)
    silhouettes = stage.point_silhouettes(x, clusters)
    names = stage.metric_names(algorithm)
    scores = stage.clustering_scores(styles, clusters, silhouettes, names)
    assert scores["ari"] > 0.95 and scores["nmi"] > 0.95 and scores["silhouette"] > 0.5
    shuffled = np.random.default_rng(0).permutation(styles)
    chance = stage.clustering_scores(shuffled, clusters, silhouettes, names)
    assert abs(chance["ari"]) < 0.05 and chance["nmi"] < 0.1


def test_kmeans_labels_is_seeded_and_matches_the_analysis():
    x, _ = separated_blobs()
    labels = clustering.kmeans_labels(x, 4, seed=3)
    assert labels.shape == (200,) and set(labels) == {0, 1, 2, 3}
    np.testing.assert_array_equal(labels, clustering.kmeans_labels(x, 4, seed=3))
    np.testing.assert_array_equal(labels, clustering.cluster_labels("kmeans", x, 4, seed=3, min_cluster_size=5))


def test_percentile_interval():
    assert statistics.percentile_interval(np.arange(101), 0.95) == pytest.approx((2.5, 97.5))
    assert np.isnan(statistics.percentile_interval([np.nan, np.nan], 0.9)[0])


def test_bootstrap_is_reproducible_for_a_seed_and_differs_for_another():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    styles = np.where(x[:, 0] + rng.normal(size=120) > 0, "realism", "romanticism")  # half-informative
    clusters = clustering.kmeans_labels(x, 2, seed=0)
    silhouettes = stage.point_silhouettes(x, clusters)

    def intervals(seed):
        indices = stage.bootstrap_indices(len(x), 50, seed)
        return pd.DataFrame(
            stage.scores_with_intervals(styles, clusters, silhouettes, indices, 0.9, stage.metric_names("kmeans"))
        )

    first, again, other = intervals(0), intervals(0), intervals(1)
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first[["ci_low", "ci_high"]], other[["ci_low", "ci_high"]])
    pd.testing.assert_series_equal(first["value"], other["value"])  # full-data scores do not resample
    assert (first["ci_high"] - first["ci_low"] > 0).all()


@pytest.mark.parametrize("kind", ["informative", "random with noise", "one cluster", "styles = clusters"])
def test_resampled_scores_equal_scikit_learn_on_every_resample(kind):
    rng = np.random.default_rng(1)
    styles = rng.choice(STYLES, 150)
    codes = np.searchsorted(sorted(STYLES), styles)
    clusters = {
        "informative": np.where(rng.random(150) < 0.7, codes, rng.integers(0, 4, 150)),
        "random with noise": rng.integers(-1, 5, 150),
        "one cluster": np.zeros(150, int),
        "styles = clusters": codes,
    }[kind]
    silhouettes = np.where(clusters >= 0, rng.uniform(-1, 1, 150), np.nan)
    indices = stage.bootstrap_indices(150, 60, seed=2)
    names = stage.metric_names("hdbscan")
    together = stage.resampled_scores(styles, clusters, silhouettes, indices, names)
    for metric in names:
        scores = [stage.clustering_scores(styles[i], clusters[i], silhouettes[i], [metric]) for i in indices]
        one_by_one = [score[metric] for score in scores]
        np.testing.assert_allclose(together[metric], one_by_one, rtol=1e-10, atol=1e-12, err_msg=metric)


def test_matched_crosstab_puts_the_best_match_on_the_diagonal():
    styles = np.repeat(["a", "b", "c"], 5)
    clusters = np.repeat([2, 0, 1], 5)
    counts = matched_crosstab(styles, clusters)
    assert list(counts.columns) == [2, 0, 1]
    np.testing.assert_array_equal(np.diag(counts.to_numpy()), [5, 5, 5])


# --------------------------------------------------------------------------- commands


def test_analyse_writes_the_documented_tables(analysed, config):
    out = analysed["outputs"]["tvae"]
    n = len(STYLES) * N_PER_STYLE
    clustering = config["analysis"]["clustering"]
    n_components = config["analysis"]["pca_components"]

    components = pd.read_parquet(out["pca_components.parquet"])
    assert list(components.columns) == [
        "component",
        "explained_variance",
        "explained_variance_ratio",
        "cumulative_ratio",
    ] + [f"loading_{j}" for j in range(DIM)]
    assert list(components["component"]) == list(range(1, n_components + 1))
    assert np.all(np.diff(components["explained_variance"]) <= 0)
    np.testing.assert_allclose(np.linalg.norm(components.filter(like="loading_"), axis=1), 1.0)

    projections = pd.read_parquet(out["pca_projections.parquet"])
    assert list(projections.columns) == ["image_id", "style", "split"] + [f"pc{i}" for i in range(1, n_components + 1)]
    assert len(projections) == n
    np.testing.assert_allclose(projections["pc1"].var(), components["explained_variance"][0], rtol=1e-5)

    shape = json.loads(out["shape.json"].read_text())
    assert (shape["model"], shape["replicate"], shape["n_images"], shape["latent_dim"]) == ("tvae", 0, n, DIM)
    assert len(shape["eigenvalues"]) == DIM
    assert shape["eigenvalues"][0] == pytest.approx(components["explained_variance"][0], rel=1e-5)

    scores = pd.read_parquet(out["clustering_scores.parquet"])
    columns = ["model", "replicate", "algorithm", "space", "metric", "value", "ci_low", "ci_high", "n_clusters"]
    assert list(scores.columns) == columns
    assert set(scores["algorithm"]) == set(clustering["algorithms"]) | {"style"}
    assert set(scores["space"]) == set(clustering["spaces"])
    kmeans = scores.query("algorithm == 'kmeans'")
    assert set(kmeans["metric"]) == {"ari", "nmi", "homogeneity", "completeness", "silhouette"}
    assert (kmeans["n_clusters"] == len(STYLES)).all()
    assert "noise_fraction" in set(scores.query("algorithm == 'hdbscan'")["metric"])
    assert set(scores.query("algorithm == 'style'")["metric"]) == {"silhouette"}
    assert (scores["ci_low"] <= scores["ci_high"]).all()
    assert scores.query("metric == 'ari' and algorithm != 'hdbscan'")["value"].min() > 0.9  # the TVAE-like blobs

    labels = pd.read_parquet(out["cluster_labels.parquet"])
    assert list(labels.columns) == ["image_id", "algorithm", "space", "cluster"]
    assert len(labels) == n * len(clustering["algorithms"]) * len(clustering["spaces"])
    assert labels.groupby(["algorithm", "space"])["image_id"].nunique().eq(n).all()

    diagnostics = json.loads(out["diagnostics.json"].read_text())
    assert (diagnostics["model"], diagnostics["training_seed"], diagnostics["n_images"]) == ("tvae", 0, n)
    assert diagnostics["reconstruction"]["recon_ratio"] < 0.5
    # the TVAE-like blobs are no draw from N(0, I): reported, not a failure for a variational model
    assert diagnostics["prior"]["mmd_p"] < 0.01 and diagnostics["prior"]["sphericity"] < 0.5
    assert diagnostics["active_units"]["count"] == DIM
    # without a VAE to compare with, the triplet term cannot be shown to make a difference: said so
    assert not diagnostics["reached_objective"] and "the run has no VAE" in diagnostics["verdict"]

    shape_held_out, grouping = shape["held_out"], json.loads(out["grouping.json"].read_text())
    assert shape_held_out["n"] == n // 5 and shape_held_out["active_dims"] + shape_held_out["collapsed_dims"] == DIM
    assert grouping["probe_val"] > 0.9 and grouping["probe_p"] < 0.05 and grouping["kmeans_val_ari"] > 0.9


def test_held_out_shape_and_grouping_tell_the_fake_models_apart(analysed):
    outputs = analysed["outputs"]
    shape = {m: json.loads(outputs[m]["shape.json"].read_text())["held_out"] for m in MODELS}
    grouping = {m: json.loads(outputs[m]["grouping.json"].read_text()) for m in MODELS}
    low = shape["aae"]["isotropy_band"][0]
    assert shape["aae"]["isotropy"] > low - 0.05 and shape["vae"]["isotropy"] < low - 0.2
    assert grouping["aae"]["probe_val"] < grouping["aae"]["chance"] + 0.2 and grouping["aae"]["probe_p"] > 0.01


def test_analyse_repeats_for_a_seed(analysed, tmp_path):
    model = "vae"
    first = analysed["outputs"][model]
    again = analyse(tmp_path, model, analysed["latents"][model], analysed["settings"])
    other = analyse(tmp_path / "seed1", model, analysed["latents"][model], {**analysed["settings"], "seed": 1})
    scores = [pd.read_parquet(out["clustering_scores.parquet"]) for out in (first, again, other)]
    pd.testing.assert_frame_equal(scores[0], scores[1])
    assert not scores[0][["ci_low", "ci_high"]].equals(scores[2][["ci_low", "ci_high"]])
    for name in ["pca_components.parquet", "pca_projections.parquet", "cluster_labels.parquet"]:
        pd.testing.assert_frame_equal(pd.read_parquet(first[name]), pd.read_parquet(again[name]))


def test_summary_reads_the_study_findings_off_the_fake_models(analysed, tmp_path):
    models = list(MODELS)
    outputs = analysed["outputs"]
    parquet, csv = tmp_path / "summary.parquet", tmp_path / "summary.csv"
    files = [arg for kind in ("shape", "scores", "diagnostics", "grouping") for arg in
             (f"--{kind}{'s' if kind == 'shape' else ''}", *[outputs[m][OUTPUTS[kind]] for m in models])]  # fmt: skip
    run("summarise-analysis", "--settings", "{}", *files, "--summary", parquet, "--summary-csv", csv)
    summary = pd.read_parquet(parquet).set_index("model")
    assert list(summary.index) == models and (summary["replicate"] == 0).all()
    pd.testing.assert_frame_equal(pd.read_csv(csv).set_index("model"), summary, check_dtype=False)
    for column in [
        "sphericity", "condition_ratio", "effective_dim_fraction", "best_ari", "best_ari_algorithm",
        "best_ari_space", "kmeans_latent_ari", "kmeans_pca_nmi", "style_latent_silhouette", "recon_mse",
        "recon_ratio", "prior_sphericity", "prior_mmd_p", "reached_objective", "verdict", "isotropy",
        "isotropy_band_low", "collapsed_dims", "probe_train", "probe_val", "chance", "probe_p", "kmeans_val_ari",
    ]:  # fmt: skip
        assert column in summary.columns
    # AAE-like: spherical; TVAE-like: clustered by style; VAE-like: oblong and not clustered.
    assert summary["sphericity"].idxmax() == "aae" and summary.loc["aae", "sphericity"] > 0.9
    assert summary.loc["vae", "sphericity"] < 0.6
    assert summary["best_ari"].idxmax() == "tvae" and summary.loc["tvae", "best_ari"] > 0.9
    assert summary.loc["vae", "kmeans_latent_ari"] < 0.1
    assert summary["style_latent_silhouette"].idxmax() == "tvae"
    latents = pd.read_parquet(analysed["latents"]["vae"])
    val = latents["split"] == "val"
    assert summary.loc["vae", "recon_mse"] == pytest.approx(latents["recon_mse"][val].mean())
    assert summary.loc["aae", "reached_objective"] and summary.loc["aae", "fresh_discriminator_accuracy"] < 0.65
    assert summary.loc["vae", "prior_mmd_p"] < 0.01  # its aggregate posterior is far from N(0, I): reported
    assert summary.loc["vae", "reached_objective"] and summary.loc["vae", "active_units"] == DIM


def test_summary_refuses_files_of_different_runs(analysed):
    outputs = analysed["outputs"]
    with pytest.raises(StylepathError, match="same order"):
        summarise(
            [outputs["tvae"]["shape.json"], outputs["aae"]["shape.json"]],
            [outputs["aae"]["clustering_scores.parquet"], outputs["tvae"]["clustering_scores.parquet"]],
            [outputs["tvae"]["diagnostics.json"], outputs["aae"]["diagnostics.json"]],
            [outputs["tvae"]["grouping.json"], outputs["aae"]["grouping.json"]],
        )


def assert_png(path, min_width):
    with Image.open(path) as image:
        assert image.format == "PNG" and image.width >= min_width
        assert np.asarray(image.convert("L")).std() > 10  # not a blank canvas


def test_figure_command_writes_every_png(analysed, config, tmp_path):
    models = list(MODELS)
    outputs = analysed["outputs"]
    inputs = [arg for option, name in OUTPUTS.items() if option not in ("pca", "grouping")
              for arg in (f"--{option}", *[outputs[m][name] for m in models])]  # fmt: skip
    figures = {name: tmp_path / f"{name}.png" for name in ["spectra", "sphericity", "heatmap", "pca-grid"]}
    figures["diagnostics-figure"] = tmp_path / "diagnostics.png"
    out = [arg for name, path in figures.items() for arg in (f"--{name}", path)]
    run("plot-analysis", "--settings", json.dumps({"figures": config["figures"]}), *inputs,
        "--chains", tmp_path / "chains", *out)  # fmt: skip
    assert sorted(p.name for p in (tmp_path / "chains").iterdir()) == sorted(f"{m}_seed0.png" for m in models)
    assert_png(tmp_path / "chains" / "tvae_seed0.png", 300)
    for path in figures.values():
        assert_png(path, 200)


# --------------------------------------------------------------------------- errors


def test_bad_latent_tables_are_user_errors(tmp_path, analysed):
    missing = tmp_path / "missing.parquet"
    pq.write_table(pa.table({"image_id": ["a"], "z": [[0.0, 1.0]]}), missing)
    with pytest.raises(StylepathError, match=r"lacks column.*split.*style"):
        read_latents(missing)

    ragged = tmp_path / "ragged.parquet"
    pq.write_table(
        pa.table({"image_id": ["a", "b"], "style": ["x", "y"], "split": ["train"] * 2, "z": [[0.0, 1.0], [0.0]]}),
        ragged,
    )
    with pytest.raises(StylepathError, match="different length"):
        read_latents(ragged)

    z, styles = fake_latents("oblong")
    z[3, 1] = np.nan
    diverged = tmp_path / "nan.parquet"
    write_latents(diverged, z, styles)
    with pytest.raises(StylepathError, match="NaN"):
        read_latents(diverged)

    one_style = tmp_path / "one_style.parquet"
    z, _ = fake_latents("oblong")
    write_latents(one_style, z, np.full(len(z), "realism"))
    with pytest.raises(SystemExit, match="at least two styles"):
        analyse(tmp_path / "out", "vae", one_style, analysed["settings"])
    assert not (tmp_path / "out" / "vae").exists() or not any((tmp_path / "out" / "vae").iterdir())
