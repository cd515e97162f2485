"""Training stage: one job per model (GPU where present), then encode every image."""


rule train:
    input:
        images=rules.prepare_data.output.images,
        metadata=rules.prepare_data.output.metadata,
        code=code("train"),
    output:
        model=f"{RESULTS}/models/{{model}}/model.pt",
        history=f"{RESULTS}/models/{{model}}/history.csv",
    log:
        logs("train/{model}.log"),
    benchmark:
        benchmarks("train/{model}.tsv")
    conda:
        ENV
    threads: config["training"]["threads"]
    resources:
        gpu=GPU,
        mem_mb=8000,
        runtime=240,
    params:
        settings=model_settings,
        checkpoint=f"{RESULTS}/models/{{model}}/checkpoint.pt",
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
        latents=f"{RESULTS}/latents/{{model}}.parquet",
    log:
        logs("encode/{model}.log"),
    benchmark:
        benchmarks("encode/{model}.tsv")
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        settings=settings("encoding"),
    shell:
        "python -m stylepath encode --settings {params.settings:q} --model {input.model}"
        " --images {input.images} --metadata {input.metadata} --out {output.latents}"
        " > {log} 2>&1"


rule plot_training:
    input:
        history=rules.train.output.history,
        code=code("plot-training"),
    output:
        report(
            f"{RESULTS}/figures/training/{{model}}.png",
            caption="../report/training_curves.rst",
            category="1 Training",
            labels={"model": "{model}", "figure": "loss curves"},
        ),
    log:
        logs("plot_training/{model}.log"),
    benchmark:
        benchmarks("plot_training/{model}.tsv")
    conda:
        ENV
    resources:
        mem_mb=1000,
    params:
        settings=settings("figures"),
    shell:
        "python -m stylepath plot-training --settings {params.settings:q} --model {wildcards.model}"
        " --history {input.history} --out {output} > {log} 2>&1"


rule plot_reconstructions:
    input:
        model=rules.train.output.model,
        images=rules.prepare_data.output.images,
        metadata=rules.prepare_data.output.metadata,
        code=code("plot-reconstructions"),
    output:
        report(
            f"{RESULTS}/figures/reconstructions/{{model}}.png",
            caption="../report/reconstructions.rst",
            category="1 Training",
            labels={"model": "{model}", "figure": "reconstructions"},
        ),
    log:
        logs("plot_reconstructions/{model}.log"),
    benchmark:
        benchmarks("plot_reconstructions/{model}.tsv")
    conda:
        ENV
    resources:
        mem_mb=2000,
    params:
        settings=settings("figures", "seed"),
    shell:
        "python -m stylepath plot-reconstructions --settings {params.settings:q} --model {input.model}"
        " --images {input.images} --metadata {input.metadata} --out {output} > {log} 2>&1"
