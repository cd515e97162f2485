"""Data stage: download (real sources only), then preprocess once into an array + table."""


# Downloads need the internet, which cluster compute nodes often lack: run them where
# Snakemake itself runs (e.g. the login node).
localrules:
    download,


rule download:
    output:
        manifest=f"{DOWNLOADS}/{{source}}/manifest.json",
    log:
        f"{DOWNLOADS}/{{source}}/download.log",
    benchmark:
        f"{DOWNLOADS}/{{source}}/download.benchmark.tsv"
    wildcard_constraints:
        source="|".join(DOWNLOADED_SOURCES),
    conda:
        ENV
    resources:
        mem_mb=2000,
        runtime=720,
    params:
        settings=download_settings,
        files=files,
    shell:
        stylepath("download")


rule prepare_data:
    input:
        manifest=download_manifest,
        user_images=user_images,
        code=code("prepare-data"),
    output:
        images=f"{RESULTS}/data/images.npy",
        metadata=f"{RESULTS}/data/metadata.parquet",
        report=f"{RESULTS}/data/report.json",
    log:
        logs("prepare_data.log"),
    benchmark:
        benchmarks("prepare_data.tsv")
    conda:
        ENV
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        settings=settings("dataset", "seed"),
        files=files,
    shell:
        stylepath("prepare-data")


rule plot_data:
    input:
        images=rules.prepare_data.output.images,
        metadata=rules.prepare_data.output.metadata,
        report=rules.prepare_data.output.report,
        code=code("plot-data"),
    output:
        figure=report(
            f"{RESULTS}/figures/data/contact_sheet.png",
            caption="../report/data_contact_sheet.rst",
            category="1 Data and training",
            labels={"model": "all", "figure": "the paintings, per style"},
        ),
    log:
        logs("plot_data.log"),
    benchmark:
        benchmarks("plot_data.tsv")
    conda:
        ENV
    resources:
        mem_mb=2000,
    params:
        settings=settings("figures", "seed"),
        files=files,
    shell:
        stylepath("plot-data")
