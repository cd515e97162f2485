"""`stylepath plot-analysis`: each training run's latent space (latent_space.py), the models side
by side (analysis_summary.py) and whether each reached its objective (diagnostics.py)."""

from pathlib import Path

import pandas as pd

from stylepath.figures.latent_space import plot_model
from stylepath.figures.model_comparison import plot_pca_grid, plot_score_heatmaps, plot_spectra, plot_sphericity
from stylepath.figures.objective_checks import diagnostics_figure
from stylepath.io import StylepathError, read_json, save_figure

LIST_INPUTS = ("shapes", "projections", "scores", "labels", "diagnostics")
OUTPUTS = ("chains", "spectra", "sphericity", "heatmap", "pca_grid", "diagnostics_figure")


def main(args):
    figures = args.settings["figures"]
    palette, dpi = figures["palette"], figures["dpi"]
    if not len(args.shapes) == len(args.projections) == len(args.scores) == len(args.labels):
        raise StylepathError("give one --projections, --scores and --labels file per --shapes file, in the same order")
    shapes = [read_json(path) for path in args.shapes]
    projections = [pd.read_parquet(path) for path in args.projections]
    scores = [pd.read_parquet(path) for path in args.scores]
    out = Path(args.chains)
    out.mkdir(parents=True, exist_ok=True)
    for shape, projection, score, labels in zip(shapes, projections, scores, args.labels):
        fig = plot_model(shape, projection, score, pd.read_parquet(labels), palette)
        save_figure(fig, out / f"{shape['model']}_seed{shape['replicate']}.png", dpi)
    all_scores = pd.concat(scores, ignore_index=True)
    save_figure(plot_spectra(shapes, palette), args.spectra, dpi)
    save_figure(plot_sphericity(shapes, palette), args.sphericity, dpi)
    save_figure(plot_score_heatmaps(all_scores), args.heatmap, dpi)
    save_figure(plot_pca_grid(shapes, projections, palette), args.pca_grid, dpi)
    save_figure(diagnostics_figure([read_json(path) for path in args.diagnostics]), args.diagnostics_figure, dpi)
