"""Latent analysis: PCA, covariance shape and clustering per model, then across models."""


rule analyse:
    input:
        latents=rules.encode.output.latents,
        code=code("analyse"),
    output:
        pca=f"{RESULTS}/analysis/{{model}}/pca_components.parquet",
        projections=f"{RESULTS}/analysis/{{model}}/pca_projections.parquet",
        shape=f"{RESULTS}/analysis/{{model}}/shape.json",
        scores=f"{RESULTS}/analysis/{{model}}/clustering_scores.parquet",
        labels=f"{RESULTS}/analysis/{{model}}/cluster_labels.parquet",
    log:
        logs("analyse/{model}.log"),
    benchmark:
        benchmarks("analyse/{model}.tsv")
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        settings=settings("analysis", "seed"),
    shell:
        "python -m stylepath analyse --settings {params.settings:q} --model {wildcards.model}"
        " --latents {input.latents} --pca {output.pca} --projections {output.projections}"
        " --shape {output.shape} --scores {output.scores} --labels {output.labels}"
        " --threads {threads} > {log} 2>&1"


rule summarise_analysis:
    input:
        shapes=expand(rules.analyse.output.shape, model=MODELS),
        scores=expand(rules.analyse.output.scores, model=MODELS),
        latents=expand(rules.encode.output.latents, model=MODELS),
        code=code("summarise-analysis"),
    output:
        parquet=f"{RESULTS}/analysis/summary.parquet",
        csv=report(
            f"{RESULTS}/analysis/summary.csv",
            caption="../report/analysis_summary_table.rst",
            category="2 Latent analysis",
            labels={"model": "all", "figure": "summary table"},
        ),
    log:
        logs("summarise_analysis.log"),
    benchmark:
        benchmarks("summarise_analysis.tsv")
    conda:
        ENV
    resources:
        mem_mb=2000,
    params:
        settings=settings("models"),
    shell:
        "python -m stylepath summarise-analysis --settings {params.settings:q} --shapes {input.shapes}"
        " --scores {input.scores} --latents {input.latents}"
        " --out-parquet {output.parquet} --out-csv {output.csv} > {log} 2>&1"


rule plot_analysis:
    input:
        shape=rules.analyse.output.shape,
        projections=rules.analyse.output.projections,
        scores=rules.analyse.output.scores,
        labels=rules.analyse.output.labels,
        code=code("plot-analysis"),
    output:
        report(
            f"{RESULTS}/figures/analysis/{{model}}.png",
            caption="../report/analysis_model.rst",
            category="2 Latent analysis",
            labels={"model": "{model}", "figure": "PCA and clustering"},
        ),
    log:
        logs("plot_analysis/{model}.log"),
    benchmark:
        benchmarks("plot_analysis/{model}.tsv")
    conda:
        ENV
    resources:
        mem_mb=2000,
    params:
        settings=settings("figures"),
    shell:
        "python -m stylepath plot-analysis --settings {params.settings:q} --model {wildcards.model}"
        " --shape {input.shape} --projections {input.projections} --scores {input.scores}"
        " --labels {input.labels} --out {output} > {log} 2>&1"


rule plot_analysis_summary:
    input:
        shapes=expand(rules.analyse.output.shape, model=MODELS),
        scores=expand(rules.analyse.output.scores, model=MODELS),
        projections=expand(rules.analyse.output.projections, model=MODELS),
        code=code("plot-analysis-summary"),
    output:
        spectra=report(
            f"{RESULTS}/figures/analysis/spectra.png",
            caption="../report/analysis_spectra.rst",
            category="2 Latent analysis",
            labels={"model": "all", "figure": "explained-variance spectra"},
        ),
        sphericity=report(
            f"{RESULTS}/figures/analysis/sphericity.png",
            caption="../report/analysis_sphericity.rst",
            category="2 Latent analysis",
            labels={"model": "all", "figure": "sphericity"},
        ),
        heatmap=report(
            f"{RESULTS}/figures/analysis/clustering_scores.png",
            caption="../report/analysis_scores.rst",
            category="2 Latent analysis",
            labels={"model": "all", "figure": "clustering scores"},
        ),
        pca_grid=report(
            f"{RESULTS}/figures/analysis/pca_grid.png",
            caption="../report/analysis_pca_grid.rst",
            category="2 Latent analysis",
            labels={"model": "all", "figure": "PCA per model"},
        ),
    log:
        logs("plot_analysis_summary.log"),
    benchmark:
        benchmarks("plot_analysis_summary.tsv")
    conda:
        ENV
    resources:
        mem_mb=4000,
    params:
        settings=settings("figures"),
    shell:
        "python -m stylepath plot-analysis-summary --settings {params.settings:q} --shapes {input.shapes}"
        " --scores {input.scores} --projections {input.projections} --spectra {output.spectra}"
        " --sphericity {output.sphericity} --heatmap {output.heatmap} --pca-grid {output.pca_grid}"
        " > {log} 2>&1"
