"""The models side by side: covariance spectra, sphericity measures, clustering scores against
style and a PCA scatter per model, each in its own figure."""

import numpy as np
import pandas as pd
import seaborn as sns

from stylepath.config import model_label
from stylepath.figures.analysis import explained_ratios, number, plot_pca_2d
from stylepath.figures.common import model_colours, model_order, new_figure, style_colours
from stylepath.io import StylepathError, read_json, save_figure

SPHERICITY_MEASURES = {
    "sphericity": "sphericity (GM/AM of λ)",
    "effective_dim_fraction": "participation ratio / D",
    "condition_ratio": "condition ratio λmin/λmax",
}
HEATMAP_METRICS = {"ari": "ARI vs style", "nmi": "NMI vs style", "silhouette": "silhouette (no labels)"}


def plot_spectra(shapes, palette):
    """Share of variance per principal component (log scale) and cumulated, one line per model."""
    colours = model_colours(palette)
    fig, axes = new_figure(1, 2, width=4.6, height=3.4)
    for model in model_order(shapes):
        ratios = explained_ratios(shapes[model])
        components = np.arange(1, len(ratios) + 1)
        style = {"color": colours.get(model), "marker": "o", "markersize": 3, "label": model_label(model)}
        axes[0, 0].plot(components, np.clip(ratios, 1e-6, None), **style)
        axes[0, 1].plot(components, np.cumsum(ratios), **style)
    for dim in sorted({len(shape["eigenvalues"]) for shape in shapes.values()}):
        axes[0, 0].axhline(1 / dim, color="0.4", linestyle="--", linewidth=1, label=f"sphere, D={dim}")
        axes[0, 1].plot([0, dim], [0, 1], color="0.4", linestyle="--", linewidth=1)
    axes[0, 0].set(
        yscale="log", xlabel="principal component", ylabel="share of variance", title="Explained-variance spectra"
    )
    axes[0, 1].set(
        xlabel="principal component", ylabel="cumulative share", ylim=(0, 1.02), title="Cumulative (dashed: a sphere)"
    )
    axes[0, 0].legend(fontsize="small")
    fig.tight_layout()
    return fig


def plot_sphericity(shapes, palette):
    """Bars of the three scale-free sphericity measures per model (1 = a sphere)."""
    rows = [
        {"model": model_label(model), "measure": name, "value": shapes[model][key]}
        for model in model_order(shapes)
        for key, name in SPHERICITY_MEASURES.items()
    ]
    data = pd.DataFrame(rows).astype({"value": float})
    fig, axes = new_figure(1, 1, width=max(4.5, 1.3 * len(shapes)), height=3.4)
    ax = axes[0, 0]
    sns.barplot(data, x="model", y="value", hue="measure", palette=palette, ax=ax)
    ax.axhline(1, color="0.3", linestyle="--", linewidth=1)
    ax.set(xlabel="", ylabel="1 = spherical, 0 = flat", ylim=(0, 1.05), title="How spherical is each latent space?")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def plot_score_heatmaps(scores):
    """Heatmaps model x (algorithm, space) of ARI and NMI against style and of the silhouette."""
    scores = scores.assign(method=scores["algorithm"] + "\n" + scores["space"])
    # Methods grouped by algorithm, in the order the analysis wrote them (the config's order).
    rank = {name: i for i, name in enumerate(dict.fromkeys([*scores["algorithm"], *scores["space"]]))}
    methods = scores.drop_duplicates("method").sort_values(["algorithm", "space"], key=lambda column: column.map(rank))[
        "method"
    ]
    models = model_order(scores["model"].unique())
    fig, axes = new_figure(3, 1, width=0.75 * scores["method"].nunique() + 1.6, height=0.4 * len(models) + 1.2)
    for ax, (metric, title) in zip(axes[:, 0], HEATMAP_METRICS.items()):
        table = scores[scores["metric"] == metric].pivot(index="model", columns="method", values="value")
        table = table.reindex(index=models, columns=[m for m in methods if m in table.columns]).rename(
            index=model_label
        )
        low = -1 if metric == "silhouette" else 0
        sns.heatmap(
            table,
            annot=True,
            fmt=".2f",
            vmin=low,
            vmax=1,
            cmap="vlag" if low < 0 else "viridis",
            center=0 if low < 0 else None,
            cbar=False,
            ax=ax,
            annot_kws={"fontsize": "small"},
        )
        ax.set(xlabel="", ylabel="", title=title)
        ax.tick_params(axis="x", labelsize="small", rotation=0)
    fig.tight_layout()
    return fig


def plot_pca_grid(shapes, projections, palette):
    """PC1 vs PC2 of each model, coloured by style, one panel per model."""
    models = model_order(projections)
    colours = style_colours(pd.concat([p["style"] for p in projections.values()]), palette)
    ncols = min(3, len(models))
    nrows = -(-len(models) // ncols)
    fig, axes = new_figure(nrows, ncols, width=3.6, height=3.3)
    for ax, model in zip(axes.flat, models):
        plot_pca_2d(ax, projections[model], explained_ratios(shapes[model]), colours, legend=False)
        ax.set_title(f"{model_label(model)} (sphericity {number(shapes[model]['sphericity'])})")
    for ax in axes.flat[len(models) :]:
        ax.remove()
    handles = [axes.flat[0].scatter([], [], color=colour, s=25, label=style) for style, colour in colours.items()]
    fig.legend(handles=handles, title="style", loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


def add_arguments(parser):
    parser.add_argument("--shapes", nargs="+", required=True, help="analysis/<model>/shape.json of every model")
    parser.add_argument("--scores", nargs="+", required=True, help="analysis/<model>/clustering_scores.parquet")
    parser.add_argument(
        "--projections",
        nargs="+",
        required=True,
        help="analysis/<model>/pca_projections.parquet, in the order of --shapes",
    )
    parser.add_argument("--spectra", required=True, help="out: PNG of the spectra")
    parser.add_argument("--sphericity", required=True, help="out: PNG of the sphericity bars")
    parser.add_argument("--heatmap", required=True, help="out: PNG of the score heatmaps")
    parser.add_argument("--pca-grid", required=True, help="out: PNG of the PCA scatter per model")


def main(args):
    figures = args.settings["figures"]
    palette, dpi = figures["palette"], figures["dpi"]
    if len(args.shapes) != len(args.projections):
        raise StylepathError("give one --projections file per --shapes file, in the same model order")
    shapes = {shape["model"]: shape for shape in map(read_json, args.shapes)}
    scores = pd.concat([pd.read_parquet(path) for path in args.scores], ignore_index=True)
    projections = {model: pd.read_parquet(path) for model, path in zip(shapes, args.projections)}
    save_figure(plot_spectra(shapes, palette), args.spectra, dpi)
    save_figure(plot_sphericity(shapes, palette), args.sphericity, dpi)
    save_figure(plot_score_heatmaps(scores), args.heatmap, dpi)
    save_figure(plot_pca_grid(shapes, projections, palette), args.pca_grid, dpi)
