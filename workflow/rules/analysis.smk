"""Latent analysis: PCA, covariance shape, clustering and the diagnostics of each training run,
then across models and replicates."""


rule analyse:
    input:
        unpack(triplet_reference),
        latents=rules.encode.output.latents,
        history=rules.train.output.history,
        code=code("analyse"),
    output:
        pca=f"{RESULTS}/analysis/{CHAIN}/pca_components.parquet",
        projections=f"{RESULTS}/analysis/{CHAIN}/pca_projections.parquet",
        shape=f"{RESULTS}/analysis/{CHAIN}/shape.json",
        scores=f"{RESULTS}/analysis/{CHAIN}/clustering_scores.parquet",
        labels=f"{RESULTS}/analysis/{CHAIN}/cluster_labels.parquet",
        diagnostics=f"{RESULTS}/analysis/{CHAIN}/diagnostics.json",
        grouping=f"{RESULTS}/analysis/{CHAIN}/grouping.json",
    log:
        logs(f"analyse/{CHAIN}.log"),
    benchmark:
        benchmarks(f"analyse/{CHAIN}.tsv")
    priority: ANALYSIS_FIRST
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        settings=settings("analysis", "seed"),
        files=files,
    shell:
        stylepath("analyse")


rule summarise_analysis:
    input:
        shapes=chains(rules.analyse.output.shape),
        scores=chains(rules.analyse.output.scores),
        diagnostics=chains(rules.analyse.output.diagnostics),
        grouping=chains(rules.analyse.output.grouping),
        code=code("summarise-analysis"),
    output:
        summary=f"{RESULTS}/analysis/summary.parquet",
        summary_csv=report(
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
        settings=settings(),
        files=files,
    shell:
        stylepath("summarise-analysis")


rule plot_analysis:
    input:
        shapes=chains(rules.analyse.output.shape),
        projections=chains(rules.analyse.output.projections),
        scores=chains(rules.analyse.output.scores),
        labels=chains(rules.analyse.output.labels),
        diagnostics=chains(rules.analyse.output.diagnostics),
        code=code("plot-analysis"),
    output:
        chains=report(
            directory(f"{RESULTS}/figures/analysis/chains"),
            patterns=["{model}_seed{replicate}.png"],
            caption="../report/analysis_model.rst",
            category="2 Latent analysis",
            labels={"model": "{model}", "figure": "latent space, seed {replicate}"},
        ),
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
        diagnostics_figure=report(
            f"{RESULTS}/figures/analysis/diagnostics.png",
            caption="../report/analysis_diagnostics.rst",
            category="0 Summary",
            labels={"model": "all", "figure": "did each model reach its objective?"},
        ),
    log:
        logs("plot_analysis.log"),
    benchmark:
        benchmarks("plot_analysis.tsv")
    priority: ANALYSIS_FIRST
    conda:
        ENV
    resources:
        mem_mb=4000,
    params:
        settings=settings("figures"),
        files=files,
    shell:
        stylepath("plot-analysis")
