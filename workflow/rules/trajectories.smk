"""Trajectories: pairs of latent points -> decoded walks -> style loss -> curve patterns,
per model and replicate, then across them."""


rule select_pairs:
    input:
        latents=rules.encode.output.latents,
        code=code("select-pairs"),
    output:
        pairs=f"{RESULTS}/pairs/{CHAIN}.parquet",
    log:
        logs(f"select_pairs/{CHAIN}.log"),
    benchmark:
        benchmarks(f"select_pairs/{CHAIN}.tsv")
    conda:
        ENV
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        settings=settings("pairs", "seed"),
        files=files,
    shell:
        stylepath("select-pairs")


rule interpolate:
    input:
        model=rules.train.output.model,
        latents=rules.encode.output.latents,
        pairs=rules.select_pairs.output.pairs,
        code=code("interpolate"),
    output:
        images=f"{RESULTS}/trajectories/{CHAIN}/images.npy",
        index=f"{RESULTS}/trajectories/{CHAIN}/index.parquet",
    log:
        logs(f"interpolate/{CHAIN}.log"),
    benchmark:
        benchmarks(f"interpolate/{CHAIN}.tsv")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        settings=settings("interpolation"),
        files=files,
    shell:
        stylepath("interpolate")


rule style_loss:
    input:
        images=rules.interpolate.output.images,
        index=rules.interpolate.output.index,
        weights=vgg_weights_file,
        data_images=texture_reference_images,
        code=code("style-loss"),
    output:
        style_loss=f"{RESULTS}/style_loss/{CHAIN}.parquet",
        info=f"{RESULTS}/style_loss/{CHAIN}.json",
    log:
        logs(f"style_loss/{CHAIN}.log"),
    benchmark:
        benchmarks(f"style_loss/{CHAIN}.tsv")
    conda:
        ENV
    threads: 1
    resources:
        gpu=GPU,
        mem_mb=8000,
        runtime=120,
    params:
        settings=settings("style_loss", "seed"),
        files=files,
    shell:
        stylepath(
            "style-loss",
            " --model-name {wildcards.model} --replicate {wildcards.replicate}",
        )


rule patterns:
    input:
        style_loss=rules.style_loss.output.style_loss,
        images=rules.interpolate.output.images,
        index=rules.interpolate.output.index,
        code=code("patterns"),
    output:
        walks=f"{RESULTS}/patterns/{CHAIN}/walks.parquet",
        curves=f"{RESULTS}/patterns/{CHAIN}/curves.parquet",
    log:
        logs(f"patterns/{CHAIN}.log"),
    benchmark:
        benchmarks(f"patterns/{CHAIN}.tsv")
    conda:
        ENV
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        settings=settings("patterns", "style_loss"),
        files=files,
    shell:
        stylepath("patterns")


rule summarise_patterns:
    input:
        walks=chains(rules.patterns.output.walks),
        code=code("summarise-patterns"),
    output:
        summary=f"{RESULTS}/patterns/summary.parquet",
        summary_csv=report(
            f"{RESULTS}/patterns/summary.csv",
            caption="../report/patterns_summary_table.rst",
            category="3 Trajectories",
            labels={"model": "all", "figure": "pattern summary table"},
        ),
        layers=f"{RESULTS}/patterns/layers.parquet",
        layers_csv=report(
            f"{RESULTS}/patterns/layers.csv",
            caption="../report/patterns_layers.rst",
            category="3 Trajectories",
            labels={"model": "all", "figure": "per-layer shares and patterns"},
        ),
    log:
        logs("summarise_patterns.log"),
    benchmark:
        benchmarks("summarise_patterns.tsv")
    conda:
        ENV
    resources:
        mem_mb=2000,
    params:
        settings=settings(),
        files=files,
    shell:
        stylepath("summarise-patterns")


rule plot_trajectories:
    input:
        style_losses=chains(rules.style_loss.output.style_loss),
        infos=chains(rules.style_loss.output.info),
        walks=chains(rules.patterns.output.walks),
        curves=chains(rules.patterns.output.curves),
        images=chains(rules.interpolate.output.images),
        indexes=chains(rules.interpolate.output.index),
        summary=rules.summarise_patterns.output.summary,
        code=code("plot-trajectories"),
    output:
        curve_figures=report(
            directory(f"{RESULTS}/figures/trajectories/curves"),
            patterns=["{model}_seed{replicate}_{instrument}.png"],
            caption="../report/trajectories_curves.rst",
            category="3 Trajectories",
            labels={
                "model": "{model}",
                "figure": "style-loss curves, seed {replicate}, {instrument}",
            },
        ),
        strips=report(
            directory(f"{RESULTS}/figures/trajectories/strips"),
            patterns=["{model}_seed{replicate}_{instrument}.png"],
            caption="../report/trajectories_strips.rst",
            category="3 Trajectories",
            labels={
                "model": "{model}",
                "figure": "walk strips, seed {replicate}, {instrument}",
            },
        ),
        summary_figures=report(
            directory(f"{RESULTS}/figures/trajectories/summary"),
            patterns=["{instrument}.png"],
            caption="../report/patterns_summary.rst",
            category="3 Trajectories",
            labels={"model": "all", "figure": "patterns across models, {instrument}"},
        ),
    log:
        logs("plot_trajectories.log"),
    benchmark:
        benchmarks("plot_trajectories.tsv")
    conda:
        ENV
    resources:
        mem_mb=4000,
    params:
        settings=settings("figures"),
        files=files,
    shell:
        stylepath("plot-trajectories")
