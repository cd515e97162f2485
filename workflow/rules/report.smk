"""The report's front page: the headline numbers of the run, one row per model."""


rule summarise_run:
    input:
        analysis=rules.summarise_analysis.output.parquet,
        patterns=rules.summarise_patterns.output.parquet,
        style_loss_info=expand(rules.style_loss.output.info, model=MODELS[0]),
        code=code("summarise-run"),
    output:
        csv=f"{RESULTS}/report/summary.csv",
        html=report(
            f"{RESULTS}/report/summary.html",
            caption="../report/summary.rst",
            category="0 Summary",
            labels={"model": "all", "figure": "headline numbers"},
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
        settings=settings("run"),
    shell:
        "python -m stylepath summarise-run --settings {params.settings:q}"
        " --analysis {input.analysis} --patterns {input.patterns}"
        " --style-loss-info {input.style_loss_info} --csv {output.csv} --html {output.html}"
        " > {log} 2>&1"
