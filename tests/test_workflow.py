"""The tiny workflow end to end, then: after one change, exactly the stale jobs re-run.

One module-scoped run of the whole tiny workflow; every other test is a dry run
(`snakemake -n`) of a copy of its config with one thing changed.
"""

import copy
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from workflow_utils import REPO, copy_workflow, planned_jobs, snakemake, tiny_config, write_config

from stylepath import sources
from stylepath.cli import COMMANDS, TOOLS

pytestmark = pytest.mark.workflow

MODELS = ["ae", "vae", "beta_vae", "aae", "tvae"]
REPLICATES = ["0", "1"]
CHAIN = ["train", "encode", "analyse", "select_pairs", "walks", "patterns"]
FIGURES = [
    "plot_data", "plot_training", "plot_reconstructions", "plot_analysis", "plot_trajectories", "plot_replicates"
]  # fmt: skip


def per_chain(*rules, models=MODELS, replicates=REPLICATES):
    """The jobs of `rules` for every model and replicate given."""
    return {(rule, model, replicate) for rule in rules for model in models for replicate in replicates}


def single(*rules):
    return {(rule, "", "") for rule in rules}


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
        for replicate in REPLICATES:
            latents = pd.read_parquet(results / "latents" / model / f"seed{replicate}.parquet")
            assert list(latents["image_id"]) == list(metadata["image_id"])
            style_loss = pd.read_parquet(results / "style_loss" / model / f"seed{replicate}.parquet")
            assert (style_loss.groupby(["instrument", "pair_id"])["step"].count() == 5 - 1).all()
            assert (style_loss["replicate"] == int(replicate)).all()
            assert list(style_loss["instrument"].unique()) == ["gatys", "portilla_simoncelli"]
            assert style_loss["total"].notna().all() and style_loss.groupby("instrument").size().nunique() == 1
            walks = pd.read_parquet(results / "patterns" / model / f"seed{replicate}" / "walks.parquet")
            assert list(walks["instrument"].unique()) == ["gatys", "portilla_simoncelli"]
    patterns = pd.read_parquet(results / "patterns" / "summary.parquet")
    assert list(patterns["instrument"].unique()) == ["gatys", "portilla_simoncelli"]
    assert sorted(p.name for p in (results / "figures" / "trajectories" / "summary").glob("*.png")) == [
        "gatys.png",
        "portilla_simoncelli.png",
    ]
    summary = pd.read_parquet(results / "analysis" / "summary.parquet")
    assert sorted(zip(summary["model"], summary["replicate"].astype(str))) == sorted(
        (m, r) for m in MODELS for r in REPLICATES
    )
    findings = pd.read_csv(results / "report" / "findings.csv")
    # 6 latent claims, then 3 trajectory claims x 2 instruments x 2 readings of the horseshoe
    assert len(findings) == 6 + 3 * 2 * 2
    assert set(findings["verdict"]) <= {"supported", "contradicted", "inconclusive"}
    assert set(findings["instrument"].dropna()) == {"gatys", "portilla_simoncelli"}
    controls = pd.read_csv(results / "report" / "controls.csv")
    assert len(controls) == 11 and set(controls["expected"]) == {"supported", "contradicted"}
    agreement = pd.read_csv(results / "report" / "instrument_agreement.csv")
    assert len(agreement) == 3 * 2 and {"gatys", "portilla_simoncelli", "agreement", "median_curve_rho"} <= set(
        agreement.columns
    )
    assert (findings["data"].str.startswith("synthetic")).all()
    assert sorted(p.name for p in (results / "figures" / "analysis" / "chains").glob("*.png")) == sorted(
        f"{m}_seed{r}.png" for m in MODELS for r in REPLICATES
    )


def test_training_seed_is_the_replicate_and_the_data_seed_stays(workdir):
    results = workdir / "results" / "tiny"
    import torch

    first, second = (torch.load(results / "models" / "vae" / f"seed{r}" / "model.pt") for r in REPLICATES)
    assert (first["settings"]["seed"], second["settings"]["seed"]) == (0, 1)
    assert not torch.equal(first["state_dict"]["decoder.linear.weight"], second["state_dict"]["decoder.linear.weight"])
    pairs = [pd.read_parquet(results / "pairs" / "vae" / f"seed{r}.parquet") for r in REPLICATES]
    random = [p.query("criterion == 'random'")[["image_id_a", "image_id_b"]] for p in pairs]
    pd.testing.assert_frame_equal(random[0], random[1])  # the same random pairs of images in both


def test_nothing_to_do_when_up_to_date(workdir):
    assert planned_jobs(workdir) == set()


def test_interpolation_steps_rerun_trajectories_only(workdir):
    jobs = changed(workdir, lambda c: c["interpolation"].update(steps=6))
    assert jobs == per_chain("walks", "patterns") | single(
        "summarise_patterns", "plot_trajectories", "summarise_run", "plot_replicates", "explorer",
        "calibrate", "plot_calibration",  # the calibration walks have the run's number of steps
    )  # fmt: skip


def test_figure_setting_reruns_figures_only(workdir):
    jobs = changed(workdir, lambda c: c["figures"].update(dpi=61))
    assert jobs == single(*FIGURES, "plot_calibration")


def test_explorer_caps_rerun_the_explorer_only(workdir):
    jobs = changed(workdir, lambda c: c.setdefault("explorer", {}).update(max_walks=3))
    assert jobs == single("explorer")


def test_explorer_page_is_written_and_self_contained(workdir):
    page = (workdir / "results" / "tiny" / "report" / "explorer.html").read_text()
    assert "stylepath explorer" in page and page.count("data:image/webp;base64,") > 4 * 16
    assert "<script src=" not in page and '<script type="text/javascript" src=' not in page


def test_one_models_hyperparameter_reruns_that_models_replicates_only(workdir):
    jobs = changed(workdir, lambda c: c["training"].setdefault("aae", {}).update(disc_lr=0.0003))
    assert jobs == per_chain(*CHAIN, models=["aae"]) | single(
        "summarise_analysis", "controls", "summarise_patterns", "summarise_run", "explorer", *FIGURES[1:]
    )


def test_the_vaes_training_reruns_the_tvaes_triplet_check_too(workdir):
    jobs = changed(workdir, lambda c: c["training"].setdefault("vae", {}).update(lr=0.002))
    assert {(rule, model) for rule, model, _ in jobs if model} == {(rule, "vae") for rule in CHAIN} | {
        ("analyse", "tvae")
    }


def test_adding_a_seed_runs_only_that_seeds_chains_and_the_summaries(workdir):
    jobs = changed(workdir, lambda c: c.update(replicates=[0, 1, 2]))
    assert jobs == per_chain(*CHAIN, replicates=["2"]) | single(
        "summarise_analysis", "controls", "summarise_patterns", "summarise_run", "explorer", *FIGURES[1:]
    )


def test_calibration_setting_reruns_the_calibration_only(workdir):
    jobs = changed(workdir, lambda c: c.setdefault("calibration", {}).update(noise_walks=21))
    assert jobs == single("calibrate", "plot_calibration", "explorer")


def test_clustering_setting_reruns_analysis_only(workdir):
    jobs = changed(workdir, lambda c: c["analysis"]["clustering"].update(n_bootstrap=11))
    summaries = single(
        "summarise_analysis", "controls", "plot_analysis", "summarise_run", "plot_replicates", "explorer"
    )
    assert jobs == per_chain("analyse") | summaries


def edited(workdir, path):
    """Dry-run jobs after appending a comment to `path` (a content change: Snakemake compares
    what it recorded, so a touch would not do)."""
    module = workdir / path
    original = module.read_text()
    try:
        module.write_text(original + "\n# edited\n")
        return planned_jobs(workdir)
    finally:
        module.write_text(original)


@pytest.fixture(scope="module")
def downstream(workdir):
    """rule -> the rule and every rule that consumes its outputs, directly or not (--rulegraph)."""
    dot = snakemake(workdir, "--rulegraph").stdout
    names = dict(re.findall(r'^\s*(\d+)\[label = "(\w+)"', dot, re.M))
    consumers = {name: set() for name in names.values()}
    for producer, consumer in re.findall(r"^\s*(\d+) -> (\d+)", dot, re.M):
        consumers[names[producer]].add(names[consumer])

    def closure(rule):
        found, todo = set(), [rule]
        while todo:
            name = todo.pop()
            if name not in found:
                found.add(name)
                todo += consumers[name]
        return found - {"all"}

    return {rule: closure(rule) for rule in consumers}


def test_editing_a_stage_module_reruns_that_stage_and_downstream(workdir):
    jobs = edited(workdir, "src/stylepath/walks.py")
    assert jobs == per_chain("walks", "patterns") | single(
        "summarise_patterns", "plot_trajectories", "summarise_run", "plot_replicates", "explorer"
    )


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "download" and c not in TOOLS])
def test_editing_one_stages_command_plans_no_job_of_another_stage(workdir, downstream, command):
    rule = command.replace("-", "_")
    path = Path(sources.module_file(COMMANDS[command][0])).relative_to(REPO)
    planned = {job_rule for job_rule, _, _ in edited(workdir, path)}
    assert rule in planned
    assert planned <= downstream[rule], f"editing {path} plans {sorted(planned - downstream[rule])}"


def test_editing_the_diagnostics_reruns_only_the_analysis_and_what_reads_it(workdir, downstream):
    planned = {rule for rule, _, _ in edited(workdir, "src/stylepath/diagnostics.py")}
    assert "analyse" in planned and planned <= downstream["analyse"]


def test_editing_shared_geometry_or_the_aaes_file_retrains_no_ae(workdir):
    for path in ["src/stylepath/geometry.py", "src/stylepath/models/aae.py"]:
        jobs = edited(workdir, path)
        assert not {job for job in jobs if job[:2] == ("train", "ae")}, path
        assert {(rule, model) for rule, model, _ in jobs if rule == "train"} <= {
            (rule, model) for rule, model, _ in per_chain("train")
        }
    aae_jobs = edited(workdir, "src/stylepath/models/aae.py")
    assert {(rule, model) for rule, model, _ in aae_jobs if rule in ("train", "encode")} == {
        ("train", "aae"),
        ("encode", "aae"),
    }


def test_a_finished_run_moved_elsewhere_plans_nothing(workdir, tmp_path):
    moved = tmp_path / "moved checkout"
    shutil.copytree(workdir, moved, symlinks=True)
    assert planned_jobs(moved) == set()


def test_report_is_one_self_contained_file_with_captioned_figures(workdir):
    snakemake(workdir, "--report", "report.html")
    html = (workdir / "report.html").read_text()
    assert len(html) > 100_000
    for name in ["summary.html", "spectra.png", "diagnostics.png", "replicates.png", "contact_sheet.png",
                 "aae_seed1.png", "tvae.png", "explorer.html"]:  # fmt: skip
        assert name in html
    captions = sorted((workdir / "workflow" / "report").glob("*.rst"))
    rules = "".join(p.read_text() for p in (workdir / "workflow" / "rules").glob("*.smk"))
    assert rules.count("report(") == rules.count("caption=") > 10
    for caption in captions:
        assert len(caption.read_text().split()) > 20, f"{caption.name} says too little"
