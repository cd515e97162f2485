"""Training stage: one job per model and replicate (GPU where present), then encode every image."""


rule train:
    input:
        images=rules.prepare_data.output.images,
        metadata=rules.prepare_data.output.metadata,
        code=code("train"),
    output:
        model=f"{RESULTS}/models/{CHAIN}/model.pt",
        history=f"{RESULTS}/models/{CHAIN}/history.csv",
    log:
        logs(f"train/{CHAIN}.log"),
    benchmark:
        benchmarks(f"train/{CHAIN}.tsv")
    priority: train_priority
    conda:
        ENV
    threads: config["training"]["threads"]
    resources:
        gpu=GPU,
        mem_mb=8000,
        runtime=240,
    params:
        settings=model_settings,
        files=files,
        checkpoint=f"{RESULTS}/models/{CHAIN}/checkpoint.pt",
    shell:
        stylepath("train", " --checkpoint {params.checkpoint}")


rule encode:
    input:
        model=rules.train.output.model,
        images=rules.prepare_data.output.images,
        metadata=rules.prepare_data.output.metadata,
        code=code("encode"),
    output:
        latents=f"{RESULTS}/latents/{CHAIN}.parquet",
    log:
        logs(f"encode/{CHAIN}.log"),
    benchmark:
        benchmarks(f"encode/{CHAIN}.tsv")
    priority: ANALYSIS_FIRST
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        settings=settings("encoding"),
        files=files,
    shell:
        stylepath("encode")


rule plot_training:
    input:
        histories=chains(rules.train.output.history),
        code=code("plot-training"),
    output:
        figures=report(
            directory(f"{RESULTS}/figures/training"),
            patterns=["{model}.png"],
            caption="../report/training_curves.rst",
            category="1 Data and training",
            labels={"model": "{model}", "figure": "training curves"},
        ),
    log:
        logs("plot_training.log"),
    benchmark:
        benchmarks("plot_training.tsv")
    conda:
        ENV
    resources:
        mem_mb=2000,
    params:
        settings=settings("figures"),
        files=files,
    shell:
        stylepath("plot-training")


rule plot_reconstructions:
    input:
        models=chains(rules.train.output.model),
        images=rules.prepare_data.output.images,
        metadata=rules.prepare_data.output.metadata,
        code=code("plot-reconstructions"),
    output:
        figures=report(
            directory(f"{RESULTS}/figures/reconstructions"),
            patterns=["{model}.png"],
            caption="../report/reconstructions.rst",
            category="1 Data and training",
            labels={"model": "{model}", "figure": "reconstructions"},
        ),
    log:
        logs("plot_reconstructions.log"),
    benchmark:
        benchmarks("plot_reconstructions.tsv")
    conda:
        ENV
    resources:
        mem_mb=2000,
    params:
        settings=settings("figures", "seed"),
        files=files,
    shell:
        stylepath("plot-reconstructions")
