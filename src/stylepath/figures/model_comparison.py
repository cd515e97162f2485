"""The models side by side, every replicate shown: covariance spectra, sphericity measures,
clustering scores against style and a PCA scatter per model, each in its own figure."""

import numpy as np
import pandas as pd
import seaborn as sns

from stylepath.config import model_label
from stylepath.figures.common import model_colours, model_order, new_figure, style_colours
from stylepath.figures.latent_space import explained_ratios, number, plot_pca_2d

SPHERICITY_MEASURES = {
    "sphericity": "sphericity (GM/AM of λ)",
    "effective_dim_fraction": "participation ratio / D",
    "condition_ratio": "condition ratio λmin/λmax",
}
HEATMAP_METRICS = {"ari": "ARI vs style", "nmi": "NMI vs style", "silhouette": "silhouette (no labels)"}


def plot_spectra(shapes: list[dict], palette):
    """Share of variance per principal component (log scale) and cumulated: a line per training
    run, coloured by model."""
    colours = model_colours(palette)
    fig, axes = new_figure(1, 2, width=4.6, height=3.4)
    labelled = set()
    for shape in sorted(shapes, key=lambda s: (model_order([s["model"]]), s["replicate"])):
        model, ratios = shape["model"], explained_ratios(shape)
        components = np.arange(1, len(ratios) + 1)
        style = {"color": colours.get(model), "marker": "o", "markersize": 2.5, "linewidth": 1, "alpha": 0.8}
        if model not in labelled:
            style["label"] = model_label(model)
            labelled.add(model)
        axes[0, 0].plot(components, np.clip(ratios, 1e-6, None), **style)
        axes[0, 1].plot(components, np.cumsum(ratios), **style)
    for dim in sorted({len(shape["eigenvalues"]) for shape in shapes}):
        axes[0, 0].axhline(1 / dim, color="0.4", linestyle="--", linewidth=1, label=f"sphere, D={dim}")
        axes[0, 1].plot([0, dim], [0, 1], color="0.4", linestyle="--", linewidth=1)
    axes[0, 0].set(
        yscale="log", xlabel="principal component", ylabel="share of variance", title="Explained-variance spectra"
    )
    axes[0, 1].set(
        xlabel="principal component", ylabel="cumulative share", ylim=(0, 1.02), title="Cumulative (dashed: a sphere)"
    )
    axes[0, 0].legend(fontsize="small")
    fig.suptitle("One line per model and replicate", fontsize="small")
    fig.tight_layout()
    return fig


HELD_OUT_ISOTROPY = "isotropy, held-out active part (the claims')"


def plot_sphericity(shapes: list[dict], palette):
    """The scale-free sphericity measures per model (1 = a sphere), on all images, and the
    isotropy of the held-out active part that the claims judge, with a tick at the lower edge of
    its N(0, I) band: a bar at the mean over replicates, a point per replicate."""
    rows = [
        {"model": model_label(shape["model"]), "measure": name, "value": shape[key], "replicate": shape["replicate"]}
        for shape in shapes
        for key, name in SPHERICITY_MEASURES.items()
    ]
    rows += [
        {"model": model_label(s["model"]), "measure": HELD_OUT_ISOTROPY, "value": s["held_out"]["isotropy"],
         "replicate": s["replicate"]}
        for s in shapes
        if "held_out" in s
    ]  # fmt: skip
    data = pd.DataFrame(rows).astype({"value": float})
    order = [model_label(m) for m in model_order(s["model"] for s in shapes)]
    fig, axes = new_figure(1, 1, width=max(4.5, 1.3 * len(order)), height=3.4)
    ax = axes[0, 0]
    common = {"x": "model", "y": "value", "hue": "measure", "order": order, "palette": palette, "ax": ax}
    sns.barplot(data, errorbar=None, alpha=0.5, **common)
    sns.stripplot(data, dodge=True, size=4, jitter=0.1, legend=False, edgecolor="0.2", linewidth=0.5, **common)
    ax.axhline(1, color="0.3", linestyle="--", linewidth=1)
    bands = [s["held_out"]["isotropy_band"][0] for s in shapes if "held_out" in s and s["held_out"]["isotropy_band"][0]]
    if bands:
        ax.axhline(min(bands), color="0.5", linestyle=":", linewidth=1, label="lowest lower edge of the N(0, I) bands")
    ax.set(xlabel="", ylabel="1 = spherical, 0 = flat", ylim=(0, 1.05), title="How spherical is each latent space?")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1), title="bar: mean; dot: a replicate")
    return fig


def plot_score_heatmaps(scores):
    """Heatmaps model x (algorithm, space) of ARI and NMI against style and of the silhouette,
    each the mean over replicates."""
    scores = scores.assign(method=scores["algorithm"] + "\n" + scores["space"])
    # Methods grouped by algorithm, in the order the analysis wrote them (the config's order).
    rank = {name: i for i, name in enumerate(dict.fromkeys([*scores["algorithm"], *scores["space"]]))}
    methods = scores.drop_duplicates("method").sort_values(["algorithm", "space"], key=lambda column: column.map(rank))[
        "method"
    ]
    models = model_order(scores["model"].unique())
    fig, axes = new_figure(3, 1, width=0.75 * scores["method"].nunique() + 1.6, height=0.4 * len(models) + 1.2)
    for ax, (metric, title) in zip(axes[:, 0], HEATMAP_METRICS.items()):
        chosen = scores[scores["metric"] == metric]
        table = chosen.pivot_table(index="model", columns="method", values="value", aggfunc="mean")
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
        ax.set(xlabel="", ylabel="", title=f"{title} (mean over replicates)")
        ax.tick_params(axis="x", labelsize="small", rotation=0)
    fig.tight_layout()
    return fig


def plot_pca_grid(shapes: list[dict], projections: list, palette):
    """PC1 vs PC2 of each model's first replicate (lowest seed), coloured by style, a panel per model."""
    first = {}
    for shape, projection in sorted(zip(shapes, projections), key=lambda pair: pair[0]["replicate"]):
        first.setdefault(shape["model"], (shape, projection))
    models = model_order(first)
    colours = style_colours(pd.concat([projection["style"] for _, projection in first.values()]), palette)
    ncols = min(3, len(models))
    nrows = -(-len(models) // ncols)
    fig, axes = new_figure(nrows, ncols, width=3.6, height=3.3)
    for ax, model in zip(axes.flat, models):
        shape, projection = first[model]
        plot_pca_2d(ax, projection, explained_ratios(shape), colours, legend=False)
        ax.set_title(f"{model_label(model)}, seed {shape['replicate']} (sphericity {number(shape['sphericity'])})")
    for ax in axes.flat[len(models) :]:
        ax.remove()
    handles = [axes.flat[0].scatter([], [], color=colour, s=25, label=style) for style, colour in colours.items()]
    right = 1 - 1.4 / fig.get_figwidth()  # 1.4 inches on the right for the legend
    fig.legend(handles=handles, title="style", loc="center left", bbox_to_anchor=(right, 0.5))
    fig.tight_layout(rect=(0, 0, right, 1))
    return fig
