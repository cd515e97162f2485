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
        "triplet_share": triplets.get("share_meeting_margin", np.nan),
        "vae_triplet_share": triplets.get("vae_share_meeting_margin", np.nan),
        "reached_objective": diagnostics["reached_objective"],
        "verdict": diagnostics["verdict"],
    }


def summary_row(shape: dict, scores: pd.DataFrame, diagnostics: dict) -> dict:
    """One training run's row: model, replicate, shape, clustering, diagnostics."""
    run = (shape["model"], shape["replicate"])
    if (
        set(zip(scores["model"], scores["replicate"])) != {run}
        or (
            diagnostics["model"],
            diagnostics["training_seed"],
        )
        != run
    ):
        raise StylepathError(
            f"the analysis files given for {run} belong to different runs; pass --shapes, --scores "
            "and --diagnostics in the same order"
        )
    return {
        "model": run[0],
        "replicate": run[1],
        **{column: shape[column] for column in SHAPE_COLUMNS},
        **best_ari(scores),
        **space_scores(scores),
        **diagnostics_columns(diagnostics),
    }


def summarise(shape_paths, score_paths, diagnostics_paths) -> pd.DataFrame:
    """The summary table: a row per training run, in the order given."""
    if not len(shape_paths) == len(score_paths) == len(diagnostics_paths):
        raise StylepathError(
            f"{len(shape_paths)} shape, {len(score_paths)} score and {len(diagnostics_paths)} diagnostics"
            " files; give one of each per training run"
        )
    rows = [
        summary_row(read_json(shape), pd.read_parquet(scores), read_json(diagnostics))
        for shape, scores, diagnostics in zip(shape_paths, score_paths, diagnostics_paths)
    ]
    return pd.DataFrame(rows)


def add_arguments(parser):
    parser.add_argument("--shapes", nargs="+", required=True, help="analysis/<chain>/shape.json of every run")
    parser.add_argument("--scores", nargs="+", required=True, help="analysis/<chain>/clustering_scores.parquet")
    parser.add_argument("--diagnostics", nargs="+", required=True, help="analysis/<chain>/diagnostics.json")
    parser.add_argument("--out-parquet", required=True, help="out: summary table (Parquet)")
    parser.add_argument("--out-csv", required=True, help="out: the same table as CSV")


def main(args):
    summary = summarise(args.shapes, args.scores, args.diagnostics)
    write_parquet(summary, args.out_parquet)
    write_csv(summary, args.out_csv)
    print(summary.drop(columns="verdict").to_string(), flush=True)
    for row in summary.itertuples():
        print(f"{row.model} seed {row.replicate}: {row.verdict}", flush=True)
