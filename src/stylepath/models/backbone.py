"""The convolutional encoder and decoder every model shares, the reconstruction loss and
the base class with the common interface.

Images are float32 B x 3 x H x W in [0, 1], H = W in {32, 64, 128}. The encoder halves
the side with stride-2 convolutions (kernel 4) down to 4 x 4 (3, 4 or 5 stages, channels
32-64-128-256-256 taken in order), then a linear layer maps to the output features. The
decoder mirrors it with transposed convolutions and returns logits; `decode` applies the
sigmoid. No normalisation layers, so train and eval modes compute the same function.
With `encoder_input: image_and_high_pass` the encoder also sees the image's high-pass
(`high_pass`: 6 input channels); the decoder is unchanged.
"""

import contextlib
import functools
import math

import torch
import torch.nn.functional as F
from torch import nn

from stylepath.config import choices
from stylepath.io import StylepathError

IMAGE_SIZES = tuple(choices("dataset", "image_size"))
ENCODER_INPUTS = tuple(choices("training", "shared", "encoder_input"))
CHANNELS = (32, 64, 128, 256, 256)
HIGH_PASS_SIGMA = 1.5  # px, of the Gaussian blur the high-pass subtracts
HIGH_PASS_RADIUS = 3  # px: a 7-tap kernel, 2 sigma each side
HIGH_PASS_GAIN = 10.0  # brings the brushwork (grey-level std ~0.03) to the images' range


def stage_channels(image_size: int) -> list[int]:
    """Channels of the stride-2 stages that take `image_size` down to 4 x 4."""
    if image_size not in IMAGE_SIZES:
        raise StylepathError(f"image size {image_size} px is not supported; use one of {IMAGE_SIZES}")
    return list(CHANNELS[: int(math.log2(image_size // 4))])


@functools.lru_cache(maxsize=16)
def blur_matrix(side: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """side x side matrix B such that B @ v blurs a column v of `side` pixels with the 7-tap
    Gaussian (sigma HIGH_PASS_SIGMA px, weights summing to 1), borders reflected (pixel -1 is
    pixel 1, as torchvision's gaussian_blur pads)."""
    taps = torch.arange(-HIGH_PASS_RADIUS, HIGH_PASS_RADIUS + 1)
    kernel = torch.exp(-0.5 * (taps.double() / HIGH_PASS_SIGMA) ** 2)
    sources = (torch.arange(side)[:, None] + taps).abs()  # side x 7; reflected at the top
    sources = torch.where(sources > side - 1, 2 * (side - 1) - sources, sources)  # and at the bottom
    rows = torch.arange(side)[:, None].expand_as(sources)
    matrix = torch.zeros(side, side, dtype=torch.float64)
    matrix.index_put_((rows, sources), (kernel / kernel.sum()).expand_as(sources), accumulate=True)
    return matrix.to(dtype=dtype, device=device)


def high_pass(x):
    """float B x C x H x W -> same shape: (x - Gaussian blur of x) * HIGH_PASS_GAIN, the blur
    separable (`blur_matrix` along each axis: two small matrix products, ~9x faster on the CPU
    than a grouped convolution). Zero on a constant image; what is left is the brushwork, not
    the layout."""
    rows, columns = (blur_matrix(side, x.dtype, x.device) for side in x.shape[-2:])
    return (x - rows @ x @ columns.T) * HIGH_PASS_GAIN


class Encoder(nn.Module):
    """B x 3 x H x W -> B x out_features (conv stages, LeakyReLU 0.2, linear); with
    input 'image_and_high_pass' the first conv sees the image and its high-pass (6 channels)."""

    def __init__(self, image_size: int, out_features: int, input: str):
        super().__init__()
        if input not in ENCODER_INPUTS:
            raise StylepathError(f"encoder_input must be one of {ENCODER_INPUTS}, not {input!r}")
        self.with_high_pass = input == "image_and_high_pass"
        layers, in_channels = [], 6 if self.with_high_pass else 3
        for channels in stage_channels(image_size):
            layers += [nn.Conv2d(in_channels, channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            in_channels = channels
        self.convs = nn.Sequential(*layers)
        self.linear = nn.Linear(in_channels * 4 * 4, out_features)

    def forward(self, x):
        if self.with_high_pass:
            x = torch.cat([x, high_pass(x)], dim=1)
        return self.linear(self.convs(x).flatten(1))


class Decoder(nn.Module):
    """B x latent_dim -> B x 3 x H x W logits (linear, transposed conv stages, ReLU)."""

    def __init__(self, image_size: int, latent_dim: int):
        super().__init__()
        channels = stage_channels(image_size)[::-1]  # e.g. 256, 128, 64, 32 at 64 px
        self.linear = nn.Linear(latent_dim, channels[0] * 4 * 4)
        self.unflatten = nn.Unflatten(1, (channels[0], 4, 4))
        layers = []
        for in_channels, out_channels in zip(channels, channels[1:] + [3]):
            layers += [nn.ReLU(), nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1)]
        self.deconvs = nn.Sequential(*layers)

    def forward(self, z):
        return self.deconvs(self.unflatten(self.linear(z)))


def to_model_input(batch: torch.Tensor, channels_last: bool = False) -> torch.Tensor:
    """uint8 B x H x W x 3 -> float32 B x 3 x H x W in [0, 1] (on the batch's device)."""
    x = batch.permute(0, 3, 1, 2).float().div(255)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    return x.contiguous(memory_format=memory_format)


def backbone_options(settings: dict) -> dict:
    """The keyword arguments of `Autoencoder.__init__` that every model takes from its
    training settings (the shared backbone's options)."""
    return {"encoder_input": settings["encoder_input"]}


def reconstruction_loss(logits, x):
    """Bernoulli negative log-likelihood: binary cross-entropy between the decoded
    logits and the target pixels x in [0, 1], summed over the 3 x H x W pixels and
    averaged over the batch (nats per image). The one reconstruction scale of all models."""
    return F.binary_cross_entropy_with_logits(logits.float(), x.float(), reduction="sum") / x.shape[0]


class Autoencoder(nn.Module):
    """Encoder + decoder with the interface every stage uses.

    encode(x) -> (z, logvar or None): z B x latent_dim (the code, or the posterior mean
    for variational models), logvar B x latent_dim for variational models.
    decode(z) -> x_hat B x 3 x H x W in [0, 1].
    warm_up(batches, lr): once, before the first epoch (nothing, unless a model needs it).
    loss_terms(x, labels) -> dict of scalar tensors; "loss" is what the step minimises.
    training_step(x, labels, optimisers, autocast) -> dict of detached scalar tensors.
    """

    name = "ae"
    variational = False  # encode returns a posterior (mean, log-variance), not a code
    prior = False  # the objective pulls the codes (or the aggregate posterior) towards N(0, I)
    adversarial = False  # a discriminator on the codes is part of the objective
    triplet_term = False  # a triplet loss on the codes is part of the objective

    def __init__(self, image_size: int, latent_dim: int, encoder_input: str):
        super().__init__()
        self.image_size = image_size
        self.latent_dim = latent_dim
        self.encoder = Encoder(image_size, latent_dim * (2 if self.variational else 1), encoder_input)
        self.decoder = Decoder(image_size, latent_dim)

    @classmethod
    def from_settings(cls, settings: dict, image_size: int):
        """Build from a training settings dict (reads only the keys this model needs)."""
        return cls(image_size, int(settings["latent_dim"]), **backbone_options(settings))

    def encode(self, x):
        h = self.encoder(x)
        if self.variational:
            mu, logvar = h.chunk(2, dim=1)
            return mu, logvar
        return h, None

    def decode(self, z):
        return torch.sigmoid(self.decoder(z))

    def warm_up(self, batches, lr: float) -> None:
        """Anything a model does once before its first epoch (the AAE moves its codes' moments
        onto the prior's); `batches` yields float B x 3 x H x W training minibatches."""

    def make_optimisers(self, lr: float) -> dict:
        """Adam over all parameters (AAE overrides: one optimiser per phase)."""
        return {"model": torch.optim.Adam(self.parameters(), lr=lr)}

    def loss_terms(self, x, labels):
        raise NotImplementedError

    def training_step(self, x, labels, optimisers, autocast=contextlib.nullcontext) -> dict:
        """One Adam step on `loss_terms(x, labels)["loss"]`; the forward runs under `autocast()`."""
        optimiser = optimisers["model"]
        optimiser.zero_grad(set_to_none=True)
        with autocast():
            terms = self.loss_terms(x, labels)
        terms["loss"].backward()
        optimiser.step()
        return {name: value.detach() for name, value in terms.items()}
