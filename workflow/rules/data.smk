"""Data stage: download (real sources only), then preprocess once into an array + table."""


def download_manifest(wildcards):
    """The download manifest the chosen source needs (none for synthetic and folder)."""
    source = config["dataset"]["source"]
    if source in ("artbench", "wikiart"):
        return f"{DOWNLOADS}/{source}/manifest.json"
    return []


def download_settings(wildcards):
    """Only what a download depends on: the source's own block (and the styles kept)."""
    dataset = config["dataset"]
    block = {"source": wildcards.source, "styles": dataset["styles"]}
    return json.dumps({**block, **dataset[wildcards.source]}, sort_keys=True)


rule download:
    output:
        manifest=f"{DOWNLOADS}/{{source}}/manifest.json",
    wildcard_constraints:
        source="artbench|wikiart",
    params:
        settings=download_settings,
    log:
        f"{DOWNLOADS}/{{source}}/download.log",
    benchmark:
        f"{DOWNLOADS}/{{source}}/download.benchmark.tsv"
    resources:
        mem_mb=2000,
        runtime=720,
    conda:
        ENV
    shell:
        "stylepath download --settings {params.settings:q} --manifest {output.manifest} > {log} 2>&1"


rule prepare_data:
    input:
        manifest=download_manifest,
        code=code("data"),
    output:
        images=f"{RESULTS}/data/images.npy",
        metadata=f"{RESULTS}/data/metadata.parquet",
        report=f"{RESULTS}/data/report.json",
    params:
        settings=settings("dataset", "seed"),
    log:
        f"{RESULTS}/logs/prepare_data.log",
    benchmark:
        f"{RESULTS}/benchmarks/prepare_data.tsv"
    resources:
        mem_mb=8000,
        runtime=120,
    conda:
        ENV
    shell:
        "stylepath prepare-data --settings {params.settings:q} --manifest '{input.manifest}'"
        " --images {output.images} --metadata {output.metadata} --report {output.report}"
        " > {log} 2>&1"
