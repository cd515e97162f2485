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
    shell:
        "python -m stylepath select-pairs --settings {params.settings:q} --latents {input.latents}"
        " --out {output.pairs} > {log} 2>&1"


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
    shell:
        "python -m stylepath interpolate --settings {params.settings:q} --model {input.model}"
        " --latents {input.latents} --pairs {input.pairs} --images-out {output.images}"
        " --index-out {output.index} --threads {threads} > {log} 2>&1"


rule style_loss:
    input:
        images=rules.interpolate.output.images,
        index=rules.interpolate.output.index,
        weights=vgg_weights_file,
        code=code("style-loss"),
    output:
        table=f"{RESULTS}/style_loss/{CHAIN}.parquet",
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
    shell:
        "python -m stylepath style-loss --settings {params.settings:q} --model-name {wildcards.model}"
        " --replicate {wildcards.replicate} --images {input.images} --index {input.index} --out {output.table}"
        " --info {output.info} --threads {threads} > {log} 2>&1"


rule patterns:
    input:
        style_loss=rules.style_loss.output.table,
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
    shell:
        "python -m stylepath patterns --settings {params.settings:q} --style-loss {input.style_loss}"
        " --images {input.images} --index {input.index} --walks-out {output.walks}"
        " --curves-out {output.curves} > {log} 2>&1"


rule summarise_patterns:
    input:
        walks=chains(rules.patterns.output.walks),
        code=code("summarise-patterns"),
    output:
        parquet=f"{RESULTS}/patterns/summary.parquet",
        csv=report(
            f"{RESULTS}/patterns/summary.csv",
            caption="../report/patterns_summary_table.rst",
            category="3 Trajectories",
            labels={"model": "all", "figure": "pattern summary table"},
        ),
        layers_parquet=f"{RESULTS}/patterns/layers.parquet",
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
    shell:
        "python -m stylepath summarise-patterns --settings {params.settings:q} --walks {input.walks}"
        " --out {output.parquet} --csv {output.csv} --layers-out {output.layers_parquet}"
        " --layers-csv {output.layers_csv} > {log} 2>&1"


rule plot_trajectories:
    input:
        style_losses=chains(rules.style_loss.output.table),
        infos=chains(rules.style_loss.output.info),
        walks=chains(rules.patterns.output.walks),
        curves=chains(rules.patterns.output.curves),
        images=chains(rules.interpolate.output.images),
        indexes=chains(rules.interpolate.output.index),
        summary=rules.summarise_patterns.output.parquet,
        code=code("plot-trajectories"),
    output:
        curves=report(
            directory(f"{RESULTS}/figures/trajectories/curves"),
            patterns=["{model}_seed{replicate}.png"],
            caption="../report/trajectories_curves.rst",
            category="3 Trajectories",
            labels={
                "model": "{model}",
                "figure": "style-loss curves, seed {replicate}",
            },
        ),
        strips=report(
            directory(f"{RESULTS}/figures/trajectories/strips"),
            patterns=["{model}_seed{replicate}.png"],
            caption="../report/trajectories_strips.rst",
            category="3 Trajectories",
            labels={"model": "{model}", "figure": "walk strips, seed {replicate}"},
        ),
        summary=report(
            f"{RESULTS}/figures/trajectories/summary.png",
            caption="../report/patterns_summary.rst",
            category="3 Trajectories",
            labels={"model": "all", "figure": "patterns across models"},
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
    shell:
        "python -m stylepath plot-trajectories --settings {params.settings:q}"
        " --style-losses {input.style_losses} --infos {input.infos} --walks {input.walks}"
        " --curves {input.curves} --images {input.images} --indexes {input.indexes}"
        " --summary {input.summary} --curves-out {output.curves} --strips-out {output.strips}"
        " --summary-out {output.summary} > {log} 2>&1"
