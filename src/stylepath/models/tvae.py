"""TVAE (Ishfaq, Hoogi & Rubin 2018): the VAE objective plus a triplet loss on the
posterior means that pulls paintings of one style together and pushes other styles away."""

import torch

from stylepath.io import StylepathError
from stylepath.models.vae import VAE


def triplet_loss(mu, labels, margin: float, distance: str):
    """Batch-all triplet loss on posterior means mu (B x latent_dim) with integer labels (B).

    Mining: every valid triplet in the batch, (anchor a, positive p, negative n) with
    a != p, label(p) = label(a) and label(n) != label(a); no random choice, so it is the
    expectation of the loss of a uniformly drawn triplet. d is the L1 (sum of absolute
    differences) or L2 (Euclidean) distance between means.

    Returns (loss, active): loss = mean over valid triplets of max(d(a,p) - d(a,n) + margin, 0),
    active = fraction of valid triplets with a positive loss (violating the margin). Both
    are 0 when the batch holds no valid triplet (e.g. a single style).
    """
    p = {"l1": 1.0, "l2": 2.0}[distance]
    mu = mu.float()
    dist = torch.cdist(mu, mu, p=p, compute_mode="donot_use_mm_for_euclid_dist")  # B x B
    same = labels[:, None] == labels[None, :]
    not_self = ~torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    valid = (same & not_self)[:, :, None] & ~same[:, None, :]  # B(a) x B(p) x B(n)
    losses = torch.relu(dist[:, :, None] - dist[:, None, :] + margin)[valid]
    if losses.numel() == 0:
        zero = mu.sum() * 0.0
        return zero, zero.detach()
    return losses.mean(), (losses > 0).float().mean()


class TVAE(VAE):
    """The VAE plus a weighted triplet loss on the posterior means:
    loss = recon + kl + triplet_weight * triplet, where
    recon = binary cross-entropy between the decoder logits of the sampled z and the
    pixels in [0, 1], summed over the 3 x H x W pixels, averaged over the batch;
    kl = KL(q(z|x) || N(0, I)) summed over latent dimensions, averaged over the batch;
    triplet = batch-all triplet loss on mu with the style labels (see `triplet_loss`).
    Logged terms: loss, recon, kl, triplet (unweighted), active_triplets.
    """

    name = "tvae"
    triplet_term = True

    def __init__(
        self,
        image_size: int,
        latent_dim: int,
        triplet_margin: float,
        triplet_weight: float,
        triplet_distance: str,
    ):
        super().__init__(image_size, latent_dim)
        if triplet_distance not in ("l1", "l2"):
            raise StylepathError(f"triplet_distance must be 'l1' or 'l2', not {triplet_distance!r}")
        self.triplet_margin = float(triplet_margin)
        self.triplet_weight = float(triplet_weight)
        self.triplet_distance = triplet_distance

    @classmethod
    def from_settings(cls, settings: dict, image_size: int):
        return cls(
            image_size,
            int(settings["latent_dim"]),
            triplet_margin=settings["triplet_margin"],
            triplet_weight=settings["triplet_weight"],
            triplet_distance=settings["triplet_distance"],
        )

    def loss_terms(self, x, labels):
        terms, mu = self.vae_terms(x)
        triplet, active = triplet_loss(mu, labels, self.triplet_margin, self.triplet_distance)
        terms["loss"] = terms["loss"] + self.triplet_weight * triplet
        terms["triplet"] = triplet
        terms["active_triplets"] = active
        return terms


MODEL = TVAE
