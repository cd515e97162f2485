"""The data stage: where the paintings come from and how they become one array.

Sources (dataset.source): `synthetic` (generated, offline; the default and the tests),
`artbench` (ArtBench-10 tar), `wikiart` (huggan/wikiart parquet shards, streamed) and
`folder` (your images). `download` fetches the two real sets into resources/<source>/ and
writes a manifest; `prepare` turns any source into images.npy + metadata.parquet + report.json.
"""
