"""AAE (Makhzani et al. 2015): a deterministic autoencoder whose codes are pushed
towards the prior N(0, I) by a discriminator on the latent space."""

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

from stylepath.geometry import prior_statistics
from stylepath.models.backbone import Autoencoder, backbone_options, reconstruction_loss


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
    2. regularisation: `disc_steps` times, the discriminator minimises disc_loss =
       BCE(D(z_prior), 1) + BCE(D(z), 0) (each averaged over the batch; fresh z_prior ~ N(0, I)
       from torch's global generator each time, z detached), then the encoder minimises
       gen_loss = BCE(D(z), 1) once (both Adam, lr disc_lr, betas (0.5, 0.999)).
    Before the first epoch (`warm_up`), `warm_up_steps` Adam steps (lr) of the encoder alone
    move the codes' mean and covariance onto the prior's, as WAE does (Tolstikhin et al.
    2018): a freshly initialised encoder gives codes of almost no variance, far from N(0, I),
    and the adversarial game started from there converges slowly or not at all (the recipe
    and its measurements: docs/models.md).
    Logged terms: recon, disc_loss, gen_loss, disc_accuracy (fraction of the 2B prior
    samples and codes the discriminator classifies right, before its last update).
    """

    name = "aae"
    variational = False
    prior = True
    adversarial = True
    prior_statistics = staticmethod(prior_statistics)  # logged per epoch (stylepath.geometry)

    def __init__(
        self,
        image_size: int,
        latent_dim: int,
        disc_hidden: list[int],
        disc_lr: float,
        disc_steps: int,
        warm_up_steps: int,
        **backbone,
    ):
        super().__init__(image_size, latent_dim, **backbone)
        self.disc_lr = float(disc_lr)
        self.disc_steps = int(disc_steps)
        self.warm_up_steps = int(warm_up_steps)
        self.discriminator = Discriminator(latent_dim, list(disc_hidden))

    @classmethod
    def from_settings(cls, settings: dict, image_size: int):
        return cls(
            image_size,
            int(settings["latent_dim"]),
            disc_hidden=settings["disc_hidden"],
            disc_lr=settings["disc_lr"],
            disc_steps=settings["disc_steps"],
            warm_up_steps=settings["warm_up_steps"],
            **backbone_options(settings),
        )

    def make_optimisers(self, lr: float) -> dict:
        autoencoder = list(self.encoder.parameters()) + list(self.decoder.parameters())
        return {
            "autoencoder": torch.optim.Adam(autoencoder, lr=lr),
            "discriminator": torch.optim.Adam(self.discriminator.parameters(), lr=self.disc_lr, betas=(0.5, 0.999)),
            "generator": torch.optim.Adam(self.encoder.parameters(), lr=self.disc_lr, betas=(0.5, 0.999)),
        }

    def warm_up(self, batches, lr: float) -> None:
        """`warm_up_steps` Adam steps (lr) of the encoder on |mean z|^2 + |cov z - I|_F^2 over
        minibatches from `batches` (an iterator of float B x 3 x H x W tensors)."""
        if not self.warm_up_steps:
            return
        optimiser = torch.optim.Adam(self.encoder.parameters(), lr=lr)
        identity = torch.eye(self.latent_dim, device=next(self.parameters()).device)
        for _, x in zip(range(self.warm_up_steps), batches):
            z = self.encode(x)[0].float()
            loss = z.mean(0).square().sum() + (torch.cov(z.T) - identity).square().sum()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()

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
        """`disc_steps` discriminator steps (prior samples 'real', codes 'fake'), then one encoder
        step to fool it; returns disc_loss, gen_loss, disc_accuracy (detached, of the last
        discriminator step)."""
        with autocast():
            # The codes, once: the discriminator steps leave the encoder unchanged, so the
            # encoder step below reuses them (and their graph).
            codes = self.encode(x)[0]
            z = codes.detach().float()
        for _ in range(self.disc_steps):
            optimisers["discriminator"].zero_grad(set_to_none=True)
            with autocast():
                real_logits = self.discriminator(torch.randn_like(z)).float()
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
