"""Gatys et al. (2015) style loss: VGG19 features, Gram matrices and the loss between consecutive
images of every walk (shared mathematics of the style-loss and calibration stages).

For one image, F_l is the N_l x M_l matrix of VGG19 features at layer l (N_l channels,
M_l = H_l * W_l positions; features taken after the conv's ReLU) and G_l = F_l F_l^T its
N_l x N_l Gram matrix. Between images a and b, per layer (`style_loss.normalisation`):

    gatys   E_l = sum((G_a - G_b)^2) / (4 N_l^2 M_l^2)        (the paper)
    mean    mean((G_a/M_l - G_b/M_l)^2) = 4 E_l                (pystiche's normalised GramLoss)
    none    sum((G_a - G_b)^2) = 4 N_l^2 M_l^2 E_l             (unnormalised Gram, as piq)

and total = sum_l w_l E_l with w_l = `layer_weights` (default 1/L). Images are RGB in [0, 1]
with ImageNet normalisation; `pooling: avg` replaces VGG19's max pools by 2x2 average pools
(as in the paper). Each image goes through VGG19 once (truncated after the last layer used)
and is compared with the next image of its walk through the difference of their Grams
(`consecutive_distances`: float32 products of feature differences and sums, squared and
summed in float64; within 1e-6 relative of float64 Grams).

VGG19 weights (`style_loss.weights`), recorded as `weights_id` = <kind>:<sha256[:12]> where the
sha256 is over the VGG19 `features` tensors (sorted names and bytes), so equal weights give
equal ids whatever their source:
    imagenet   torchvision's VGG19_Weights.IMAGENET1K_V1 (the paper's network) -> imagenet:<sha>
    random     VGG19 features initialised as torchvision does (Kaiming normal, fan_out, zero
               bias) from a generator seeded with `seed` -> random:seed=<seed>:<sha>. Offline
               runs and tests only: the loss is then a texture statistic of an UNTRAINED
               network, not the paper's measure.
    <path>     a state dict of torchvision's vgg19 (full, or `features` only) -> file:<name>:<sha>
"""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from stylepath.io import StylepathError
from stylepath.transitions import transitions, walk_order

# torchvision vgg19 `features` ("E" configuration): output channels of each 3 x 3 conv, M = 2 x 2 max pool.
VGG19_CHANNELS = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")
# torchvision vgg19 `features` index of each conv; its ReLU is the next module.
VGG19_CONV = {
    "conv1_1": 0, "conv1_2": 2,
    "conv2_1": 5, "conv2_2": 7,
    "conv3_1": 10, "conv3_2": 12, "conv3_3": 14, "conv3_4": 16,
    "conv4_1": 19, "conv4_2": 21, "conv4_3": 23, "conv4_4": 25,
    "conv5_1": 28, "conv5_2": 30, "conv5_3": 32, "conv5_4": 34,
}  # fmt: skip
GRAM_CHUNK_BYTES = 8 * 2**20  # CPU: images are compared a few at a time (see gram_chunk_size)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
RANDOM_WEIGHTS_NOTE = (
    "random VGG19 weights: the style loss is a texture statistic of an untrained network, "
    "not the paper's measure (use style_loss.weights: imagenet for that)"
)


# ----------------------------------------------------------------------------- VGG19 weights


def weights_sha(features) -> str:
    """First 12 hex digits of the sha256 of a module's tensors (sorted names, raw bytes)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(features.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:12]


def imagenet_state_dict() -> dict:
    """torchvision's ImageNet VGG19 state dict (torch hub cache, else downloaded)."""
    import torch
    from torchvision.models import VGG19_Weights

    weights = VGG19_Weights.IMAGENET1K_V1
    try:
        return weights.get_state_dict(progress=False, check_hash=True)
    except (OSError, RuntimeError, EOFError) as error:
        cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
        raise StylepathError(
            f"cannot load the ImageNet VGG19 weights ({error}). Fetch them once where there is "
            "internet: python -c \"import torchvision; torchvision.models.vgg19(weights='IMAGENET1K_V1')\" "
            f"(or download {weights.url}) and put the file at {cached} (TORCH_HOME moves it); "
            "or set style_loss.weights to the path of that .pth, or to 'random' for an offline "
            "run (not the paper's measure)"
        ) from error


def file_state_dict(path) -> dict:
    """A vgg19 state dict from a .pth file: full (features.* keys) or `features` only."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise StylepathError(
            f"style_loss.weights: no file {path}; use 'imagenet', 'random' or the path of a "
            "torchvision vgg19 state dict (.pth)"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # any unreadable file: pickle, zip or torch errors
        raise StylepathError(f"cannot read {path} as a torch state dict: {error}") from error
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    if not isinstance(state, dict):
        raise StylepathError(f"{path} holds a {type(state).__name__}, not a state dict")
    return state


def vgg19_body():
    """torchvision's vgg19 `features` (the same modules, indices and state-dict keys) with
    torch's default initialisation, which the caller overwrites (loads or draws the weights).
    Built here, not imported, because importing torchvision costs every style-loss job 1.5 s;
    built on the CPU, not on the meta device, whose `to_empty` imports sympy (0.5 s) and costs
    more than the 0.1 s of default initialisation. The global RNG is left as it was."""
    import torch
    from torch import nn

    layers, in_channels = [], 3
    with torch.random.fork_rng(devices=[]):
        for out_channels in VGG19_CHANNELS:
            if out_channels == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.ReLU(inplace=True)]
                in_channels = out_channels
    return nn.Sequential(*layers)


def vgg19_features(weights: str, seed: int):
    """VGG19 `features` (torchvision layout, eval mode) and the weights_id that names them."""
    import torch

    features = vgg19_body()
    if weights == "random":
        generator = torch.Generator().manual_seed(seed)
        for module in features.modules():
            if isinstance(module, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu", generator=generator)
                torch.nn.init.zeros_(module.bias)
        kind = f"random:seed={seed}"
    else:
        if weights == "imagenet":
            state, kind = imagenet_state_dict(), "imagenet"
        else:
            state, kind = file_state_dict(weights), f"file:{Path(weights).name}"
        if any(key.startswith("features.") for key in state):
            state = {k.removeprefix("features."): v for k, v in state.items() if k.startswith("features.")}
        try:
            features.load_state_dict(state)
        except RuntimeError as error:
            raise StylepathError(f"the weights {weights!r} are not a torchvision vgg19 state dict: {error}") from error
    return features.eval(), f"{kind}:{weights_sha(features)}"


# ----------------------------------------------------------------------------- Gram matrices


def gram(features):
    """Gram matrices F F^T of features B x N x H x W -> float64 B x N x N (not normalised)."""
    flat = features.flatten(2).double()
    return flat @ flat.transpose(1, 2)


def layer_loss(gram_a, gram_b, n_positions: int, normalisation: str = "gatys"):
    """Style loss of one layer between Gram matrices B x N x N -> float64 B.

    gatys: sum((G_a - G_b)^2) / (4 N^2 M^2); mean: 4 x gatys; none: sum((G_a - G_b)^2).
    n_positions is M = H * W of the layer's feature map.
    """
    squared = (gram_a - gram_b).square_().sum(dim=(-2, -1))  # in place: one temporary, not two
    return normalise(squared, gram_a.shape[-1], n_positions, normalisation)


def normalise(squared, n_channels: int, n_positions: int, normalisation: str):
    """sum((G_a - G_b)^2) of a layer with N channels and M positions under `normalisation`."""
    if normalisation == "gatys":
        return squared / (4.0 * n_channels**2 * n_positions**2)
    if normalisation == "mean":
        return squared / (float(n_channels) ** 2 * n_positions**2)
    if normalisation == "none":
        return squared
    raise StylepathError(f"unknown style_loss.normalisation {normalisation!r}; use gatys, mean or none")


def consecutive_distances(features, carry):
    """sum((G_k - G_(k-1))^2) between consecutive images, G = F F^T of each image's features.

    features: float32 B x N x H x W feature maps of B consecutive images (N channels, M = H * W
    positions); carry: what the previous call returned for the image before them, or None.
    Returns (float64 distances of shape B, or B - 1 without a carry; the carry for the next call).

    M >= N: the Grams are not formed. With D = F_a - F_b and S = F_a + F_b,
    G_a - G_b = (D S^T + S D^T) / 2, one N x N product per pair in float32, squared and summed
    in float64. Its rounding scales with |D| |S|, not with the Grams, so near-identical images
    keep their small loss (float32 Grams subtracted would lose it) and identical ones give 0;
    within 1e-6 relative of float64 Grams in the tests' cases (random walks, one grey level at
    one pixel, a grating shifted by a pixel), and about 3x faster than them on the CPU (the
    comparisons of 200 images of 64 px at conv1_1-conv5_1: 0.73 -> 0.26 s, best of 7).
    M < N: a Gram has rank <= M, and sum((G_a - G_b)^2) = |F_a'F_a|^2 + |F_b'F_b|^2 - 2 |F_a'F_b|^2
    through M x M products in float64, far cheaper for deep layers of small images (conv5_1 of a
    64 px image: N = 512, M = 16); the result is clipped at 0 against round-off.
    """
    import torch

    f = features if carry is None else torch.cat([carry, features])
    n_channels, n_positions = f.shape[1], f.shape[2] * f.shape[3]
    if n_positions < n_channels:
        flat = f.flatten(2).double()
        own = (flat.transpose(1, 2) @ flat).square().sum(dim=(1, 2))
        cross = (flat[:-1].transpose(1, 2) @ flat[1:]).square().sum(dim=(1, 2))
        return (own[:-1] + own[1:] - 2 * cross).clamp_(min=0), features[-1:]
    # M x N rows per image: a view of the channels-last maps that images from uint8 H x W x 3 give
    rows = f.permute(0, 2, 3, 1).reshape(len(f), n_positions, n_channels)
    half = (rows[1:] - rows[:-1]).transpose(1, 2) @ (rows[1:] + rows[:-1])  # D^T S: N x N
    delta = (half + half.transpose(1, 2)).double()  # 2 (G_a - G_b), up to sign
    return delta.square_().sum(dim=(1, 2)) / 4, features[-1:]


class GramExtractor:
    """VGG19 cut after the deepest layer needed. `features` maps images to the layers'
    feature maps; `__call__` to their Grams:

    images float B x 3 x H x W in [0, 1] -> {layer: (Gram float64 B x N x N, M positions)}.
    """

    def __init__(self, features, layers, pooling: str = "max"):
        import torch

        unknown = sorted(set(layers) - set(VGG19_CONV))
        if unknown:
            raise StylepathError(f"unknown VGG19 layer(s) {unknown}; choose from {list(VGG19_CONV)}")
        self.taps = {VGG19_CONV[layer] + 1: layer for layer in layers}  # after the ReLU
        body = []
        for module in features[: max(self.taps) + 1]:
            if pooling == "avg" and isinstance(module, torch.nn.MaxPool2d):
                module = torch.nn.AvgPool2d(kernel_size=2, stride=2)
            body.append(module)
        self.body = torch.nn.Sequential(*body).eval().requires_grad_(False)
        self.mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        self.std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)

    def to(self, device):
        self.body, self.mean, self.std = self.body.to(device), self.mean.to(device), self.std.to(device)
        return self

    def features(self, images) -> dict:
        """images float B x 3 x H x W in [0, 1] -> {layer: float32 B x N x H_l x W_l}."""
        import torch

        features = {}
        with torch.inference_mode():
            x = (images - self.mean) / self.std
            for index, module in enumerate(self.body):
                x = module(x)
                if index in self.taps:
                    features[self.taps[index]] = x
        return features

    def __call__(self, images) -> dict:
        return {layer: (gram(x), x.shape[2] * x.shape[3]) for layer, x in self.features(images).items()}


def gram_chunk_size(features) -> int:
    """Images compared at once: all of them on a GPU; on the CPU enough for the matrices formed
    (float32 differences and sums of the M x N features when M >= N, float64 M x N features and
    M x M products when M < N) to fill about GRAM_CHUNK_BYTES (at least 2). Keeping them a few
    MB spares the page faults of fresh 50-100 MB allocations, which cost more than the arithmetic."""
    if features.device.type != "cpu":
        return len(features)
    n_channels, n_positions = features.shape[1], features.shape[2] * features.shape[3]
    return max(2, GRAM_CHUNK_BYTES // (8 * n_channels * n_positions))


def walk_style_losses(extractor, images, index, layers, layer_weights, normalisation, batch_size, device):
    """Style loss between consecutive images of each walk.

    images: uint8 R x H x W x 3 (array or memmap); index: row, pair_id, criterion, step, t.
    Images are read in the order (pair_id, step), batch by batch, and go through VGG19 once;
    consecutive images are compared a chunk at a time (`gram_chunk_size`,
    `consecutive_distances`), the last image of each chunk carried over to the next one.
    Returns pair_id, criterion, step, t_from, t_to, <layer> (raw E_l), total.
    """
    import torch

    index, same_walk = walk_order(index, len(images))
    rows = index["row"].to_numpy()
    values = {layer: [] for layer in layers}
    carry = {layer: None for layer in layers}  # of the last image seen
    for start in tqdm(range(0, len(rows), batch_size), desc="style loss", unit="batch"):
        pixels = np.asarray(images[rows[start : start + batch_size]])
        batch = torch.from_numpy(pixels).to(device).permute(0, 3, 1, 2).float() / 255.0
        for layer, features in extractor.features(batch).items():
            n_channels, n_positions = features.shape[1], features.shape[2] * features.shape[3]
            for chunk in features.split(gram_chunk_size(features)):
                squared, carry[layer] = consecutive_distances(chunk, carry[layer])
                values[layer].append(normalise(squared, n_channels, n_positions, normalisation).cpu().numpy())
    table = transitions(index, same_walk)
    for layer in layers:
        table[layer] = np.concatenate(values[layer])[same_walk] if len(rows) > 1 else []
    table["total"] = sum(weight * table[layer] for layer, weight in zip(layers, layer_weights))
    return table


def resolve_layer_weights(settings) -> list[float]:
    """w_l per layer: `layer_weights`, or 1/L each when null."""
    layers, weights = settings["layers"], settings["layer_weights"]
    if weights is None:
        return [1.0 / len(layers)] * len(layers)
    if len(weights) != len(layers):
        raise StylepathError(
            f"style_loss.layer_weights has {len(weights)} values for {len(layers)} layers; "
            "give one per layer, in the order of style_loss.layers, or null for equal weights"
        )
    return [float(w) for w in weights]


def gatys_table(settings: dict, seed: int, images, index, device) -> tuple[pd.DataFrame, dict]:
    """The Gatys instrument: its table (weights_id on every row) and what the info file records of it."""
    layers, layer_weights = settings["layers"], resolve_layer_weights(settings)
    features, weights_id = vgg19_features(settings["weights"], seed)
    if settings["weights"] == "random":
        print(f"WARNING: {RANDOM_WEIGHTS_NOTE}")
    extractor = GramExtractor(features, layers, settings["pooling"]).to(device)
    table = walk_style_losses(
        extractor, images, index, layers, layer_weights,
        settings["normalisation"], settings["batch_size"], device,
    )  # fmt: skip
    table["weights_id"] = weights_id
    info = {
        "weights": settings["weights"],
        "weights_id": weights_id,
        "pretrained": settings["weights"] != "random",
        "note": RANDOM_WEIGHTS_NOTE if settings["weights"] == "random" else "",
        "layers": layers,
        "layer_weights": layer_weights,
        "pooling": settings["pooling"],
        "normalisation": settings["normalisation"],
    }
    return table, info
