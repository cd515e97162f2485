"""beta-VAE (Higgins et al. 2017): the VAE with its KL term weighted by beta."""

from stylepath.models.backbone import backbone_options
from stylepath.models.vae import VAE


class BetaVAE(VAE):
    """The VAE objective with the KL scaled: loss = recon + beta * kl, where
    recon = binary cross-entropy between the decoder logits of the sampled z and the
    pixels in [0, 1], summed over the 3 x H x W pixels, averaged over the batch;
    kl = KL(q(z|x) || N(0, I)) summed over latent dimensions, averaged over the batch.
    With this summed Bernoulli reconstruction, beta = 1 is the plain VAE.
    Logged terms: loss, recon, kl (kl unscaled).
    """

    name = "beta_vae"

    def __init__(self, image_size: int, latent_dim: int, beta: float, **backbone):
        super().__init__(image_size, latent_dim, **backbone)
        self.beta = float(beta)

    @classmethod
    def from_settings(cls, settings: dict, image_size: int):
        return cls(image_size, int(settings["latent_dim"]), beta=settings["beta"], **backbone_options(settings))


MODEL = BetaVAE
