"""The report's front page: the study's claims with their verdicts across replicates, the
known-answer controls of the verdict rules, whether each model reached its objective, and the
headline numbers."""


rule controls:
    input:
        analysis=rules.summarise_analysis.output.summary,
        metadata=rules.prepare_data.output.metadata,
        code=code("controls"),
    output:
        controls=f"{RESULTS}/report/controls.csv",
    log:
        logs("controls.log"),
    benchmark:
        benchmarks("controls.tsv")
    conda:
        ENV
    resources:
        mem_mb=2000,
    params:
        settings=settings("findings", "seed", analysis=control_analysis_settings()),
        files=files,
    shell:
        stylepath("controls")


rule summarise_run:
    input:
        analysis=rules.summarise_analysis.output.summary,
        patterns=rules.summarise_patterns.output.summary,
        walks=chains(rules.patterns.output.walks),
        data=rules.prepare_data.output.report,
        style_loss_info=chains(rules.walks.output.info)[0],
        controls=rules.controls.output.controls,
        code=code("summarise-run"),
    output:
        findings=f"{RESULTS}/report/findings.csv",
        by_layer=f"{RESULTS}/report/findings_by_layer.csv",
        agreement=f"{RESULTS}/report/instrument_agreement.csv",
        replicates=f"{RESULTS}/report/replicates.csv",
        headline=f"{RESULTS}/report/headline.csv",
        html=report(
            f"{RESULTS}/report/summary.html",
            caption="../report/summary.rst",
            category="0 Summary",
            labels={"model": "all", "figure": "findings and headline numbers"},
        ),
    log:
        logs("summarise_run.log"),
    benchmark:
        benchmarks("summarise_run.tsv")
    conda:
        ENV
    resources:
        mem_mb=1000,
    params:
        settings=settings(
            "run",
            "findings",
            horseshoe_orientations=config["patterns"]["horseshoe_orientations"],
            layers=config["style_loss"]["layers"],
        ),
        files=files,
    shell:
        stylepath("summarise-run")


rule plot_replicates:
    input:
        replicates=rules.summarise_run.output.replicates,
        code=code("plot-replicates"),
    output:
        figure=report(
            f"{RESULTS}/figures/replicates.png",
            caption="../report/replicates.rst",
            category="0 Summary",
            labels={"model": "all", "figure": "spread across replicates"},
        ),
    log:
        logs("plot_replicates.log"),
    benchmark:
        benchmarks("plot_replicates.tsv")
    conda:
        ENV
    resources:
        mem_mb=1000,
    params:
        settings=settings("figures"),
        files=files,
    shell:
        stylepath("plot-replicates")
