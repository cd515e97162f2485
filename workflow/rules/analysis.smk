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
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        settings=settings("analysis", "seed"),
        reference=lambda wildcards, input: (
            f"--reference-latents {input.reference_latents} --reference-diagnostics {input.reference_diagnostics}"
            if "reference_latents" in input.keys()
            else ""
        ),
    shell:
        "python -m stylepath analyse --settings {params.settings:q} --latents {input.latents}"
        " --history {input.history} {params.reference} --pca {output.pca}"
        " --projections {output.projections} --shape {output.shape} --scores {output.scores}"
        " --labels {output.labels} --diagnostics {output.diagnostics} --grouping {output.grouping}"
        " --threads {threads}"
        " > {log} 2>&1"


rule summarise_analysis:
    input:
        shapes=chains(rules.analyse.output.shape),
        scores=chains(rules.analyse.output.scores),
        diagnostics=chains(rules.analyse.output.diagnostics),
        grouping=chains(rules.analyse.output.grouping),
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
        settings=settings(),
    shell:
        "python -m stylepath summarise-analysis --settings {params.settings:q} --shapes {input.shapes}"
        " --scores {input.scores} --diagnostics {input.diagnostics} --grouping {input.grouping}"
        " --out-parquet {output.parquet} --out-csv {output.csv} > {log} 2>&1"


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
        diagnostics=report(
            f"{RESULTS}/figures/analysis/diagnostics.png",
            caption="../report/analysis_diagnostics.rst",
            category="0 Summary",
            labels={"model": "all", "figure": "did each model reach its objective?"},
        ),
    log:
        logs("plot_analysis.log"),
    benchmark:
        benchmarks("plot_analysis.tsv")
    conda:
        ENV
    resources:
        mem_mb=4000,
    params:
        settings=settings("figures"),
    shell:
        "python -m stylepath plot-analysis --settings {params.settings:q} --shapes {input.shapes}"
        " --projections {input.projections} --scores {input.scores} --labels {input.labels}"
        " --diagnostics {input.diagnostics} --chains-out {output.chains} --spectra {output.spectra}"
        " --sphericity {output.sphericity} --heatmap {output.heatmap} --pca-grid {output.pca_grid}"
        " --diagnostics-out {output.diagnostics} > {log} 2>&1"
