"""Trajectories: pairs of latent points -> walks (decoded, their style loss measured) -> curve patterns,
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


rule walks:
    input:
        model=rules.train.output.model,
        latents=rules.encode.output.latents,
        pairs=rules.select_pairs.output.pairs,
        weights=vgg_weights_file,
        data_images=texture_reference_images,
        code=code("walks"),
    output:
        images=f"{RESULTS}/trajectories/{CHAIN}/images.npy",
        index=f"{RESULTS}/trajectories/{CHAIN}/index.parquet",
        style_loss=f"{RESULTS}/style_loss/{CHAIN}.parquet",
        info=f"{RESULTS}/style_loss/{CHAIN}.json",
    log:
        logs(f"walks/{CHAIN}.log"),
    benchmark:
        benchmarks(f"walks/{CHAIN}.tsv")
    conda:
        ENV
    threads: 1
    resources:
        gpu=GPU,
        mem_mb=8000,
        runtime=120,
    params:
        settings=settings("interpolation", "style_loss", "seed"),
        files=files,
    shell:
        stylepath(
            "walks",
            " --model-name {wildcards.model} --replicate {wildcards.replicate}",
        )


rule patterns:
    input:
        style_loss=rules.walks.output.style_loss,
        images=rules.walks.output.images,
        index=rules.walks.output.index,
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
        style_losses=chains(rules.walks.output.style_loss),
        infos=chains(rules.walks.output.info),
        walks=chains(rules.patterns.output.walks),
        curves=chains(rules.patterns.output.curves),
        images=chains(rules.walks.output.images),
        indexes=chains(rules.walks.output.index),
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
    threads: 2  # figures of the runs in parallel: the last long job of a run
    resources:
        mem_mb=4000,
    params:
        settings=settings("figures"),
        files=files,
    shell:
        stylepath("plot-trajectories")
