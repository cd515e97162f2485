"""TVAE (Ishfaq, Hoogi & Rubin 2018): the VAE objective plus a triplet loss on the
posterior means that pulls paintings of one style together and pushes other styles away."""

import torch

from stylepath.io import StylepathError
from stylepath.models.backbone import backbone_options
from stylepath.models.vae import VAE

DISTANCES = ("l1", "l2", "cosine")
MININGS = ("all", "hard", "semi_hard")


def pairwise_distances(mu, distance: str):
    """B x B distances between the rows of mu (B x D): 'l1' (sum of absolute differences), 'l2'
    (Euclidean) or 'cosine' (1 - cosine similarity, in [0, 2]: blind to the means' scale)."""
    mu = mu.float()
    if distance == "cosine":
        unit = torch.nn.functional.normalize(mu, dim=1, eps=1e-8)
        return (1 - unit @ unit.T).clamp(min=0)
    p = {"l1": 1.0, "l2": 2.0}[distance]
    return torch.cdist(mu, mu, p=p, compute_mode="donot_use_mm_for_euclid_dist")


def triplet_loss(mu, labels, margin: float, distance: str, mining: str = "all"):
    """Triplet loss on posterior means mu (B x latent_dim) with integer labels (B).

    A triplet is (anchor a, positive p, negative n) with a != p, label(p) = label(a) and
    label(n) != label(a); its loss is max(d(a,p) - d(a,n) + margin, 0), d from
    `pairwise_distances`. `mining` says which triplets of the batch count:
    all        every valid triplet, averaged (the expected loss of a uniformly drawn triplet);
    hard       per anchor, its farthest positive and nearest negative (batch-hard, Hermans,
               Beyer & Leibe 2017), averaged over anchors;
    semi_hard  per (anchor, positive) pair, the nearest negative farther than the positive
               (d(a,n) > d(a,p); the nearest negative when none is; Schroff et al. 2015,
               FaceNet), averaged over pairs.

    Returns (loss, active): the mean loss over the counted triplets and the fraction of them
    with a positive loss (violating the margin). Both are 0 when the batch holds no valid
    triplet (e.g. a single style).
    """
    if mining not in MININGS:
        raise StylepathError(f"triplet_mining must be one of {MININGS}, not {mining!r}")
    dist = pairwise_distances(mu, distance)  # B x B
    same = labels[:, None] == labels[None, :]
    positive = same & ~torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    negative = ~same
    if mining == "all":
        valid = positive[:, :, None] & negative[:, None, :]  # B(a) x B(p) x B(n)
        losses = torch.relu(dist[:, :, None] - dist[:, None, :] + margin)[valid]
    elif mining == "hard":
        anchors = positive.any(1) & negative.any(1)
        farthest = dist.masked_fill(~positive, -torch.inf).amax(1)
        nearest = dist.masked_fill(~negative, torch.inf).amin(1)
        losses = torch.relu(farthest - nearest + margin)[anchors]
    else:
        pairs = positive & negative.any(1, keepdim=True)  # B(a) x B(p)
        d_an = dist[:, None, :].expand(-1, len(labels), -1)  # B(a) x B(p) x B(n)
        farther = negative[:, None, :] & (d_an > dist[:, :, None])
        semi_hard = d_an.masked_fill(~farther, torch.inf).amin(2)
        nearest = dist.masked_fill(~negative, torch.inf).amin(1, keepdim=True).expand_as(semi_hard)
        chosen = torch.where(farther.any(2), semi_hard, nearest)
        losses = torch.relu(dist - chosen + margin)[pairs]
    if losses.numel() == 0:
        zero = mu.float().sum() * 0.0
        return zero, zero.detach()
    return losses.mean(), (losses > 0).float().mean().detach()


class TVAE(VAE):
    """The VAE plus a weighted triplet loss on the posterior means:
    loss = recon + kl + triplet_weight * triplet, where
    recon = binary cross-entropy between the decoder logits of the sampled z and the
    pixels in [0, 1], summed over the 3 x H x W pixels, averaged over the batch;
    kl = KL(q(z|x) || N(0, I)) summed over latent dimensions, averaged over the batch;
    triplet = the triplet loss on mu with the style labels, mined and measured as
    triplet_mining and triplet_distance say (see `triplet_loss`).
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
        triplet_mining: str,
        **backbone,
    ):
        super().__init__(image_size, latent_dim, **backbone)
        if triplet_distance not in DISTANCES:
            raise StylepathError(f"triplet_distance must be one of {DISTANCES}, not {triplet_distance!r}")
        if triplet_mining not in MININGS:
            raise StylepathError(f"triplet_mining must be one of {MININGS}, not {triplet_mining!r}")
        self.triplet_margin = float(triplet_margin)
        self.triplet_weight = float(triplet_weight)
        self.triplet_distance = triplet_distance
        self.triplet_mining = triplet_mining

    @classmethod
    def from_settings(cls, settings: dict, image_size: int):
        return cls(
            image_size,
            int(settings["latent_dim"]),
            triplet_margin=settings["triplet_margin"],
            triplet_weight=settings["triplet_weight"],
            triplet_distance=settings["triplet_distance"],
            triplet_mining=settings["triplet_mining"],
            **backbone_options(settings),
        )

    def loss_terms(self, x, labels):
        terms, mu = self.vae_terms(x)
        triplet, active = triplet_loss(mu, labels, self.triplet_margin, self.triplet_distance, self.triplet_mining)
        terms["loss"] = terms["loss"] + self.triplet_weight * triplet
        terms["triplet"] = triplet
        terms["active_triplets"] = active
        return terms


MODEL = TVAE
