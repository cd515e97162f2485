"""`stylepath train` and `stylepath plot-training` on tiny data: files, history, determinism,
resuming a killed run, divergence, user errors."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from test_models import settings, write_dataset

import stylepath.models.vae
import stylepath.train
from stylepath import cli
from stylepath.diagnostics import history_notes
from stylepath.figures.plot_training import training_figure
from stylepath.models import load_model

PRIOR_COLUMNS = [  # logged by every model whose objective has a prior
    "prior_sphericity", "prior_max_abs_mean", "prior_min_variance", "prior_max_variance", "prior_mmd2"
]  # fmt: skip
TERMS = {
    "ae": ["loss", "recon"],
    "vae": ["loss", "recon", "kl"],
    "beta_vae": ["loss", "recon", "kl"],
    "aae": ["recon", "disc_loss", "gen_loss", "disc_accuracy"],
    "tvae": ["loss", "recon", "kl", "triplet", "active_triplets"],
}


def train_settings(name: str, **overrides) -> dict:
    """What the train rule passes (training.shared + the model's block, schema defaults), small."""
    small = {"latent_dim": 4, "epochs": 2, "batch_size": 16, "disc_hidden": [32, 32], "warm_up_steps": 3}
    return settings(name, **{**small, **overrides})


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """(images.npy, metadata.parquet): 4 styles x 8 images of 32 px, 24 train and 8 val."""
    return write_dataset(tmp_path_factory.mktemp("data"), n_per_style=8, size=32)


def train(dataset, folder, settings: dict) -> dict:
    """Run `stylepath train` into `folder`; return the paths it was given."""
    images, metadata = dataset
    paths = {name: folder / name for name in ("checkpoint.pt", "model.pt", "history.csv")}
    cli.main(
        ["train", "--settings", json.dumps(settings), "--images", str(images), "--metadata", str(metadata)]
        + ["--checkpoint", str(paths["checkpoint.pt"]), "--model", str(paths["model.pt"])]
        + ["--history", str(paths["history.csv"]), "--threads", "1"]
    )
    return paths


def state(path) -> dict:
    return torch.load(path, weights_only=True)["state_dict"]


def assert_same_weights(path_a, path_b) -> None:
    a, b = state(path_a), state(path_b)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[key], b[key]) for key in a)


@pytest.mark.parametrize("name", list(TERMS))
def test_every_model_trains_and_writes_model_and_history(dataset, tmp_path, name):
    paths = train(dataset, tmp_path, train_settings(name))
    history = pd.read_csv(paths["history.csv"])
    prior = PRIOR_COLUMNS if name != "ae" else []
    columns = ["epoch", *TERMS[name], "seconds", "val_recon_mse", *prior, "eval_seconds", "model", "replicate"]
    assert list(history.columns) == columns
    assert (history["model"] == name).all() and (history["replicate"] == 0).all()
    assert history["epoch"].tolist() == [1, 2]
    assert np.isfinite(history.drop(columns="model").to_numpy()).all()
    assert history["val_recon_mse"].between(0, 1).all()
    for fraction in ("disc_accuracy", "active_triplets"):
        if fraction in history:
            assert history[fraction].between(0, 1).all()
    model = load_model(paths["model.pt"])
    assert (model.name, model.image_size, model.latent_dim) == (name, 32, 4)
    assert not paths["checkpoint.pt"].exists()  # removed once the model is written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv", "model.pt"]  # no temporary files


def test_eval_every_logs_the_statistics_on_its_epochs_and_the_last(dataset, tmp_path):
    history = pd.read_csv(train(dataset, tmp_path, train_settings("vae", epochs=5, eval_every=2))["history.csv"])
    logged = history.set_index("epoch")["val_recon_mse"].notna()
    assert logged.to_dict() == {1: False, 2: True, 3: False, 4: True, 5: True}
    assert history["prior_sphericity"].notna().tolist() == logged.tolist()
    assert history["loss"].notna().all()  # the losses every epoch
    notes = history_notes(history)  # the fall over the last fifth: from epoch 4, the last logged before it
    expected = 1 - history["val_recon_mse"].iloc[4] / history["val_recon_mse"].iloc[3]
    assert notes["val_recon_fall_last_fifth"] == pytest.approx(expected)


@pytest.mark.parametrize("name", ["vae", "aae"])
def test_a_data_set_without_validation_images_trains(tmp_path, name):
    images, metadata = write_dataset(tmp_path, n_per_style=4, size=32)
    pd.read_parquet(metadata).assign(split="train").to_parquet(metadata)
    history = pd.read_csv(train((images, metadata), tmp_path, train_settings(name))["history.csv"])
    assert history["val_recon_mse"].isna().all() and history["prior_sphericity"].notna().all()


def test_same_seed_repeats_and_another_seed_differs(dataset, tmp_path):
    first = train(dataset, tmp_path / "a", train_settings("vae"))
    again = train(dataset, tmp_path / "b", train_settings("vae"))
    other = train(dataset, tmp_path / "c", train_settings("vae", seed=1))
    assert_same_weights(first["model.pt"], again["model.pt"])
    columns = ["loss", "recon", "kl", "val_recon_mse"]
    pd.testing.assert_frame_equal(
        pd.read_csv(first["history.csv"])[columns], pd.read_csv(again["history.csv"])[columns]
    )
    assert not torch.equal(
        state(first["model.pt"])["decoder.linear.weight"], state(other["model.pt"])["decoder.linear.weight"]
    )


def test_augmented_training_repeats_and_differs_from_unaugmented(dataset, tmp_path):
    augmented = train_settings("tvae", augment_flip=True, augment_shift=2)
    first = train(dataset, tmp_path / "a", augmented)
    again = train(dataset, tmp_path / "b", augmented)
    plain = train(dataset, tmp_path / "c", train_settings("tvae"))
    assert_same_weights(first["model.pt"], again["model.pt"])
    weights = "encoder.linear.weight"
    assert not torch.equal(state(first["model.pt"])[weights], state(plain["model.pt"])[weights])


def kill_after_epoch(monkeypatch, epoch: int) -> None:
    """Make train stop like a killed job right after writing the checkpoint of `epoch`."""
    save_checkpoint = stylepath.train.save_checkpoint

    def save_then_die(path, model, optimisers, generator, done, *args):
        save_checkpoint(path, model, optimisers, generator, done, *args)
        if done == epoch:
            raise KeyboardInterrupt

    monkeypatch.setattr(stylepath.train, "save_checkpoint", save_then_die)


AUGMENTED = {"augment_flip": True, "augment_shift": 3, "triplet_mining": "semi_hard", "triplet_distance": "cosine"}


@pytest.mark.parametrize(("name", "overrides"), [("tvae", {}), ("tvae", AUGMENTED), ("aae", {})])
def test_killed_run_resumes_to_the_same_weights(dataset, tmp_path, monkeypatch, capsys, name, overrides):
    settings = train_settings(name, epochs=3, lr_decay_at=0.5, **overrides)  # the decay falls in the resumed epoch
    straight = train(dataset, tmp_path / "straight", settings)
    with monkeypatch.context() as patch:
        kill_after_epoch(patch, 2)
        with pytest.raises(KeyboardInterrupt):
            train(dataset, tmp_path / "killed", settings)
    assert (tmp_path / "killed" / "checkpoint.pt").exists()
    assert not (tmp_path / "killed" / "model.pt").exists()
    capsys.readouterr()
    resumed = train(dataset, tmp_path / "killed", settings)
    assert "Resuming from" in capsys.readouterr().out
    assert_same_weights(straight["model.pt"], resumed["model.pt"])
    history, resumed_history = pd.read_csv(straight["history.csv"]), pd.read_csv(resumed["history.csv"])
    timings = ["seconds", "eval_seconds"]
    pd.testing.assert_frame_equal(history.drop(columns=timings), resumed_history.drop(columns=timings))


def test_learning_rates_follow_the_step_schedule_and_can_be_set_again():
    settings = {"epochs": 10, "lr_decay_at": 0.7, "lr_decay_factor": 0.1}
    scales = [stylepath.train.learning_rate_scale(epoch, settings) for epoch in range(1, 11)]
    assert scales == [1.0] * 7 + [0.1] * 3
    assert stylepath.train.learning_rate_scale(10, {**settings, "lr_decay_at": None}) == 1.0
    optimiser = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
    for scale in (0.1, 0.1, 1.0, 0.1):  # idempotent: the initial rate is kept
        stylepath.train.set_learning_rates({"model": optimiser}, scale)
    assert optimiser.param_groups[0]["lr"] == pytest.approx(0.001)
    assert optimiser.param_groups[0]["initial_lr"] == 0.01


def test_checkpoint_of_other_settings_is_not_resumed(dataset, tmp_path, monkeypatch, capsys):
    with monkeypatch.context() as patch:
        kill_after_epoch(patch, 1)
        with pytest.raises(KeyboardInterrupt):
            train(dataset, tmp_path / "run", train_settings("ae", lr=1e-3))
    capsys.readouterr()
    restarted = train(dataset, tmp_path / "run", train_settings("ae", lr=2e-3))
    assert "other settings (changed: lr); starting over" in capsys.readouterr().out
    fresh = train(dataset, tmp_path / "fresh", train_settings("ae", lr=2e-3))
    assert_same_weights(restarted["model.pt"], fresh["model.pt"])


def test_checkpoint_of_other_images_is_not_resumed(dataset, tmp_path, monkeypatch, capsys):
    with monkeypatch.context() as patch:
        kill_after_epoch(patch, 1)
        with pytest.raises(KeyboardInterrupt):
            train(dataset, tmp_path / "run", train_settings("ae"))
    images = np.load(dataset[0])
    np.save(tmp_path / "images.npy", 255 - images)
    capsys.readouterr()
    train((tmp_path / "images.npy", dataset[1]), tmp_path / "run", train_settings("ae"))
    assert "other images or training code; starting over" in capsys.readouterr().out


def test_nan_loss_stops_with_a_named_error_and_no_model(dataset, tmp_path, monkeypatch):
    calls = {"n": 0}
    kl = stylepath.models.vae.kl_to_standard_normal

    def kl_nan_from_epoch_2(mu, logvar):
        calls["n"] += 1  # 24 train images / 16 per batch = 2 steps per epoch
        return kl(mu, logvar) * (float("nan") if calls["n"] > 2 else 1.0)

    monkeypatch.setattr(stylepath.models.vae, "kl_to_standard_normal", kl_nan_from_epoch_2)
    with pytest.raises(SystemExit) as error:
        train(dataset, tmp_path, train_settings("beta_vae", epochs=3))
    message = str(error.value)
    assert "beta_vae diverged in epoch 2: loss = nan," in message and "kl = nan;" in message
    assert "lower the learning rate (training.beta_vae.lr" in message
    assert not (tmp_path / "model.pt").exists() and not (tmp_path / "history.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]  # epoch 1, no temporary files


def test_user_errors_name_the_fix(dataset, tmp_path):
    with pytest.raises(SystemExit, match="lacks \\['lr'\\]"):
        train(dataset, tmp_path, {k: v for k, v in train_settings("ae").items() if k != "lr"})
    images = np.load(dataset[0])
    np.save(tmp_path / "images.npy", images[:-1])
    with pytest.raises(SystemExit, match="31 images but .* has 32 rows"):
        train((tmp_path / "images.npy", dataset[1]), tmp_path, train_settings("ae"))
    assert not (tmp_path / "model.pt").exists()


def test_training_figure_has_one_panel_per_logged_quantity_and_a_line_per_replicate(tmp_path):
    rows = {"epoch": [1, 2, 3], "recon": [3.0, 2.0, 1.5], "disc_loss": [1.4, 1.3, 1.3], "gen_loss": [0.7, 0.8, 0.7]}
    rows |= {"disc_accuracy": [0.6, 0.55, 0.5], "val_recon_mse": [0.1, 0.08, 0.07], "seconds": [1.0, 1.0, 1.0]}
    rows |= {"prior_min_variance": [0.2, 0.5, 0.8], "prior_max_variance": [3.0, 2.0, 1.2]}
    recon = np.array(rows["recon"])
    histories = pd.concat([pd.DataFrame(rows).assign(model="aae", replicate=s, recon=recon + s) for s in (0, 1)])
    fig = training_figure(histories, "aae", "colorblind")
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 6 and "logged discriminator accuracy" in titles and "validation MSE per pixel" in titles
    panel = fig.axes[titles.index("reconstruction BCE (nats/image)")]
    np.testing.assert_array_equal(panel.lines[0].get_ydata(), [3.0, 2.0, 1.5])
    np.testing.assert_array_equal(panel.lines[1].get_ydata(), [4.0, 3.0, 2.5])  # seed 1
    variance = fig.axes[titles.index("prior sample: variance range")]
    assert len(variance.lines) == 2 * 2 + 1  # min and max per replicate, the prior's 1
    for seed in (0, 1):
        histories[histories["replicate"] == seed].to_csv(tmp_path / f"history{seed}.csv", index=False)
    cli.main(
        ["plot-training", "--settings", '{"figures": {"dpi": 50, "palette": "colorblind"}}', "--histories"]
        + [str(tmp_path / "history0.csv"), str(tmp_path / "history1.csv"), "--figures", str(tmp_path / "figures")]
    )
    with Image.open(tmp_path / "figures" / "aae.png") as image:
        assert image.format == "PNG" and image.width > 300
