"""`stylepath estimate`: the cost of a config predicted from benchmarks/scaling_results.json."""

from pathlib import Path

import pytest

from stylepath import cli, estimate

REPO = Path(__file__).resolve().parents[1]
TINY, DEMO, STUDY = REPO / "tests" / "config" / "tiny.yaml", REPO / "config.yaml", REPO / "config" / "study.yaml"


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)  # FILE is layered over ./config.yaml, as snakemake --configfile does


def predicted(path):
    return estimate.predict(estimate.read_config(path), estimate.read_measurements(estimate.MEASUREMENTS))


def stage(prediction, series):
    return next(row for row in prediction["stages"] if row["series"] == series)


def test_the_study_costs_more_than_the_demo_and_the_demo_more_than_the_tiny_run():
    tiny, demo, study = predicted(TINY), predicted(DEMO), predicted(STUDY)
    for machine in estimate.MACHINES:
        assert tiny["machines"][machine]["seconds"] < demo["machines"][machine]["seconds"]
        assert demo["machines"][machine]["seconds"] < study["machines"][machine]["seconds"]
    disk = [sum(row["disk_bytes"] for row in p["stages"]) for p in (tiny, demo, study)]
    assert disk == sorted(disk) and disk[0] < disk[2]
    train = [sum(row["job_seconds"] for row in p["stages"] if row["stage"] == "train") for p in (demo, study)]
    assert train[0] < train[1]


def test_the_images_disk_figure_is_n_h_w_3_bytes():
    tiny, study = predicted(TINY), predicted(STUDY)
    assert stage(tiny, "prepare_data")["disk_bytes"] == 4 * 16 * 32 * 32 * 3  # 4 styles x 16, 32 px
    assert stage(study, "prepare_data")["disk_bytes"] == 4 * 6000 * 64 * 64 * 3  # ArtBench: 6,000 per style, 64 px
    walks = study["sizes"]["walks"]
    assert walks == 25 * (4 + 3 * 6)  # 4 criteria of 25 walks, 3 of 25 per pair of styles (6 pairs of 4)
    walk_images = stage(study, "walks")["jobs"] * walks * 10 * 64 * 64 * 3
    assert walk_images < stage(study, "walks")["disk_bytes"] < 1.05 * walk_images  # and the style-loss tables (~1%)


def test_the_walks_job_pays_one_start_up_for_the_decoding_and_every_instrument():
    results = estimate.read_measurements(estimate.MEASUREMENTS)
    config = estimate.read_config(DEMO)
    walks = stage(estimate.predict(config, results), "walks")
    parts_run = [series for _, series in walks["parts"]]
    assert parts_run == ["interpolate", "style_loss:gatys", "style_loss:portilla_simoncelli"]
    at, extra = estimate.sizes(config)
    parts = [estimate.part_seconds(config, results, *part, at, extra, 1) for part in walks["parts"]]
    startups = [estimate.startup_seconds(results, series) for _, series in walks["parts"]]
    assert min(startups) > 0.3  # each measured child imports torch
    assert walks["seconds_per_job"] == pytest.approx(max(startups) + sum(work for work, _ in parts))
    assert walks["seconds_per_job"] < sum(startups) + sum(work for work, _ in parts)


def test_every_figure_says_how_it_is_known():
    study = predicted(STUDY)
    assert {row["seconds_basis"] for row in study["stages"]} <= {"measured", "extrapolated"}
    assert {row["memory_basis"] for row in study["stages"]} <= {"measured", "extrapolated"}
    assert all(row["disk_basis"].startswith(("measured", "extrapolated", "computed")) for row in study["stages"])
    workstation = study["machines"]["16-core CPU workstation"]["basis"]
    assert "threads beyond 2 assumed" in workstation and "scheduling assumed" in workstation  # 8 threads per job
    assert study["machines"]["16-core CPU workstation"]["seconds"] < study["machines"]["2-core CPU"]["seconds"]
    assert stage(study, "train:aae")["jobs"] == 3 and stage(study, "train:aae")["threads"] == 2  # capped at 2 cores


def test_the_command_prints_the_table_with_its_bases(capsys):
    cli.main(["estimate", "--configfile", str(STUDY)])
    out = capsys.readouterr().out
    assert "24000 images of 64 px, 15 chains, 550 walks of 10 steps per chain" in out
    assert "walks: one job runs interpolate, style_loss:gatys" in out and "measured" in out and "assumed" in out
    assert "one GPU" in out and estimate.GPU_NOTE in out


def test_a_bad_config_gives_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="stylepath estimate: error: config file .*missing.yaml does not exist"):
        cli.main(["estimate", "--configfile", str(tmp_path / "missing.yaml")])
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataset:\n  image_size: 48\n")
    with pytest.raises(SystemExit, match="(?s)not a valid stylepath config.*48 is not one of"):
        cli.main(["estimate", "--configfile", str(bad)])
    folder = tmp_path / "folder.yaml"
    folder.write_text("dataset:\n  source: folder\n")
    with pytest.raises(SystemExit, match="give the number of images with --n-images"):
        cli.main(["estimate", "--configfile", str(folder)])
    with pytest.raises(SystemExit, match="scaling measurements .* do not exist"):
        cli.main(["estimate", "--configfile", str(TINY), "--measurements", str(tmp_path / "none.json")])


def test_the_high_pass_input_scales_training_by_its_measured_ratio():
    results = estimate.read_measurements(estimate.MEASUREMENTS)
    results["encoder_input"] = {
        "ae": {"image": 1.0, "image_and_high_pass": 1.25},
        "aae": {"image": 1.0, "image_and_high_pass": 1.5},
    }
    config = estimate.read_config(STUDY)
    plain = estimate.predict(config, results)
    config["training"]["shared"]["encoder_input"] = "image_and_high_pass"
    high_pass = estimate.predict(config, results)
    assert plain["encoder_input"] == {}
    assert high_pass["encoder_input"]["vae"] == ("image_and_high_pass", 1.25)  # the AE's ratio for a model not measured
    for model, factor in (("vae", 1.25), ("aae", 1.5)):
        before, after = stage(plain, f"train:{model}"), stage(high_pass, f"train:{model}")
        startup = estimate.startup_seconds(results, f"train:{model}")
        epochs_before = before["seconds_per_job"] - startup
        # the AAE's warm-up is not scaled: 2% of its job
        assert after["seconds_per_job"] - startup == pytest.approx(epochs_before * factor, rel=0.02)
    assert stage(high_pass, "encode")["seconds_per_job"] == stage(plain, "encode")["seconds_per_job"]
    assert "train with encoder_input image_and_high_pass: epochs" in estimate.report(high_pass, results, "x.yaml")
    del results["encoder_input"]
    with pytest.raises(estimate.StylepathError, match="no epoch time with encoder_input image_and_high_pass"):
        estimate.predict(config, results)


def test_the_epochs_statistics_count_only_in_the_epochs_eval_every_evaluates():
    results = estimate.read_measurements(estimate.MEASUREMENTS)
    results["eval_share"] = {"ae": 0.2}  # the AE's share stands in for a model not measured
    settings = {"model": "vae", "epochs": 100, "eval_every": 5}
    assert estimate.evaluated_share(results, settings) == pytest.approx(0.8 + 0.2 * 20 / 100)
    assert estimate.evaluated_share(results, settings | {"epochs": 12}) == pytest.approx(0.8 + 0.2 * 3 / 12)  # + last
    assert estimate.evaluated_share(results, settings | {"eval_every": 1}) == 1.0
    del results["eval_share"]
    assert estimate.evaluated_share(results, settings) == 1.0  # not measured: every epoch as measured
    measured = estimate.read_measurements(estimate.MEASUREMENTS)
    config = estimate.read_config(STUDY)
    assert config["training"]["shared"]["eval_every"] == 5  # config.yaml's, which the study keeps
    study = stage(estimate.predict(config, measured), "train:vae")["seconds_per_job"]
    config["training"]["shared"]["eval_every"] = 1
    assert stage(estimate.predict(config, measured), "train:vae")["seconds_per_job"] > 1.1 * study
