"""Calibration: known-answer walks from the run's own images through the run's style loss and
pattern rule (one job per run), and a figure of an example walk of each kind."""


rule calibrate:
    input:
        images=rules.prepare_data.output.images,
        metadata=rules.prepare_data.output.metadata,
        weights=vgg_weights_file,
        code=code("calibrate"),
    output:
        walk_images=f"{RESULTS}/calibration/images.npy",
        index=f"{RESULTS}/calibration/index.parquet",
        style_loss=f"{RESULTS}/calibration/style_loss.parquet",
        walks=f"{RESULTS}/calibration/walks.parquet",
        summary=report(
            f"{RESULTS}/calibration/summary.csv",
            caption="../report/calibration_summary.rst",
            category="3 Trajectories",
            subcategory="Calibration: what the instrument can and cannot tell apart",
            labels={"model": "calibration", "figure": "known-answer walks by kind"},
        ),
    log:
        logs("calibrate.log"),
    benchmark:
        benchmarks("calibrate.tsv")
    conda:
        ENV
    threads: 1
    resources:
        gpu=GPU,
        mem_mb=4000,
        runtime=60,
    params:
        settings=settings(
            "calibration",
            "style_loss",
            "patterns",
            "seed",
            steps=config["interpolation"]["steps"],
        ),
        files=files,
    shell:
        stylepath("calibrate")


rule plot_calibration:
    input:
        images=rules.calibrate.output.walk_images,
        index=rules.calibrate.output.index,
        style_loss=rules.calibrate.output.style_loss,
        walks=rules.calibrate.output.walks,
        code=code("plot-calibration"),
    output:
        figure=report(
            f"{RESULTS}/figures/calibration.png",
            caption="../report/calibration_examples.rst",
            category="3 Trajectories",
            subcategory="Calibration: what the instrument can and cannot tell apart",
            labels={"model": "calibration", "figure": "example walks of each kind"},
        ),
    log:
        logs("plot_calibration.log"),
    benchmark:
        benchmarks("plot_calibration.tsv")
    conda:
        ENV
    resources:
        mem_mb=2000,
    params:
        settings=settings("figures"),
        files=files,
    shell:
        stylepath("plot-calibration")
