"""Did each model reach its objective? One panel per check of stylepath.diagnostics: its value
for every model and replicate (a dot, green when the check passed, red when it failed) and the
range it must lie in (dashed bounds). Sphericity is no check (it is a claim of the study, judged
in the findings), so it has no panel here."""

from stylepath.config import model_label
from stylepath.figures.common import model_order, new_figure

PASSED, FAILED = "tab:green", "tab:red"


def diagnostics_figure(diagnostics: list[dict]):
    """diagnostics: the diagnostics.json of every training run."""
    models = model_order(d["model"] for d in diagnostics)
    statistics = list(dict.fromkeys(c["statistic"] for d in diagnostics for c in d["checks"]))
    ncols = min(3, len(statistics))
    fig, axes = new_figure(-(-len(statistics) // ncols), ncols, width=3.4, height=2.6)
    reached = {m: [d["reached_objective"] for d in diagnostics if d["model"] == m] for m in models}
    ticks = [f"{model_label(m)}\n{sum(reached[m])}/{len(reached[m])}" for m in models]
    for ax, statistic in zip(axes.flat, statistics):
        bounds = set()
        for run in diagnostics:
            for check in run["checks"]:
                if check["statistic"] != statistic:
                    continue
                x = models.index(run["model"]) + 0.08 * (run["training_seed"] % 5 - 2)
                ax.scatter(x, check["value"], s=22, color=PASSED if check["passed"] else FAILED, zorder=3)
                bounds.update(b for b in (check["low"], check["high"]) if b is not None)
        for bound in bounds:
            ax.axhline(bound, color="0.3", linestyle="--", linewidth=1)
        if statistic == "MMD p-value":
            ax.set_yscale("log")
        ax.set_xticks(range(len(models)), ticks, fontsize="x-small")
        ax.set_xlim(-0.5, len(models) - 0.5)
        ax.set_title(statistic, fontsize="small")
    for ax in axes.flat[len(statistics) :]:
        ax.remove()
    fig.suptitle(
        "Did each model reach its objective? (under each model: replicates that did / all; "
        "green: check passed, red: failed; dashed: the bounds)",
        fontsize="small",
    )
    fig.tight_layout()
    return fig
