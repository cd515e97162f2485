"""The five autoencoders: shapes at every image size, loss terms against independent
formulas, learning on tiny data, the AAE's pull towards the prior, model files.

`make_paintings` and `write_dataset` (tiny labelled images) are also used by
test_train.py and test_encode.py."""

from functools import partial

import numpy as np
import pandas as pd
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from stylepath.config import model_names, model_settings, with_defaults
from stylepath.io import StylepathError
from stylepath.models import build_model, load_model, save_model
from stylepath.models.backbone import high_pass, reconstruction_loss, to_model_input
from stylepath.models.tvae import triplet_loss
from stylepath.models.vae import kl_to_standard_normal

STYLES = ["expressionism", "impressionism", "realism", "romanticism"]
MODELS = model_names()
DEFAULTS = with_defaults({})
SMALL = {"latent_dim": 4, "disc_hidden": [32, 32]}


def settings(name: str, **overrides) -> dict:
    """Model `name`'s training settings from the schema's defaults, with `overrides`."""
    return {**model_settings(DEFAULTS, name, 0), **overrides}


def make_paintings(n_per_style: int = 8, size: int = 32, seed: int = 0):
    """(uint8 N x size x size x 3, metadata): four easily told apart 'styles' (red
    horizontal waves, blue vertical waves, green checkers, yellow blobs) with random
    frequency, phase and noise; the last quarter of each style is the val split."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    images, rows = [], []
    for s, style in enumerate(STYLES):
        for i in range(n_per_style):
            freq, phase = rng.uniform(2, 5), rng.uniform(0, 2 * np.pi)
            if s == 0:
                pattern, colour = 0.5 + 0.5 * np.sin(2 * np.pi * freq * yy + phase), (0.9, 0.2, 0.1)
            elif s == 1:
                pattern, colour = 0.5 + 0.5 * np.sin(2 * np.pi * freq * xx + phase), (0.1, 0.3, 0.9)
            elif s == 2:
                pattern, colour = (np.floor(freq * xx + phase) + np.floor(freq * yy)) % 2, (0.2, 0.8, 0.2)
            else:
                cy, cx = rng.uniform(0.3, 0.7, 2)
                pattern, colour = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) * freq * 10), (0.9, 0.8, 0.1)
            image = pattern[..., None] * np.array(colour) + rng.normal(0, 0.03, (size, size, 3))
            images.append(np.clip(image * 255, 0, 255).astype(np.uint8))
            split = "val" if i >= n_per_style * 3 // 4 else "train"
            rows.append({"image_id": f"{style}_{i:03d}", "style": style, "split": split, "source": "test"})
    return np.stack(images), pd.DataFrame(rows)


def write_dataset(folder, n_per_style: int = 8, size: int = 32):
    """images.npy and metadata.parquet in `folder`; returns their paths."""
    images, metadata = make_paintings(n_per_style, size)
    images_path, metadata_path = folder / "images.npy", folder / "metadata.parquet"
    np.save(images_path, images)
    metadata.to_parquet(metadata_path, index=False)
    return images_path, metadata_path


@pytest.fixture(scope="module")
def paintings():
    """(x float32 32 x 3 x 32 x 32 in [0, 1], integer style labels 32)."""
    images, metadata = make_paintings(8, 32)
    labels = torch.tensor(metadata["style"].map(STYLES.index).to_numpy())
    return to_model_input(torch.from_numpy(images)), labels


@pytest.mark.parametrize("size", [32, 64, 128])
@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_round_trips_shapes_at_every_size(name, size):
    torch.manual_seed(0)
    model = build_model(name, settings(name, latent_dim=8), size)
    x = torch.rand(2, 3, size, size)
    z, logvar = model.encode(x)
    x_hat = model.decode(z)
    assert z.shape == (2, 8)
    assert (logvar is not None) == (name in ("vae", "beta_vae", "tvae"))
    if logvar is not None:
        assert logvar.shape == (2, 8)
    assert x_hat.shape == x.shape
    assert x_hat.min() >= 0 and x_hat.max() <= 1


def test_high_pass_is_zero_on_flat_images_and_keeps_fine_detail_not_layout():
    flat = torch.full((1, 3, 32, 32), 0.4)
    assert torch.allclose(high_pass(flat), torch.zeros_like(flat), atol=1e-6)
    ramp = torch.linspace(0, 1, 32).expand(1, 3, 32, 32).contiguous()  # layout: a smooth gradient
    inside = high_pass(ramp)[..., 4:-4, 4:-4]  # away from the reflected borders
    assert inside.abs().max() < 1e-5  # a linear ramp survives a symmetric blur unchanged
    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    stripes = ((xx % 2) * 0.1 + 0.45).expand(1, 3, 32, 32)  # one-pixel brushstrokes, +-0.05
    gain = high_pass(stripes)[..., 4:-4, 4:-4].abs().mean() / 0.05
    # closed form: the 7-tap Gaussian (sigma 1.5) answers a period-2 pattern with sum k_n (-1)^n / sum k_n
    taps = np.exp(-0.5 * (np.arange(-3, 4) / 1.5) ** 2)
    blur_response = (taps * (-1.0) ** np.arange(-3, 4)).sum() / taps.sum()  # -0.0135
    assert gain == pytest.approx(10 * (1 - blur_response), rel=1e-4)


def test_high_pass_matches_torchvision_gaussian_blur():
    from torchvision.transforms.functional import gaussian_blur

    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(high_pass(x), (x - gaussian_blur(x, 7, 1.5)) * 10, atol=1e-5)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_can_see_the_high_pass_and_its_file_keeps_that(tmp_path, name):
    own = settings(name, **SMALL, encoder_input="image_and_high_pass")
    torch.manual_seed(0)
    model = build_model(name, own, 32).eval()
    assert model.encoder.convs[0].in_channels == 6
    x = torch.rand(3, 3, 32, 32)
    z = model.encode(x)[0]
    assert z.shape == (3, 4) and model.decode(z).shape == x.shape
    save_model(model, own, tmp_path / "model.pt")
    loaded = load_model(tmp_path / "model.pt")
    assert loaded.encoder.with_high_pass
    with torch.no_grad():
        assert torch.equal(loaded.encode(x)[0], model.encode(x)[0])
    assert build_model(name, settings(name, **SMALL), 32).encoder.convs[0].in_channels == 3


def test_unknown_encoder_input_is_a_user_error():
    with pytest.raises(StylepathError, match="encoder_input must be one of"):
        build_model("vae", settings("vae", encoder_input="gram"), 32)


def test_unsupported_size_and_name_are_user_errors():
    with pytest.raises(StylepathError, match="48 px"):
        build_model("ae", settings("ae"), 48)
    with pytest.raises(StylepathError, match="unknown model"):
        build_model("gan", settings("ae"), 32)


def test_reconstruction_loss_is_bce_summed_over_pixels_averaged_over_batch():
    logits, x = torch.randn(3, 3, 4, 4), torch.rand(3, 3, 4, 4)
    p = torch.sigmoid(logits)
    expected = -(x * p.log() + (1 - x) * (1 - p).log()).sum() / 3
    torch.testing.assert_close(reconstruction_loss(logits, x), expected)


def test_kl_matches_torch_distributions():
    mu, logvar = torch.randn(5, 6), torch.randn(5, 6)
    posterior = Normal(mu, torch.exp(0.5 * logvar))
    expected = kl_divergence(posterior, Normal(torch.zeros(6), torch.ones(6))).sum(1).mean()
    torch.testing.assert_close(kl_to_standard_normal(mu, logvar), expected)
    assert kl_to_standard_normal(torch.zeros(2, 3), torch.zeros(2, 3)) == 0


@pytest.mark.parametrize("name, beta", [("vae", 1.0), ("beta_vae", 4.0), ("beta_vae", 2.5)])
def test_vae_objective_is_recon_plus_beta_kl(paintings, name, beta):
    x, labels = paintings
    torch.manual_seed(0)
    model = build_model(name, settings(name, **SMALL, beta=beta), 32)
    terms = model.loss_terms(x[:4], labels[:4])
    torch.testing.assert_close(terms["loss"], terms["recon"] + beta * terms["kl"])
    mu, logvar = model.encode(x[:4])
    torch.testing.assert_close(terms["kl"], kl_to_standard_normal(mu, logvar))


def test_triplet_loss_is_zero_when_the_margin_is_met():
    # Two tight styles 10 apart: every d(a, p) = 0.1, every d(a, n) ~ 10 > 0.1 + margin.
    mu = torch.tensor([[0.0, 0.0], [0.1, 0.0], [10.0, 0.0], [10.1, 0.0]])
    labels = torch.tensor([0, 0, 1, 1])
    for distance in ("l1", "l2"):
        loss, active = triplet_loss(mu, labels, margin=1.0, distance=distance)
        assert loss == 0 and active == 0


def test_triplet_loss_is_positive_when_the_margin_is_violated():
    # Styles interleaved on a line: anchors are nearer to the other style.
    mu = torch.tensor([[0.0], [2.0], [1.0], [3.0]], requires_grad=True)
    labels = torch.tensor([0, 0, 1, 1])
    loss, active = triplet_loss(mu, labels, margin=1.0, distance="l1")
    # Independent count over the 8 valid triplets (a, p, n).
    x = mu.detach().squeeze(1).tolist()
    losses = [
        max(abs(x[a] - x[p]) - abs(x[a] - x[n]) + 1.0, 0.0)
        for a in range(4)
        for p in range(4)
        for n in range(4)
        if a != p and labels[a] == labels[p] and labels[n] != labels[a]
    ]
    assert len(losses) == 8
    torch.testing.assert_close(loss, torch.tensor(sum(losses) / 8))
    assert loss > 0
    assert active == sum(value > 0 for value in losses) / 8
    loss.backward()
    assert torch.isfinite(mu.grad).all() and mu.grad.abs().sum() > 0


def test_triplet_loss_l2_uses_euclidean_distance():
    mu = torch.tensor([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]])  # d(a, p) = 5, d(a, n) = 1
    loss, _ = triplet_loss(mu, torch.tensor([0, 0, 1]), margin=0.5, distance="l2")
    # Triplets (0, 1, 2): 5 - 1 + 0.5; (1, 0, 2): 5 - sqrt(2^2 + 4^2) + 0.5.
    expected = ((5 - 1 + 0.5) + (5 - np.sqrt(20) + 0.5)) / 2
    torch.testing.assert_close(loss, torch.tensor(expected, dtype=torch.float32))


def test_triplet_loss_without_valid_triplets_is_zero():
    loss, active = triplet_loss(torch.randn(3, 2), torch.tensor([0, 1, 2]), margin=1.0, distance="l1")
    assert loss == 0 and active == 0


def brute_force_triplet_loss(mu, labels, margin: float, distance: str, mining: str) -> float:
    """The triplet loss by explicit loops over anchors, positives and negatives (numpy)."""
    mu, labels = mu.detach().double().numpy(), labels.numpy()
    if distance == "cosine":
        unit = mu / np.linalg.norm(mu, axis=1, keepdims=True)
        d = 1 - unit @ unit.T
    else:
        d = np.array([[np.linalg.norm(a - b, ord={"l1": 1, "l2": 2}[distance]) for b in mu] for a in mu])
    losses = []
    for a in range(len(mu)):
        positives = [p for p in range(len(mu)) if p != a and labels[p] == labels[a]]
        negatives = [n for n in range(len(mu)) if labels[n] != labels[a]]
        if not positives or not negatives:
            continue
        if mining == "hard":
            losses.append(max(max(d[a, positives]) - min(d[a, negatives]) + margin, 0))
        for p in positives:
            if mining == "all":
                losses += [max(d[a, p] - d[a, n] + margin, 0) for n in negatives]
            elif mining == "semi_hard":
                farther = [d[a, n] for n in negatives if d[a, n] > d[a, p]]
                losses.append(max(d[a, p] - (min(farther) if farther else min(d[a, negatives])) + margin, 0))
    return sum(losses) / len(losses), sum(value > 0 for value in losses) / len(losses)


@pytest.mark.parametrize("distance", ["l1", "l2", "cosine"])
@pytest.mark.parametrize("mining", ["all", "hard", "semi_hard"])
def test_triplet_mining_matches_an_independent_computation(distance, mining):
    # Three styles of uneven size and a lone fourth (no positive: never an anchor).
    mu = torch.randn(11, 3, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 0, 1, 3])
    loss, active = triplet_loss(mu, labels, margin=0.3, distance=distance, mining=mining)
    expected, expected_active = brute_force_triplet_loss(mu, labels, 0.3, distance, mining)
    torch.testing.assert_close(loss, torch.tensor(expected, dtype=torch.float32))
    assert active.item() == pytest.approx(expected_active)


def test_triplet_mining_picks_the_hard_and_semi_hard_negative():
    # On a line: anchor 0 (style 0) with positive 2.0; negatives at 1.0 (hard: nearer than the
    # positive), 2.5 (semi-hard: within the margin beyond it) and 9.0 (easy), each a lone style.
    mu = torch.tensor([[0.0], [2.0], [1.0], [2.5], [9.0]])
    labels = torch.tensor([0, 0, 1, 2, 3])
    # Anchor 0: hard 2 - 1 + 1 = 2; anchor 1 (positive 0 at 2): nearest negative 2.5 at 0.5, hard 2.5.
    hard, _ = triplet_loss(mu, labels, margin=1.0, distance="l1", mining="hard")
    torch.testing.assert_close(hard, torch.tensor((2.0 + 2.5) / 2))
    # Anchor 0: nearest negative farther than 2 is 2.5 -> 2 - 2.5 + 1; anchor 1: 1.0 at 1 -> none
    # farther than 2 but 9 (7 away) -> 2 - 7 + 1 < 0 -> 0.
    semi_hard, active = triplet_loss(mu, labels, margin=1.0, distance="l1", mining="semi_hard")
    torch.testing.assert_close(semi_hard, torch.tensor(0.5 / 2))
    assert active == 0.5


def test_cosine_triplet_loss_ignores_the_scale_of_the_means():
    mu = torch.randn(12, 5, generator=torch.Generator().manual_seed(1))
    labels = torch.arange(12) % 3
    for mining in ("all", "hard", "semi_hard"):
        small, _ = triplet_loss(0.01 * mu, labels, margin=0.2, distance="cosine", mining=mining)
        large, _ = triplet_loss(100 * mu, labels, margin=0.2, distance="cosine", mining=mining)
        torch.testing.assert_close(small, large)
    l1_small, _ = triplet_loss(0.01 * mu, labels, margin=0.2, distance="l1")
    l1_large, _ = triplet_loss(100 * mu, labels, margin=0.2, distance="l1")
    assert l1_small < l1_large  # an absolute distance is not scale-free: shrinking the means meets less of it


def test_unknown_triplet_mining_or_distance_is_a_user_error():
    with pytest.raises(StylepathError, match="triplet_mining"):
        build_model("tvae", settings("tvae", **SMALL, triplet_mining="random"), 32)
    with pytest.raises(StylepathError, match="triplet_distance"):
        build_model("tvae", settings("tvae", **SMALL, triplet_distance="l3"), 32)


def test_tvae_objective_adds_weighted_triplet_loss(paintings):
    x, labels = paintings
    torch.manual_seed(0)
    model = build_model("tvae", settings("tvae", **SMALL, triplet_weight=0.5, triplet_margin=2.0), 32)
    batch = torch.arange(0, 32, 4)  # two images of each style
    terms = model.loss_terms(x[batch], labels[batch])
    torch.testing.assert_close(terms["loss"], terms["recon"] + terms["kl"] + 0.5 * terms["triplet"])
    mu, _ = model.encode(x[batch])
    expected, active = triplet_loss(mu, labels[batch], margin=2.0, distance="l1", mining="all")
    torch.testing.assert_close(terms["triplet"], expected)
    assert terms["triplet"] > 0 and terms["active_triplets"] == active


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_learns_on_tiny_data(paintings, name):
    x, labels = paintings
    torch.manual_seed(0)
    model = build_model(name, settings(name, **SMALL), 32)
    optimisers = model.make_optimisers(1e-3)
    recon = [model.training_step(x, labels, optimisers)["recon"].item() for _ in range(12)]
    assert np.mean(recon[-3:]) < 0.9 * recon[0], recon


def test_aae_regularisation_moves_codes_towards_the_prior():
    images, _ = make_paintings(16, 32)
    x = to_model_input(torch.from_numpy(images))
    torch.manual_seed(0)
    model = build_model("aae", settings("aae", latent_dim=2, disc_hidden=[64, 64], disc_lr=1e-3), 32)
    optimisers = model.make_optimisers(1e-3)

    def kl_of_codes_to_prior():
        """KL(N(mean, cov) of the codes || N(0, I)): 0 when the codes look like the prior."""
        with torch.no_grad():
            z = model.encode(x)[0].double()
        cov, mean = torch.cov(z.T), z.mean(0)
        return 0.5 * (torch.trace(cov) + mean @ mean - len(cov) - torch.logdet(cov)).item()

    before = kl_of_codes_to_prior()
    generator = torch.Generator().manual_seed(0)
    for _ in range(25):
        for batch in torch.randperm(len(x), generator=generator).split(16):
            terms = model.regularisation_phase(x[batch], optimisers)
    assert kl_of_codes_to_prior() < 0.8 * before
    assert 0 <= terms["disc_accuracy"] <= 1 and terms["disc_loss"] > 0 and terms["gen_loss"] > 0


def test_aae_warm_up_moves_the_codes_moments_onto_the_prior(paintings):
    x, _ = paintings
    torch.manual_seed(0)
    model = build_model("aae", settings("aae", latent_dim=3, warm_up_steps=200), 32)

    def moments_gap():
        with torch.no_grad():
            z = model.encode(x)[0].double()
        return (z.mean(0).square().sum() + (torch.cov(z.T) - torch.eye(3)).square().sum()).item()

    before = moments_gap()
    model.warm_up(iter(lambda: x[torch.randperm(len(x))[:16]], None), lr=1e-3)
    assert moments_gap() < 0.1 * before
    untouched = build_model("aae", settings("aae", latent_dim=3, warm_up_steps=0), 32)
    state = {k: v.clone() for k, v in untouched.state_dict().items()}
    untouched.warm_up(iter(lambda: x, None), lr=1e-3)
    assert all(torch.equal(state[k], v) for k, v in untouched.state_dict().items())


def test_aae_takes_disc_steps_discriminator_updates_per_batch(paintings):
    x, labels = paintings
    torch.manual_seed(0)
    model = build_model("aae", settings("aae", **SMALL, disc_steps=3), 32)
    optimisers = model.make_optimisers(1e-3)
    for _ in range(2):
        model.training_step(x[:8], labels[:8], optimisers)
    steps = {name: next(iter(o.state.values()))["step"].item() for name, o in optimisers.items()}
    assert steps == {"autoencoder": 2, "discriminator": 6, "generator": 2}


def test_model_file_round_trips(tmp_path, paintings):
    x, _ = paintings
    torch.manual_seed(0)
    own = settings("beta_vae", **SMALL, beta=2.0, epochs=1)
    model = build_model("beta_vae", own, 32).eval()
    save_model(model, own, tmp_path / "model.pt")
    payload = torch.load(tmp_path / "model.pt", weights_only=True)
    assert (payload["model"], payload["image_size"], payload["settings"]) == ("beta_vae", 32, own)
    loaded = load_model(tmp_path / "model.pt", "cpu")
    assert loaded.beta == 2.0 and not loaded.training
    with torch.no_grad():
        assert torch.equal(loaded.decode(loaded.encode(x)[0]), model.decode(model.encode(x)[0]))
    with pytest.raises(StylepathError, match="does not exist"):
        load_model(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    with pytest.raises(StylepathError, match="not a stylepath model file"):
        load_model(tmp_path / "junk.pt")


@pytest.mark.parametrize("name", list(MODELS))
def test_training_step_runs_under_bf16_autocast(paintings, name):
    """The CUDA path runs forwards under bf16 autocast; CPU autocast checks the dtypes mix."""
    x, labels = paintings
    torch.manual_seed(0)
    model = build_model(name, settings(name, **SMALL), 32)
    optimisers = model.make_optimisers(1e-3)
    autocast = partial(torch.autocast, device_type="cpu", dtype=torch.bfloat16)
    terms = model.training_step(x[:16], labels[:16], optimisers, autocast)
    assert all(value.dtype == torch.float32 and torch.isfinite(value) for value in terms.values())
    assert all(p.dtype == torch.float32 for p in model.parameters())
