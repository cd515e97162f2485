"""The interactive explorer: one self-contained HTML page of every chain's latent space and walks
(and the calibration walks, when the run has the calibration stage)."""


rule explorer:
    input:
        unpack(calibration_files),
        images=rules.prepare_data.output.images,
        metadata=rules.prepare_data.output.metadata,
        projections=chains(rules.analyse.output.projections),
        diagnostics=chains(rules.analyse.output.diagnostics),
        pairs=chains(rules.select_pairs.output.pairs),
        walk_images=chains(rules.walks.output.images),
        walk_indexes=chains(rules.walks.output.index),
        style_losses=chains(rules.walks.output.style_loss),
        walks=chains(rules.patterns.output.walks),
        code=code("explorer"),
    output:
        html=report(
            f"{RESULTS}/report/explorer.html",
            caption="../report/explorer.rst",
            category="0 Summary",
            labels={"model": "all", "figure": "interactive explorer"},
        ),
    log:
        logs("explorer.log"),
    benchmark:
        benchmarks("explorer.tsv")
    conda:
        ENV
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        settings=settings("explorer"),
        files=files,
    shell:
        stylepath("explorer")
