"""Style-loss stage throughput against a bare VGG19 forward (its bound) and a naive baseline.

stage  stylepath.gatys.walk_style_losses as `stylepath style-loss` calls it: uint8
       walk images in memory, batches of style_loss.batch_size, each image through the
       truncated VGG19 once, compared with the next image through the difference of their
       Grams (stylepath.gatys.consecutive_distances).
bound  the same truncated VGG19 (same layers, same batch size) over the same images,
       already float, normalised and on the device: no conversion, no Grams, no loss.
naive  the common per-pair pattern: every consecutive pair (a, b) of a walk through VGG19
       together (a batch of 2), Grams of both, then the loss; so a walk of S images costs
       2 (S - 1) forwards instead of S.
texture the Portilla-Simoncelli instrument, stylepath.portilla_simoncelli.walk_texture_distances as the
       command calls it: each image's statistics once (plenoptic), standardised differences of
       consecutive images; its spread comes from the same images (the reference statistics are
       timed on their own by `job_seconds`, on a run's real files).
Throughput is decoded walk images per second in every case (the same images).
"""

import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from timing import interleaved_seconds, median, quiet

from stylepath.gatys import GramExtractor, layer_loss, resolve_layer_weights, vgg19_features, walk_style_losses
from stylepath.portilla_simoncelli import (
    TextureStatistics,
    reference_rows,
    resolve_n_scales,
    spread,
    texture_statistics,
    walk_texture_distances,
)


def texture_instrument(settings: dict, image_size: int, device) -> TextureStatistics:
    """The Portilla-Simoncelli statistics as the style-loss command builds them from its settings."""
    block = settings["portilla_simoncelli"]
    n_scales = resolve_n_scales(block, image_size)
    return TextureStatistics(image_size, n_scales, block["n_orientations"], block["spatial_corr_width"], device)


def make_walks(n_pairs: int, steps: int, size: int, seed: int = 0) -> tuple[np.ndarray, pd.DataFrame]:
    """(images uint8 R x size x size x 3, index) for n_pairs walks of `steps` images, in the
    layout of trajectories/<model>/ (row, pair_id, criterion, step, t); R = n_pairs * steps.
    Each walk blends two random images linearly, like a decoded cross-dissolve."""
    rng = np.random.default_rng(seed)
    ends = rng.integers(0, 256, size=(n_pairs, 2, size, size, 3)).astype(np.float32)
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[None, :, None, None, None]
    images = ((1 - t) * ends[:, :1] + t * ends[:, 1:]).round().astype(np.uint8).reshape(-1, size, size, 3)
    index = pd.DataFrame(
        {
            "row": np.arange(n_pairs * steps),
            "pair_id": np.repeat(np.arange(n_pairs), steps),
            "criterion": "random",
            "step": np.tile(np.arange(steps), n_pairs),
            "t": np.tile(np.linspace(0.0, 1.0, steps), n_pairs),
        }
    )
    return images, index


def naive_walk_losses(extractor, images, index, layers, layer_weights, normalisation, device) -> np.ndarray:
    """Total style loss of every transition, one consecutive pair at a time -> float64 T."""
    totals = []
    for _, walk in index.sort_values(["pair_id", "step"]).groupby("pair_id", sort=True):
        rows = walk["row"].to_numpy()
        for a, b in zip(rows[:-1], rows[1:]):
            pair = torch.from_numpy(images[[a, b]]).to(device).permute(0, 3, 1, 2).float() / 255.0
            grams = extractor(pair)
            total = 0.0
            for layer, weight in zip(layers, layer_weights):
                both, n_positions = grams[layer]
                total += weight * layer_loss(both[:1], both[1:], n_positions, normalisation).item()
            totals.append(total)
    return np.array(totals)


def bare_forward(body, batches) -> None:
    """The truncated VGG19 over preloaded, normalised float batches; nothing else."""
    with torch.inference_mode():
        for batch in batches:
            body(batch)


def benchmark(settings: dict, seed: int, n_pairs: int, steps: int, size: int, repeats: int, device) -> dict:
    """Median seconds and images/s of stage, bound and naive on the same walks, interleaved.

    settings: the style_loss config block (layers, pooling, normalisation, batch_size;
    weights must be 'random': nothing is downloaded). Returns a dict for the report table.
    """
    device = torch.device(device)
    images, index = make_walks(n_pairs, steps, size, seed)
    layers, layer_weights = settings["layers"], resolve_layer_weights(settings)
    features, _ = vgg19_features("random", seed)
    extractor = GramExtractor(features, layers, settings["pooling"]).to(device)
    normalisation, batch_size = settings["normalisation"], settings["batch_size"]

    def stage():
        with quiet():  # tqdm still runs and is counted; only its output is dropped
            return walk_style_losses(extractor, images, index, layers, layer_weights, normalisation, batch_size, device)

    def naive():
        return naive_walk_losses(extractor, images, index, layers, layer_weights, normalisation, device)

    pixels = torch.from_numpy(images).to(device).permute(0, 3, 1, 2).float() / 255.0
    batches = [
        ((pixels - extractor.mean) / extractor.std)[i : i + batch_size] for i in range(0, len(images), batch_size)
    ]

    # The two implementations must agree before their speeds mean anything.
    stage_totals, naive_totals = stage()["total"].to_numpy(), naive()
    agreement = float(np.max(np.abs(stage_totals - naive_totals) / np.abs(naive_totals)))
    if agreement > 1e-5:
        raise AssertionError(f"naive and stage style losses differ (max relative difference {agreement:.2e})")

    texture = texture_instrument(settings, size, device)
    with quiet():
        sd = spread(texture_statistics(texture, images, np.arange(len(images)), batch_size, "reference"))

    def texture_stage():
        with quiet():
            return walk_texture_distances(texture, sd, images, index, batch_size)

    functions = {"stage": stage, "bound": lambda: bare_forward(extractor.body, batches), "naive": naive}
    seconds = interleaved_seconds({**functions, "texture": texture_stage}, repeats, device)
    n_images = len(images)
    return {
        "n_images": n_images,
        "n_transitions": len(stage_totals),
        "batch_size": batch_size,
        "agreement": agreement,
        "seconds": {name: median(values) for name, values in seconds.items()},
        "images_per_s": {name: n_images / median(values) for name, values in seconds.items()},
        "vs_bound": median(seconds["bound"]) / median(seconds["stage"]),
        "vs_naive": median(seconds["naive"]) / median(seconds["stage"]),
        "texture_n_scales": texture.model.n_scales,
    }


def job_seconds(results: Path, settings: dict, seed: int, device) -> dict:
    """What the Portilla-Simoncelli instrument adds to each style-loss job of a finished run in
    `results` (results/<run>): building the model, the reference statistics of the data set
    (data/images.npy, at most reference_images) and the distances along every chain's walks
    (trajectories/<chain>/images.npy), each timed once per chain. Returns per-chain seconds."""
    data = np.load(results / "data" / "images.npy", mmap_mode="r")
    block, batch_size = settings["portilla_simoncelli"], settings["batch_size"]
    chains = sorted(results.glob("trajectories/*/seed*/images.npy"))
    if not chains:
        raise FileNotFoundError(f"no trajectories/<model>/seed<replicate>/images.npy under {results}")
    rows = []
    for path in chains:
        images, index = np.load(path, mmap_mode="r"), pd.read_parquet(path.parent / "index.parquet")
        with quiet():
            start = time.perf_counter()
            texture = texture_instrument(settings, int(images.shape[1]), device)
            built = time.perf_counter()
            reference = reference_rows(len(data), block["reference_images"], seed)
            sd = spread(texture_statistics(texture, data, reference, batch_size, "reference"))
            referenced = time.perf_counter()
            walk_texture_distances(texture, sd, images, index, batch_size)
            done = time.perf_counter()
        rows.append(
            {
                "chain": f"{path.parent.parent.name}/{path.parent.name}",
                "n_images": len(images),
                "n_reference": len(reference),
                "build_s": built - start,
                "reference_s": referenced - built,
                "walks_s": done - referenced,
                "total_s": done - start,
            }
        )
    return {"chains": pd.DataFrame(rows), "image_size": int(data.shape[1]), "n_scales": texture.model.n_scales}
