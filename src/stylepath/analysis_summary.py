"""Compare the latent analyses of all models: one row per model with its covariance shape,
its main clustering scores against style and its mean reconstruction error."""

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


def summary_row(model, shape, scores, recon_mse):
    """One model's row: shape measures, clustering scores and mean_recon_mse."""
    if shape["model"] != model or set(scores["model"]) != {model}:
        raise StylepathError(
            f"analysis files given for {model} belong to {shape['model']}/{sorted(set(scores['model']))};"
            " pass them in the order of `models`"
        )
    return {
        "model": model,
        **{column: shape[column] for column in SHAPE_COLUMNS},
        **best_ari(scores),
        **space_scores(scores),
        "mean_recon_mse": float(np.mean(recon_mse)),
    }


def summarise(models, shape_paths, score_paths, latent_paths):
    """The summary table: a row per model, in the order of `models`."""
    if not len(models) == len(shape_paths) == len(score_paths) == len(latent_paths):
        raise StylepathError(
            f"{len(models)} models but {len(shape_paths)} shape, {len(score_paths)} score and"
            f" {len(latent_paths)} latent files; give one of each per model"
        )
    rows = []
    for model, shape_path, score_path, latent_path in zip(models, shape_paths, score_paths, latent_paths):
        try:
            recon_mse = pd.read_parquet(latent_path, columns=["recon_mse"])["recon_mse"].to_numpy()
        except (KeyError, ValueError) as error:
            raise StylepathError(f"{latent_path} lacks recon_mse ({error}); re-run `stylepath encode`") from error
        rows.append(summary_row(model, read_json(shape_path), pd.read_parquet(score_path), recon_mse))
    return pd.DataFrame(rows)


def add_arguments(parser):
    parser.add_argument(
        "--shapes", nargs="+", required=True, help="analysis/<model>/shape.json, in the order of models"
    )
    parser.add_argument(
        "--scores", nargs="+", required=True, help="analysis/<model>/clustering_scores.parquet, same order"
    )
    parser.add_argument("--latents", nargs="+", required=True, help="latents/<model>.parquet, same order")
    parser.add_argument("--out-parquet", required=True, help="out: summary table (Parquet)")
    parser.add_argument("--out-csv", required=True, help="out: the same table as CSV")


def main(args):
    summary = summarise(args.settings["models"], args.shapes, args.scores, args.latents)
    write_parquet(summary, args.out_parquet)
    write_csv(summary, args.out_csv)
    print(summary.to_string(), flush=True)
