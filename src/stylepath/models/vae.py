"""VAE (Kingma & Welling 2013): Gaussian posterior, reparameterisation, KL to N(0, I)."""

import torch

from stylepath.geometry import prior_statistics
from stylepath.models.backbone import Autoencoder, reconstruction_loss


def kl_to_standard_normal(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) = -1/2 sum(1 + logvar - mu^2 - exp(logvar)),
    summed over the latent dimensions and averaged over the batch (nats per image)."""
    mu, logvar = mu.float(), logvar.float()
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / mu.shape[0]


class VAE(Autoencoder):
    """encoder(x) -> (mu, logvar), z = mu + exp(logvar / 2) * eps with eps ~ N(0, I)
    from torch's global generator; encode(x) returns (mu, logvar).

    loss = recon + beta * kl (beta = 1 here), where
    recon = binary cross-entropy between the decoder logits of the sampled z and the
    pixels in [0, 1], summed over the 3 x H x W pixels, averaged over the batch;
    kl = KL(q(z|x) || N(0, I)) summed over latent dimensions, averaged over the batch.
    Logged terms: loss, recon, kl (kl unscaled).
    """

    name = "vae"
    variational = True
    prior = True
    prior_statistics = staticmethod(prior_statistics)  # logged per epoch (stylepath.geometry)
    beta = 1.0

    def sample(self, mu, logvar):
        """Reparameterisation: mu + sigma * eps."""
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def vae_terms(self, x):
        """(terms, mu): recon and kl of the VAE objective, and the posterior means."""
        mu, logvar = self.encode(x)
        mu, logvar = mu.float(), logvar.float()
        recon = reconstruction_loss(self.decoder(self.sample(mu, logvar)), x)
        kl = kl_to_standard_normal(mu, logvar)
        return {"loss": recon + self.beta * kl, "recon": recon, "kl": kl}, mu

    def loss_terms(self, x, labels=None):
        terms, _ = self.vae_terms(x)
        return terms


MODEL = VAE
