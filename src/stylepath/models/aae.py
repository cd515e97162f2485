"""AAE (Makhzani et al. 2015): a deterministic autoencoder whose codes are pushed
towards the prior N(0, I) by a discriminator on the latent space."""

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

from stylepath.models.backbone import Autoencoder, reconstruction_loss


class Discriminator(nn.Module):
    """MLP on latent codes, B x latent_dim -> B logits ('from the prior' vs 'a code')."""

    def __init__(self, latent_dim: int, hidden: list[int]):
        super().__init__()
        layers, width = [], latent_dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.2)]
            width = size
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z).squeeze(1)


class AAE(Autoencoder):
    """z = encoder(x), x_hat = sigmoid(decoder(z)); encode(x) returns (z, None).

    Each minibatch runs the two phases of the paper, each with its own Adam optimiser:
    1. reconstruction: encoder + decoder minimise recon (Adam, lr), where recon =
       binary cross-entropy between the decoder logits and the pixels in [0, 1], summed
       over the 3 x H x W pixels, averaged over the batch;
    2. regularisation: the discriminator minimises disc_loss = BCE(D(z_prior), 1) +
       BCE(D(z), 0) (each averaged over the batch; z_prior ~ N(0, I) drawn from torch's
       global generator, z detached), then the encoder minimises gen_loss = BCE(D(z), 1)
       (both Adam, lr disc_lr, betas (0.5, 0.999)).
    Logged terms: recon, disc_loss, gen_loss, disc_accuracy (fraction of the 2B prior
    samples and codes the discriminator classifies right, before its update).
    """

    name = "aae"
    variational = False
    prior = True

    def __init__(self, image_size: int, latent_dim: int, disc_hidden: list[int], disc_lr: float):
        super().__init__(image_size, latent_dim)
        self.disc_lr = float(disc_lr)
        self.discriminator = Discriminator(latent_dim, list(disc_hidden))

    @classmethod
    def from_settings(cls, settings: dict, image_size: int):
        return cls(
            image_size,
            int(settings["latent_dim"]),
            disc_hidden=settings["disc_hidden"],
            disc_lr=settings["disc_lr"],
        )

    def make_optimisers(self, lr: float) -> dict:
        autoencoder = list(self.encoder.parameters()) + list(self.decoder.parameters())
        return {
            "autoencoder": torch.optim.Adam(autoencoder, lr=lr),
            "discriminator": torch.optim.Adam(self.discriminator.parameters(), lr=self.disc_lr, betas=(0.5, 0.999)),
            "generator": torch.optim.Adam(self.encoder.parameters(), lr=self.disc_lr, betas=(0.5, 0.999)),
        }

    def loss_terms(self, x, labels=None):
        """The reconstruction phase's objective."""
        z, _ = self.encode(x)
        return {"recon": reconstruction_loss(self.decoder(z), x)}

    def training_step(self, x, labels, optimisers, autocast=contextlib.nullcontext) -> dict:
        """Both phases on one minibatch; labels are not used."""
        recon = self.reconstruction_phase(x, optimisers, autocast)
        return {"recon": recon, **self.regularisation_phase(x, optimisers, autocast)}

    def reconstruction_phase(self, x, optimisers, autocast=contextlib.nullcontext):
        """One Adam step of encoder + decoder on recon; returns recon (detached)."""
        optimisers["autoencoder"].zero_grad(set_to_none=True)
        with autocast():
            recon = self.loss_terms(x)["recon"]
        recon.backward()
        optimisers["autoencoder"].step()
        return recon.detach()

    def regularisation_phase(self, x, optimisers, autocast=contextlib.nullcontext) -> dict:
        """One discriminator step (prior samples 'real', codes 'fake'), then one encoder
        step to fool it; returns disc_loss, gen_loss, disc_accuracy (detached)."""
        optimisers["discriminator"].zero_grad(set_to_none=True)
        with autocast():
            # The codes, once: the discriminator step leaves the encoder unchanged, so the
            # encoder step below reuses them (and their graph).
            codes = self.encode(x)[0]
            z = codes.detach().float()
            z_prior = torch.randn_like(z)
            real_logits = self.discriminator(z_prior).float()
            fake_logits = self.discriminator(z).float()
            disc_loss = F.binary_cross_entropy_with_logits(
                real_logits, torch.ones_like(real_logits)
            ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        disc_loss.backward()
        optimisers["discriminator"].step()
        disc_accuracy = torch.cat([real_logits > 0, fake_logits < 0]).float().mean()

        optimisers["generator"].zero_grad(set_to_none=True)
        with autocast():
            fake_logits = self.discriminator(codes).float()
            gen_loss = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
        gen_loss.backward()
        optimisers["generator"].step()
        return {"disc_loss": disc_loss.detach(), "gen_loss": gen_loss.detach(), "disc_accuracy": disc_accuracy}


MODEL = AAE
