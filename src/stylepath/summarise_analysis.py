"""`stylepath summarise-analysis`: the latent analyses of all models and replicates, one row per
training run (model, replicate): covariance shape, the main clustering scores against style,
reconstruction and the diagnostics of whether the model reached its objective (docs/outputs.md)."""

import numpy as np
import pandas as pd

from stylepath.io import StylepathError, read_json, write_csv, write_parquet

SHAPE_COLUMNS = [
    "n_images",
    "latent_dim",
    "sphericity",
    "condition_ratio",
    "participation_ratio",
    "effective_dim_fraction",
    "mauchly_p",
    "identity_distance",
    "mean_norm",
]

GROUPING_COLUMNS = ["probe_train", "probe_val", "chance", "probe_p", "knn_val", "kmeans_train_ari", "kmeans_val_ari"]


def best_ari(scores):
    """The (algorithm, space) whose clusters agree best with the styles (highest ARI), as a dict."""
    ari = scores[scores["metric"] == "ari"]
    if ari.empty or ari["value"].isna().all():
        return {
            "best_ari": np.nan,
            "best_ari_ci_low": np.nan,
            "best_ari_ci_high": np.nan,
            "best_ari_algorithm": None,
            "best_ari_space": None,
        }
    best = ari.loc[ari["value"].idxmax()]
    return {
        "best_ari": best["value"],
        "best_ari_ci_low": best["ci_low"],
        "best_ari_ci_high": best["ci_high"],
        "best_ari_algorithm": best["algorithm"],
        "best_ari_space": best["space"],
    }


def space_scores(scores):
    """k-means ARI, NMI and silhouette and the style labels' own silhouette, per space.

    Keys like kmeans_latent_ari, kmeans_pca_silhouette, style_latent_silhouette.
    """
    wanted = [("kmeans", "ari"), ("kmeans", "nmi"), ("kmeans", "silhouette"), ("style", "silhouette")]
    row = {}
    for space in sorted(scores["space"].unique()):
        for algorithm, metric in wanted:
            match = scores.query("algorithm == @algorithm and space == @space and metric == @metric")
            if len(match):
                row[f"{algorithm}_{space}_{metric}"] = float(match["value"].iloc[0])
    return row


def diagnostics_columns(diagnostics: dict) -> dict:
    """The diagnostics of one run as flat columns (NaN where a check does not apply)."""
    prior = diagnostics.get("prior", {})
    triplets = diagnostics.get("triplets", {})
    return {
        "recon_mse": diagnostics["reconstruction"]["val_recon_mse"],
        "mean_colour_mse": diagnostics["reconstruction"]["val_mean_colour_mse"],
        "recon_ratio": diagnostics["reconstruction"]["recon_ratio"],
        "prior_sphericity": prior.get("sphericity", np.nan),
        "prior_sphericity_band_low": prior.get("sphericity_band", [np.nan, np.nan])[0],
        "prior_max_abs_mean": prior.get("max_abs_mean", np.nan),
        "prior_min_variance": prior.get("min_variance", np.nan),
        "prior_max_variance": prior.get("max_variance", np.nan),
        "prior_mmd_p": prior.get("mmd_p", np.nan),
        "fresh_discriminator_accuracy": diagnostics.get("discriminator", {}).get("accuracy", np.nan),
        "active_units": diagnostics.get("active_units", {}).get("count", np.nan),
        "triplet_accuracy": triplets.get("accuracy", np.nan),
        "vae_triplet_accuracy": triplets.get("vae_accuracy", np.nan),
        "reached_objective": diagnostics["reached_objective"],
        "verdict": diagnostics["verdict"],
    }


def held_out_columns(shape: dict, grouping: dict) -> dict:
    """The held-out shape of the active part and the grouping statistics, as flat columns."""
    held_out = shape["held_out"]
    low, high = held_out["isotropy_band"]
    return {
        "n_val": held_out["n"],
        "active_dims": held_out["active_dims"],
        "collapsed_dims": held_out["collapsed_dims"],
        "isotropy": np.nan if held_out["isotropy"] is None else held_out["isotropy"],
        "isotropy_band_low": np.nan if low is None else low,
        "isotropy_band_high": np.nan if high is None else high,
        "axis_ratio": np.nan if held_out["axis_ratio"] is None else held_out["axis_ratio"],
        **{key: grouping[key] for key in GROUPING_COLUMNS},
    }


def summary_row(shape: dict, scores: pd.DataFrame, diagnostics: dict, grouping: dict) -> dict:
    """One training run's row: model, replicate, shape, clustering, grouping, diagnostics."""
    run = (shape["model"], shape["replicate"])
    runs = {(diagnostics["model"], diagnostics["training_seed"]), (grouping["model"], grouping["replicate"])}
    if set(zip(scores["model"], scores["replicate"])) != {run} or runs != {run}:
        raise StylepathError(
            f"the analysis files given for {run} belong to different runs; pass --shapes, --scores, "
            "--diagnostics and --grouping in the same order"
        )
    return {
        "model": run[0],
        "replicate": run[1],
        **{column: shape[column] for column in SHAPE_COLUMNS},
        **held_out_columns(shape, grouping),
        **best_ari(scores),
        **space_scores(scores),
        **diagnostics_columns(diagnostics),
    }


def summarise(shape_paths, score_paths, diagnostics_paths, grouping_paths) -> pd.DataFrame:
    """The summary table: a row per training run, in the order given."""
    counts = [len(shape_paths), len(score_paths), len(diagnostics_paths), len(grouping_paths)]
    if len(set(counts)) != 1:
        raise StylepathError(
            "{} shape, {} score, {} diagnostics and {} grouping files; give one of each per training run".format(
                *counts
            )
        )
    rows = [
        summary_row(read_json(shape), pd.read_parquet(scores), read_json(diagnostics), read_json(grouping))
        for shape, scores, diagnostics, grouping in zip(shape_paths, score_paths, diagnostics_paths, grouping_paths)
    ]
    return pd.DataFrame(rows)


LIST_INPUTS = ("shapes", "scores", "diagnostics", "grouping")
OUTPUTS = ("summary", "summary_csv")


def main(args):
    summary = summarise(args.shapes, args.scores, args.diagnostics, args.grouping)
    write_parquet(summary, args.summary)
    write_csv(summary, args.summary_csv)
    print(summary.drop(columns="verdict").to_string(), flush=True)
    for row in summary.itertuples():
        print(f"{row.model} seed {row.replicate}: {row.verdict}", flush=True)
