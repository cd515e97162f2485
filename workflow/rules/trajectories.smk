"""Trajectories: pairs of latent points -> decoded walks -> style loss -> curve patterns."""


rule select_pairs:
    input:
        latents=rules.encode.output.latents,
        code=code("select-pairs"),
    output:
        pairs=f"{RESULTS}/pairs/{{model}}.parquet",
    log:
        logs("select_pairs/{model}.log"),
    benchmark:
        benchmarks("select_pairs/{model}.tsv")
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
        images=f"{RESULTS}/trajectories/{{model}}/images.npy",
        index=f"{RESULTS}/trajectories/{{model}}/index.parquet",
    log:
        logs("interpolate/{model}.log"),
    benchmark:
        benchmarks("interpolate/{model}.tsv")
    conda:
        ENV
    threads: 2
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
        table=f"{RESULTS}/style_loss/{{model}}.parquet",
        info=f"{RESULTS}/style_loss/{{model}}.json",
    log:
        logs("style_loss/{model}.log"),
    benchmark:
        benchmarks("style_loss/{model}.tsv")
    conda:
        ENV
    threads: 2
    resources:
        gpu=GPU,
        mem_mb=8000,
        runtime=120,
    params:
        settings=settings("style_loss", "seed"),
    shell:
        "python -m stylepath style-loss --settings {params.settings:q} --model-name {wildcards.model}"
        " --images {input.images} --index {input.index} --out {output.table}"
        " --info {output.info} --threads {threads} > {log} 2>&1"


rule patterns:
    input:
        style_loss=rules.style_loss.output.table,
        images=rules.interpolate.output.images,
        index=rules.interpolate.output.index,
        code=code("patterns"),
    output:
        walks=f"{RESULTS}/patterns/{{model}}.parquet",
        curves=f"{RESULTS}/patterns/{{model}}_curves.parquet",
    log:
        logs("patterns/{model}.log"),
    benchmark:
        benchmarks("patterns/{model}.tsv")
    conda:
        ENV
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        settings=settings("patterns"),
    shell:
        "python -m stylepath patterns --settings {params.settings:q} --style-loss {input.style_loss}"
        " --images {input.images} --index {input.index} --walks-out {output.walks}"
        " --curves-out {output.curves} > {log} 2>&1"


rule summarise_patterns:
    input:
        walks=expand(rules.patterns.output.walks, model=MODELS),
        code=code("summarise-patterns"),
    output:
        parquet=f"{RESULTS}/patterns/summary.parquet",
        csv=report(
            f"{RESULTS}/patterns/summary.csv",
            caption="../report/patterns_summary_table.rst",
            category="3 Trajectories",
            labels={"model": "all", "figure": "pattern summary table"},
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
        " --out {output.parquet} --csv {output.csv} > {log} 2>&1"


rule plot_trajectories:
    input:
        style_loss=rules.style_loss.output.table,
        info=rules.style_loss.output.info,
        walks=rules.patterns.output.walks,
        curves=rules.patterns.output.curves,
        images=rules.interpolate.output.images,
        index=rules.interpolate.output.index,
        code=code("plot-trajectories"),
    output:
        curves=report(
            f"{RESULTS}/figures/trajectories/{{model}}_curves.png",
            caption="../report/trajectories_curves.rst",
            category="3 Trajectories",
            labels={"model": "{model}", "figure": "style-loss curves"},
        ),
        strips=report(
            f"{RESULTS}/figures/trajectories/{{model}}_strips.png",
            caption="../report/trajectories_strips.rst",
            category="3 Trajectories",
            labels={"model": "{model}", "figure": "walk strips"},
        ),
    log:
        logs("plot_trajectories/{model}.log"),
    benchmark:
        benchmarks("plot_trajectories/{model}.tsv")
    conda:
        ENV
    resources:
        mem_mb=2000,
    params:
        settings=settings("figures"),
    shell:
        "python -m stylepath plot-trajectories --settings {params.settings:q} --model {wildcards.model}"
        " --style-loss {input.style_loss} --info {input.info} --walks {input.walks}"
        " --curves {input.curves} --images {input.images} --index {input.index}"
        " --curves-out {output.curves} --strips-out {output.strips} > {log} 2>&1"


rule plot_patterns_summary:
    input:
        summary=rules.summarise_patterns.output.parquet,
        walks=expand(rules.patterns.output.walks, model=MODELS),
        curves=expand(rules.patterns.output.curves, model=MODELS),
        code=code("plot-patterns-summary"),
    output:
        report(
            f"{RESULTS}/figures/patterns/summary.png",
            caption="../report/patterns_summary.rst",
            category="3 Trajectories",
            labels={"model": "all", "figure": "patterns across models"},
        ),
    log:
        logs("plot_patterns_summary.log"),
    benchmark:
        benchmarks("plot_patterns_summary.tsv")
    conda:
        ENV
    resources:
        mem_mb=2000,
    params:
        settings=settings("figures"),
    shell:
        "python -m stylepath plot-patterns-summary --settings {params.settings:q} --summary {input.summary}"
        " --walks {input.walks} --curves {input.curves} --out {output} > {log} 2>&1"
