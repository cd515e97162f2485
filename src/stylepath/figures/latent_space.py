"""One training run's latent space in one figure: the covariance spectrum, PCA views coloured by
style, the k-means cluster-vs-style confusion per space and the clustering scores."""

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from stylepath.config import model_label
from stylepath.figures.common import count_heatmap, new_figure, style_colours


def marker_size(n_points):
    """Scatter marker area that keeps a few dozen and tens of thousands of points readable."""
    return float(np.clip(3000 / max(n_points, 1), 2, 25))


def number(value, digits=2):
    """A measure for a figure label: `digits` decimals, 'n/a' for a missing (None/NaN) value."""
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def explained_ratios(shape):
    """Share of the total variance along each principal axis, from shape.json's eigenvalues, (D,)."""
    eigenvalues = np.asarray(shape["eigenvalues"], dtype=float)
    return eigenvalues / eigenvalues.sum()


def plot_spectrum(ax, shape):
    """Explained-variance ratio per component (bars) and cumulated (line); dashed: a sphere's 1/D."""
    ratios = explained_ratios(shape)
    components = np.arange(1, len(ratios) + 1)
    ax.bar(components, ratios, color="0.55", label="per component")
    ax.plot(components, np.cumsum(ratios), "o-", color="0.15", markersize=3, label="cumulative")
    ax.axhline(1 / len(ratios), color="tab:red", linestyle="--", linewidth=1, label="sphere (1/D)")
    ax.set(xlabel="principal component", ylabel="share of variance", ylim=(0, 1.02))
    ax.set_title(
        f"Covariance spectrum\nsphericity {number(shape['sphericity'])},"
        f" condition ratio {number(shape['condition_ratio'], 3)}"
    )
    ax.set_xticks(components if len(components) <= 16 else components[:: len(components) // 8])
    ax.legend(loc="center right", fontsize="small")


def axis_label(component, ratios):
    return f"PC{component} ({100 * ratios[component - 1]:.0f}%)"


def plot_pca_2d(ax, projections, ratios, colours, legend=True):
    """PC1 vs PC2 of every image, coloured by style, on equal axes."""
    size = marker_size(len(projections))
    for style, group in projections.groupby("style", sort=True):
        ax.scatter(
            group["pc1"],
            group["pc2"],
            s=size,
            alpha=0.6,
            color=colours[style],
            label=style,
            linewidths=0,
            rasterized=True,
        )
    ax.set(xlabel=axis_label(1, ratios), ylabel=axis_label(2, ratios))
    ax.set_aspect("equal", adjustable="datalim")  # true shape: an oblong cloud looks oblong
    if legend:
        ax.legend(fontsize="small", markerscale=max(1, 12 / size) ** 0.5, loc="best")


def plot_pca_3d(ax, projections, ratios, colours):
    """PC1-PC3 of every image in 3-D, coloured by style."""
    size = marker_size(len(projections))
    for style, group in projections.groupby("style", sort=True):
        ax.scatter(
            group["pc1"],
            group["pc2"],
            group["pc3"],
            s=size,
            alpha=0.6,
            color=colours[style],
            linewidths=0,
            rasterized=True,
        )
    ax.set_xlabel(axis_label(1, ratios), fontsize="small")
    ax.set_ylabel(axis_label(2, ratios), fontsize="small")
    ax.set_zlabel(axis_label(3, ratios), fontsize="small")
    ax.tick_params(labelsize="x-small")
    ax.view_init(elev=20, azim=-60)
    ax.set_title("PCA, 3-D")


def matched_crosstab(styles, clusters):
    """Counts style x cluster, cluster columns ordered so each style's best match is on the diagonal.

    The matching maximises the images on the diagonal (Hungarian algorithm); unmatched
    clusters (and HDBSCAN noise, -1) follow.
    """
    counts = pd.crosstab(pd.Series(styles, name="style"), pd.Series(clusters, name="cluster"))
    rows, cols = linear_sum_assignment(-counts.to_numpy())
    matched = [counts.columns[c] for _, c in sorted(zip(rows, cols))]
    order = matched + [c for c in counts.columns if c not in matched]
    return counts[order]


def plot_confusion(ax, styles, clusters, title):
    """Heatmap of the share of each style's images in each cluster, annotated with counts."""
    counts = matched_crosstab(styles, clusters)
    shares = counts.div(counts.sum(axis=1), axis=0)
    count_heatmap(ax, shares, counts)
    ax.set(xlabel="cluster", ylabel="", title=title)


def plot_scores(ax, scores):
    """ARI and NMI against style, with bootstrap intervals, per algorithm and space."""
    wanted = scores[scores["metric"].isin(["ari", "nmi"])].copy()
    wanted["method"] = wanted["algorithm"] + " / " + wanted["space"]
    methods = list(dict.fromkeys(wanted["method"]))
    for offset, (metric, colour) in zip((-0.15, 0.15), (("ari", "tab:blue"), ("nmi", "tab:orange"))):
        rows = wanted[wanted["metric"] == metric].set_index("method").loc[methods]
        y = np.arange(len(methods)) + offset
        error = np.abs(rows[["ci_low", "ci_high"]].to_numpy().T - rows["value"].to_numpy())
        ax.errorbar(rows["value"], y, xerr=error, fmt="o", color=colour, markersize=4, capsize=2, label=metric.upper())
    ax.set_yticks(np.arange(len(methods)), methods, fontsize="small")
    ax.invert_yaxis()
    ax.axvline(0, color="0.5", linewidth=0.8)
    ax.set(xlabel="score against style", xlim=(min(-0.05, ax.get_xlim()[0]), 1.02), title="Clusters vs style")
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)


def plot_model(shape, projections, scores, labels, palette):
    """The 2 x 3 figure of one training run (model and replicate)."""
    model = shape["model"]
    colours = style_colours(projections["style"], palette)
    ratios = explained_ratios(shape)
    fig, axes = new_figure(2, 3, width=4.4, height=3.6)
    plot_spectrum(axes[0, 0], shape)
    plot_pca_2d(axes[0, 1], projections, ratios, colours)
    axes[0, 1].set_title("PCA, 2-D")
    axes[0, 2].remove()
    if "pc3" in projections:
        plot_pca_3d(fig.add_subplot(2, 3, 3, projection="3d"), projections, ratios, colours)
    kmeans = labels[labels["algorithm"] == "kmeans"].merge(projections[["image_id", "style"]], on="image_id")
    spaces = list(dict.fromkeys(kmeans["space"]))[:2]
    for ax, space in zip(axes[1, :2], spaces):
        group = kmeans[kmeans["space"] == space]
        ari = scores.query("algorithm == 'kmeans' and space == @space and metric == 'ari'")["value"].iloc[0]
        plot_confusion(
            ax, group["style"].to_numpy(), group["cluster"].to_numpy(), f"k-means in {space} space (ARI {number(ari)})"
        )
    for ax in axes[1, len(spaces) : 2]:
        ax.remove()
    plot_scores(axes[1, 2], scores)
    fig.suptitle(
        f"{model_label(model)}: latent space ({shape['n_images']} images, {shape['latent_dim']} dimensions)",
        fontweight="bold",
    )
    fig.tight_layout()
    return fig
