"""The tiny workflow end to end, then: after one change, exactly the stale jobs re-run.

One module-scoped run of the whole tiny workflow; every other test is a dry run
(`snakemake -n`) of a copy of its config with one thing changed.
"""

import copy

import pandas as pd
import pytest
from workflow_utils import copy_workflow, planned_jobs, snakemake, tiny_config, write_config

pytestmark = pytest.mark.workflow

MODELS = ["ae", "vae", "beta_vae", "aae", "tvae"]


def per_model(*rules, models=MODELS):
    return {(rule, model) for rule in rules for model in models}


def single(*rules):
    return {(rule, "") for rule in rules}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A copy of the workflow in which the tiny run has completed."""
    workdir = copy_workflow(tmp_path_factory.mktemp("tiny"))
    snakemake(workdir, "--cores", "2")
    return workdir


def changed(workdir, edit):
    """Dry-run jobs after applying `edit` to a copy of the tiny config."""
    config = copy.deepcopy(tiny_config())
    edit(config)
    write_config(workdir / "changed.yaml", config)
    return planned_jobs(workdir, configfile="changed.yaml")


def test_run_writes_every_stage(workdir):
    results = workdir / "results" / "tiny"
    metadata = pd.read_parquet(results / "data" / "metadata.parquet")
    assert len(metadata) == 4 * 16
    for model in MODELS:
        latents = pd.read_parquet(results / "latents" / f"{model}.parquet")
        assert list(latents["image_id"]) == list(metadata["image_id"])
        style_loss = pd.read_parquet(results / "style_loss" / f"{model}.parquet")
        assert (style_loss.groupby("pair_id")["step"].count() == 5 - 1).all()
    assert (results / "report" / "summary.csv").exists()


def test_nothing_to_do_when_up_to_date(workdir):
    assert planned_jobs(workdir) == set()


def test_interpolation_steps_rerun_trajectories_only(workdir):
    jobs = changed(workdir, lambda c: c["interpolation"].update(steps=6))
    assert jobs == per_model("interpolate", "style_loss", "patterns", "plot_trajectories") | single(
        "summarise_patterns", "plot_patterns_summary", "summarise_run"
    )


def test_figure_setting_reruns_figures_only(workdir):
    jobs = changed(workdir, lambda c: c["figures"].update(dpi=61))
    assert jobs == per_model("plot_training", "plot_reconstructions", "plot_analysis", "plot_trajectories") | single(
        "plot_analysis_summary", "plot_patterns_summary"
    )


def test_one_models_hyperparameter_reruns_that_model_only(workdir):
    jobs = changed(workdir, lambda c: c["training"].setdefault("aae", {}).update(disc_lr=0.0003))
    assert {model for _, model in jobs} == {"aae", ""}
    assert jobs >= per_model("train", "encode", "analyse", "select_pairs", "style_loss", models=["aae"])
    assert not any(rule == "prepare_data" for rule, _ in jobs)


def test_clustering_setting_reruns_analysis_only(workdir):
    jobs = changed(workdir, lambda c: c["analysis"]["clustering"].update(n_bootstrap=11))
    assert jobs == per_model("analyse", "plot_analysis") | single(
        "summarise_analysis", "plot_analysis_summary", "summarise_run"
    )


def test_editing_a_stage_module_reruns_that_stage_and_downstream(workdir):
    module = workdir / "src" / "stylepath" / "style_loss.py"
    original = module.read_text()
    try:
        module.write_text(original + "\n# edited\n")
        jobs = planned_jobs(workdir)
    finally:
        module.write_text(original)
    assert jobs == per_model("style_loss", "patterns", "plot_trajectories") | single(
        "summarise_patterns", "plot_patterns_summary", "summarise_run"
    )


def test_report_is_one_self_contained_file_with_captioned_figures(workdir):
    snakemake(workdir, "--report", "report.html")
    html = (workdir / "report.html").read_text()
    assert len(html) > 100_000
    for name in ["summary.html", "spectra.png", "aae_curves.png", "tvae.png"]:
        assert name in html
    captions = sorted((workdir / "workflow" / "report").glob("*.rst"))
    rules = "".join(p.read_text() for p in (workdir / "workflow" / "rules").glob("*.smk"))
    assert rules.count("report(") == rules.count("caption=") > 10
    for caption in captions:
        assert len(caption.read_text().split()) > 20, f"{caption.name} says too little"
