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
    conda:
        ENV
    threads: config["training"]["threads"]
    resources:
        gpu=GPU,
        mem_mb=8000,
        runtime=240,
    params:
        settings=model_settings,
        checkpoint=f"{RESULTS}/models/{CHAIN}/checkpoint.pt",
    shell:
        "python -m stylepath train --settings {params.settings:q} --images {input.images}"
        " --metadata {input.metadata} --checkpoint {params.checkpoint}"
        " --model-out {output.model} --history {output.history} --threads {threads}"
        " > {log} 2>&1"


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
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        settings=settings("encoding"),
    shell:
        "python -m stylepath encode --settings {params.settings:q} --model {input.model}"
        " --images {input.images} --metadata {input.metadata} --out {output.latents}"
        " --threads {threads} > {log} 2>&1"


rule plot_training:
    input:
        histories=chains(rules.train.output.history),
        code=code("plot-training"),
    output:
        report(
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
    shell:
        "python -m stylepath plot-training --settings {params.settings:q}"
        " --histories {input.histories} --out {output} > {log} 2>&1"


rule plot_reconstructions:
    input:
        models=chains(rules.train.output.model),
        images=rules.prepare_data.output.images,
        metadata=rules.prepare_data.output.metadata,
        code=code("plot-reconstructions"),
    output:
        report(
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
    shell:
        "python -m stylepath plot-reconstructions --settings {params.settings:q} --models {input.models}"
        " --images {input.images} --metadata {input.metadata} --out {output} > {log} 2>&1"
