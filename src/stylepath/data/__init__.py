"""The data stage: where the paintings come from and how they become one array.

Sources (dataset.source): `synthetic` (generated, offline; the default and the tests),
`artbench` (ArtBench-10 tar, downloaded or a local copy), `wikiart` (huggan/wikiart parquet
shards through huggingface_hub and its cache, streamed) and `folder` (your images).
`download` is the command that gets the two real sets into resources/<source>/ (or points
at a local ArtBench) and writes a manifest; `prepare` turns any source into images.npy +
metadata.parquet + report.json. Below the sources: `fetch` (resumable, verified HTTP for
ArtBench's tar) and `files` (sha256, safe tar extraction).
"""
