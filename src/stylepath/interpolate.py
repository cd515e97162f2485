"""Walk from z_a to z_b for every pair and decode each point of the walk (the first half of the
walks stage, stylepath.walks).

The end points are the posterior means z of the latent table (never samples). Each walk
has `interpolation.steps` points at t = 0, 1/(steps-1), ..., 1 (end points included):

    linear     z_t = (1 - t) z_a + t z_b                       (the study)
    spherical  z_t = sin((1-t) w)/sin(w) z_a + sin(t w)/sin(w) z_b,  w = angle(z_a, z_b)
               (falls back to linear when z_a and z_b are parallel)

The decoded walks: uint8 (P * steps) x H x W x 3 images, RGB, one walk after another, and their
index (row into the images, pair_id, criterion, step, t).
"""

import numpy as np
import pandas as pd
from tqdm import tqdm

from stylepath.io import StylepathError


def walk_positions(steps: int) -> np.ndarray:
    """t of each point of a walk: `steps` values equally spaced on [0, 1], ends included."""
    return np.linspace(0.0, 1.0, steps)


def walk_codes(z_a, z_b, t, method="linear") -> np.ndarray:
    """Points on the walks: z_a, z_b P x D, t S -> float32 P x S x D (exact end points)."""
    a, b = np.asarray(z_a, np.float64)[:, None, :], np.asarray(z_b, np.float64)[:, None, :]
    t = np.asarray(t, np.float64)[None, :, None]
    codes = (1 - t) * a + t * b
    if method == "spherical":
        unit_a = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)
        unit_b = b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), 1e-12)
        angle = np.arccos(np.clip((unit_a * unit_b).sum(-1, keepdims=True), -1.0, 1.0))
        sin_angle = np.sin(angle)
        curved = sin_angle > 1e-6
        slerp = (np.sin((1 - t) * angle) * a + np.sin(t * angle) * b) / np.where(curved, sin_angle, 1)
        codes = np.where(curved, slerp, codes)
    elif method != "linear":
        raise StylepathError(f"unknown interpolation.method {method!r}; use linear or spherical")
    codes[:, 0], codes[:, -1] = a[:, 0], b[:, 0]
    return codes.astype(np.float32)


def decode_images(decoder, codes, batch_size: int, device) -> np.ndarray:
    """Decode float32 N x D codes with `decoder.decode` -> uint8 N x H x W x 3 (no grad).

    The decoder returns float B x 3 x H x W in [0, 1]; values are clipped to [0, 1] and
    rounded to the nearest of 256 levels.
    """
    import torch

    chunks = []
    with torch.inference_mode():
        for start in tqdm(range(0, len(codes), batch_size), desc="decode", unit="batch"):
            batch = torch.from_numpy(codes[start : start + batch_size]).to(device)
            images = decoder.decode(batch)
            if images.ndim != 4 or images.shape[1] != 3:
                raise StylepathError(
                    f"decode returned shape {tuple(images.shape)}, expected B x 3 x H x W; "
                    "check that the model file matches this version of stylepath"
                )
            pixels = (images.float().clamp(0, 1) * 255).round().to(torch.uint8)
            chunks.append(pixels.permute(0, 2, 3, 1).cpu().numpy())
    return np.concatenate(chunks)


def decode_trajectories(decoder, pairs, codes_by_image, settings, device):
    """Decode every walk of `pairs` (pair_id, criterion, image_id_a, image_id_b).

    codes_by_image: dict image_id -> z (D,). Returns (uint8 images (P * steps) x H x W x 3,
    index DataFrame row, pair_id, criterion, step, t), walks stored one after another.
    """
    missing = sorted(set(pairs["image_id_a"]).union(pairs["image_id_b"]) - set(codes_by_image))
    if missing:
        raise StylepathError(
            f"{len(missing)} paired image(s) (e.g. {missing[0]!r}) are not in the latent table; "
            "re-run `stylepath select-pairs` on this model's latents"
        )
    steps = settings["steps"]
    t = walk_positions(steps)
    z_a = np.stack([codes_by_image[i] for i in pairs["image_id_a"]])
    z_b = np.stack([codes_by_image[i] for i in pairs["image_id_b"]])
    codes = walk_codes(z_a, z_b, t, settings["method"]).reshape(len(pairs) * steps, -1)
    images = decode_images(decoder, codes, settings["batch_size"], device)
    index = pd.DataFrame(
        {
            "row": np.arange(len(codes), dtype=np.int64),
            "pair_id": np.repeat(pairs["pair_id"].to_numpy(np.int64), steps),
            "criterion": np.repeat(pairs["criterion"].to_numpy(), steps),
            "step": np.tile(np.arange(steps, dtype=np.int64), len(pairs)),
            "t": np.tile(t, len(pairs)),
        }
    )
    return images, index
