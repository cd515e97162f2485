"""Curve patterns, the cross-dissolve index, mean curves, the summary and the figures."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from scipy import stats
from test_interpolate import BlendDecoder, BlobDecoder

from stylepath import cli
from stylepath.gatys import gram, layer_loss
from stylepath.interpolate import decode_trajectories
from stylepath.patterns import mean_curves
from stylepath.statistics import t_band
from stylepath.summarise_patterns import summarise
from stylepath.walk_shape import cross_dissolve_index, curve_statistics, label_curve, periodicity_p
from stylepath.walks import style_distances

RULE = {
    "flat_cv": 0.05,
    "turn_tolerance": 0.05,
    "min_r2": 0.8,
    "min_bend": 0.1,
    "horseshoe_orientations": ["hump", "valley"],
    "wave_min_turns": 2,
    "min_end_difference": 0.008,
    "wave_alpha": 0.025,
    "wave_permutations": 999,
    "confidence": 0.95,
}
U = (np.arange(9) + 0.5) / 9  # midpoints of a 10-point walk


def label(curve, **rule):
    stats = curve_statistics(curve, U, RULE["turn_tolerance"])
    stats["wave_p"] = periodicity_p(curve, RULE["wave_permutations"])
    return label_curve(stats, U, {**RULE, **rule})


@pytest.mark.parametrize(
    "curve, expected",
    [
        (1 + 3 * np.sin(np.pi * U), ("horseshoe", "hump")),  # loss peaks mid-walk
        (1 + 8 * (U - 0.5) ** 2, ("horseshoe", "valley")),  # a U
        (2 + np.sin(4 * np.pi * U), ("wave", "none")),  # two periods of oscillation
        (2 + 0.5 * (-1.0) ** np.arange(9), ("wave", "valley")),  # alternating (5 highs, 4 lows): the zigzag bin
        (2 + np.sin(3 * np.pi * U + 0.3), ("other", "valley")),  # 1.5 periods in 9 losses: not beyond noise
        (np.full(9, 3.0) + 0.01 * np.sin(9 * U), ("other", "none")),  # flat
        (np.exp(2 * U), ("other", "valley")),  # monotone: bends but never turns
        (np.r_[1.0, 1.04, 1.08, 1.12, 1.3, 1.7, 2.3, 3.1, 4.2], ("other", "valley")),  # fit turns, data do not
        (np.zeros(9), ("other", "none")),
    ],
)
def test_rule_labels_constructed_curves(curve, expected):
    assert label(curve) == expected
    assert label(1e-7 * curve) == expected  # scale-free: raw losses can be tiny


def test_rule_statistics_and_settings():
    stats = curve_statistics(1 + 4 * (U - 0.5) ** 2, U, 0.05)
    width = U[-1] - U[0]
    # fitted to c/m exactly: a = 4/m, bend = -a w^2/4 < 0, vertex at the middle, one turn
    assert stats["r2"] == pytest.approx(1.0)
    assert stats["bend"] == pytest.approx(-(4 / stats["mean_loss"]) * width**2 / 4)
    assert stats["vertex"] == pytest.approx(0.5) and stats["turns"] == 1
    assert stats["arm"] == pytest.approx(-stats["bend"])  # both arms equal when it turns mid-walk
    # a U turning late: its short right arm decides (min_bend = 0.1 of the mean)
    late = curve_statistics(1 + 4 * (U - 0.75) ** 2, U, 0.05)
    assert late["turns"] == 1 and late["arm"] < 0.1 < -late["bend"]
    assert label(1 + 4 * (U - 0.75) ** 2) == ("other", "valley")
    assert label(1 + 4 * (U - 0.7) ** 2) == ("horseshoe", "valley")
    assert label(1 + 8 * (U - 0.5) ** 2, horseshoe_orientations=["hump"])[0] == "other"
    assert label(1 + 0.3 * np.sin(np.pi * U), min_bend=0.5)[0] == "other"  # too shallow an arc
    noisy_hump = 1 + 3 * np.sin(np.pi * U) + 0.15 * np.cos(7 * np.pi * U)
    assert label(noisy_hump)[0] == "horseshoe"  # wiggles on a clean arc keep its label


def test_a_pure_cross_dissolve_gives_a_convex_curve_for_linear_features():
    """The module doc's claim: with F_t = (1-t) F_0 + t F_1 the consecutive Gram loss is a
    convex quadratic in the midpoint u (a valley or monotone), never a hump or a wave."""
    generator = torch.Generator().manual_seed(0)
    f_0, f_1 = torch.rand(1, 8, 6, 6, generator=generator), torch.rand(1, 8, 6, 6, generator=generator)
    f_0, f_1 = f_0.double(), f_1.double()
    t = torch.linspace(0, 1, 10, dtype=torch.float64).view(-1, 1, 1, 1)
    grams = gram((1 - t) * f_0 + t * f_1)
    curve = layer_loss(grams[1:], grams[:-1], 36).numpy()
    a, _, _ = np.polyfit(U, curve, 2)
    residual = curve - np.polyval(np.polyfit(U, curve, 2), U)
    assert a > 0 and np.abs(residual).max() < 1e-9 * curve.max()
    assert label(curve)[1] == "valley" and label(curve)[0] != "wave"


def walk_frames(decoder, steps=8):
    """Decoded uint8 frames (steps x H x W x 3) of the walk from (1, 0) to (0, 1), and t."""
    pairs = pd.DataFrame({"pair_id": [0], "criterion": ["random"], "image_id_a": ["a"], "image_id_b": ["b"]})
    codes = {"a": np.array([1, 0], np.float32), "b": np.array([0, 1], np.float32)}
    settings = {"steps": steps, "method": "linear", "batch_size": 16}
    images, index = decode_trajectories(decoder, pairs, codes, settings, "cpu")
    return images.astype(np.float64) / 255, index["t"].to_numpy()


def test_cross_dissolve_index_is_one_for_a_pixel_blend_and_low_for_a_moving_shape():
    blend = cross_dissolve_index(*walk_frames(BlendDecoder()))
    assert blend["cross_dissolve_index"] == pytest.approx(1.0, abs=1e-4)  # uint8 rounding only
    assert blend["linear_blend_index"] == pytest.approx(1.0, abs=1e-4)
    assert blend["alpha_rmse"] < 1e-2
    moving = cross_dissolve_index(*walk_frames(BlobDecoder()))
    assert moving["cross_dissolve_index"] < 0.3
    # a dissolve with non-linear timing is still a dissolve; the linear blend says it is late
    late = cross_dissolve_index(*walk_frames(BlendDecoder(power=3.0)))
    assert late["cross_dissolve_index"] == pytest.approx(1.0, abs=1e-4)
    assert late["linear_blend_index"] < 0.9 and late["alpha_rmse"] > 0.1
    still = cross_dissolve_index(np.ones((5, 4, 4, 3)), np.linspace(0, 1, 5))
    assert np.isnan(still["cross_dissolve_index"])


def test_cross_dissolve_index_by_hand():
    # ends 0 and (2, 0); middle frame (1, 1): nearest blend (1, 0), residual 1; |x - mid|^2 = 1
    frames = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    result = cross_dissolve_index(frames, np.array([0.0, 0.5, 1.0]))
    assert result["cross_dissolve_index"] == pytest.approx(0.0)
    frames[1] = [1.5, 0.5]  # nearest blend (1.5, 0): residual 0.25; |x - mid|^2 = 0.5
    result = cross_dissolve_index(frames, np.array([0.0, 0.5, 1.0]))
    assert result["cross_dissolve_index"] == pytest.approx(0.5)
    assert result["linear_blend_index"] == pytest.approx(1 - 0.5 / 0.5)  # blend at t=.5 is (1, 0)
    assert result["alpha_rmse"] == pytest.approx(0.25)
    assert result["end_difference"] == pytest.approx(np.sqrt((4 + 0) / 2))


def test_mean_curves_have_t_bands():
    losses = pd.DataFrame(
        {
            "model": "ae", "pair_id": np.repeat([0, 1, 2], 2), "criterion": ["random"] * 4 + ["nearest"] * 2,
            "step": [0, 1] * 3, "t_from": [0, 0.5] * 3, "t_to": [0.5, 1] * 3,
            "conv1_1": [1.0, 3.0, 2.0, 2.0, 3.0, 1.0], "total": [1.0, 3.0, 2.0, 2.0, 3.0, 1.0],
            "weights_id": "random:seed=0:x",
        }
    )  # fmt: skip
    curves = mean_curves(losses, 0.95)
    assert set(curves["quantity"]) == {"total", "conv1_1"}
    assert set(curves["criterion"]) == {"all", "random", "nearest"}
    row = curves.query("quantity == 'total' and criterion == 'all' and scale == 'raw' and step == 0").iloc[0]
    half = 4.302652729911275 * 1 / np.sqrt(3)  # t(0.975, 2) * sd / sqrt(n), values 1, 2, 3
    assert (row["mean"], row["n"], row["t_mid"]) == (2.0, 3, 0.25)
    assert row["ci_low"] == pytest.approx(2 - half) and row["ci_high"] == pytest.approx(2 + half)
    relative = curves.query("quantity == 'total' and criterion == 'all' and scale == 'relative' and step == 1")
    assert relative["mean"].iloc[0] == pytest.approx(np.mean([1.5, 1.0, 0.5]))
    assert np.isnan(t_band(np.array([1.0]), 0.95)[1])


def test_summary_shares_and_correlation():
    walks = pd.DataFrame(
        {
            "model": "vae", "replicate": 0, "pair_id": range(8), "criterion": ["random", "nearest"] * 4,
            "pattern": ["wave"] * 4 + ["horseshoe"] * 3 + ["other"],
            "orientation": ["hump"] * 4 + ["valley", "valley", "hump", "none"],
            "bend": [0.1, 0.2, 0.3, 0.4, -0.5, -0.6, 0.7, 0.0],
            "cross_dissolve_index": [0.9, 0.95, 0.85, 0.9, 0.2, 0.3, 0.1, 0.5],
            "dissolve_score": [0.8, 0.9, 0.7, 0.8, 0.1, 0.2, 0.1, 0.4],
            "static": False,
            "weights_id": "random:seed=0:x", "instrument": "gatys",
        }
    )  # fmt: skip
    walks["pattern_hump"] = walks["pattern"].where(walks["orientation"] == "hump", "other")
    walks["pattern_valley"] = walks["pattern"].where(walks["orientation"] == "valley", "other")
    summary = summarise(walks)
    overall = summary[summary["criterion"] == "all"].iloc[0]
    assert overall["n_trajectories"] == 8
    assert (overall["share_wave"], overall["share_horseshoe"], overall["share_other"]) == (0.5, 0.375, 0.125)
    assert overall["share_valley"] == 0.25 and overall["share_hump"] == 0.125
    assert overall["cdi_wave"] == pytest.approx(0.9)
    is_wave = (walks["pattern"] == "wave").astype(float)
    assert overall["r_cdi_wave"] == pytest.approx(np.corrcoef(is_wave, walks["cross_dissolve_index"])[0, 1])
    assert overall["r_cdi_wave"] > 0.9 and overall["p_cdi_wave"] < 0.01
    assert list(summary["criterion"]) == ["all", "random", "nearest"] * 2  # the model, then 'all' pooled
    assert list(summary["model"]) == ["vae"] * 3 + ["all"] * 3
    # eta squared: the share of the CDI's variance between the three patterns' means
    cdi, pattern = walks["cross_dissolve_index"], walks["pattern"]
    between = sum(len(g) * (g.mean() - cdi.mean()) ** 2 for _, g in cdi.groupby(pattern))
    assert overall["eta2_cdi_pattern"] == pytest.approx(between / ((cdi - cdi.mean()) ** 2).sum())
    assert overall["p_cdi_pattern"] == pytest.approx(stats.kruskal(*[g for _, g in cdi.groupby(pattern)]).pvalue)
    constant = summarise(walks.assign(pattern="wave")).iloc[0]
    assert np.isnan(constant["r_cdi_wave"]) and constant["share_wave"] == 1.0
    assert np.isnan(constant["eta2_cdi_pattern"])
    assert overall["share_horseshoe_reading_hump"] == 0.125 and overall["share_horseshoe_reading_valley"] == 0.25
    assert overall["dissolve_wave"] == pytest.approx(0.8) and overall["dissolve_horseshoe"] == pytest.approx(0.4 / 3)
    # a static walk (here a 'wave' with a noise-level CDI) is counted and leaves every other column
    static = walks.iloc[[0]].assign(pair_id=8, static=True, cross_dissolve_index=0.0, dissolve_score=0.0)
    with_static = summarise(pd.concat([walks, static], ignore_index=True))
    assert with_static.iloc[0]["n_static"] == 1 and with_static.iloc[0]["n_trajectories"] == 9
    columns = [c for c in summary.columns if c not in ("n_trajectories", "n_static")]
    pd.testing.assert_frame_equal(with_static[columns], summary[columns])


def command(name, settings, **options):
    """Run `stylepath <name> --settings ... --<option> value ...` (lists give several values)."""
    argv = [name, "--settings", json.dumps(settings)]
    for option, value in options.items():
        argv += [f"--{option.replace('_', '-')}", *(map(str, value) if isinstance(value, list) else [str(value)])]
    cli.main(argv)


def test_commands_from_walk_images_to_figures(tmp_path):
    """the walks' style loss (random VGG19), patterns, summarise-patterns and both figures, end to end on
    blend walks (cross-dissolves) and moving-blob walks (transformations) of two 'models'."""
    torch.set_num_threads(1)
    layers = ["conv1_1", "conv2_1", "conv3_1"]
    settings = {
        "seed": 0,
        "style_loss": {"instruments": ["gatys", "portilla_simoncelli"], "weights": "random", "layers": layers,
                       "layer_weights": None, "pooling": "max", "normalisation": "gatys", "batch_size": 16,
                       "portilla_simoncelli": {"n_scales": None, "n_orientations": 4, "spatial_corr_width": 7,
                                               "reference_images": 512}},
        "patterns": RULE,
        "figures": {"dpi": 50, "palette": "colorblind", "n_strips": 2},
    }  # fmt: skip
    pairs = pd.DataFrame(
        {"pair_id": [0, 1, 2], "criterion": ["random", "nearest", "random"],
         "image_id_a": ["a", "b", "a"], "image_id_b": ["b", "a", "c"]}
    )  # fmt: skip
    codes = {name: np.array(z, np.float32) for name, z in {"a": [1, 0], "b": [0, 1], "c": [0.5, 0.5]}.items()}
    walk_settings = {"steps": 6, "method": "linear", "batch_size": 8}
    files = {kind: [] for kind in ("style_losses", "infos", "walks", "curves", "images", "indexes")}
    decoders = {"vae": BlendDecoder(), "aae": BlobDecoder()}
    decoded = {
        model: decode_trajectories(decoder, pairs, codes, walk_settings, "cpu") for model, decoder in decoders.items()
    }
    data_images = tmp_path / "data_images.npy"  # the 'data set': every decoded image
    np.save(data_images, np.concatenate([images for images, _ in decoded.values()]))
    for model, (images, index) in decoded.items():
        np.save(tmp_path / f"{model}.npy", images)
        index.to_parquet(tmp_path / f"{model}_index.parquet")
        walk = {"images": tmp_path / f"{model}.npy", "index": tmp_path / f"{model}_index.parquet"}
        loss, info = tmp_path / f"{model}_loss.parquet", tmp_path / f"{model}_loss.json"
        data = np.load(data_images)
        table, measured = style_distances(settings["style_loss"], 0, images, index, data, "cpu", model, 0)
        table.to_parquet(loss)
        info.write_text(json.dumps(measured))
        walks, curves = tmp_path / f"{model}.parquet", tmp_path / f"{model}_curves.parquet"
        command("patterns", settings, style_loss=loss, **walk, walks=walks, curves=curves)
        for kind, path in zip(files, (loss, info, walks, curves, *walk.values())):
            files[kind].append(path)
    blend = pd.read_parquet(tmp_path / "vae.parquet")
    assert list(blend["instrument"]) == ["gatys"] * 3 + ["portilla_simoncelli"] * 3
    assert list(blend.columns[:27]) == [
        "model", "replicate", "instrument", "pair_id", "criterion", "pattern", "orientation", "pattern_hump",
        "pattern_valley", "mean_loss", "cv", "r2", "bend", "vertex", "arm", "turns", "wave_p", "cross_dissolve_index",
        "linear_blend_index", "alpha_rmse", "dissolve_evenness", "dissolve_score", "end_difference", "static",
        *[f"pattern_{layer}" for layer in layers],
    ]  # fmt: skip
    gatys, texture = blend[blend["instrument"] == "gatys"], blend[blend["instrument"] == "portilla_simoncelli"]
    assert gatys[[f"share_{layer}" for layer in layers]].sum(axis=1).to_numpy() == pytest.approx(1.0)
    groups = [c for c in texture.dropna(axis=1, how="all").columns if c.startswith("share_")]
    assert "share_pixel_statistics" in groups and texture[groups].sum(axis=1).to_numpy() == pytest.approx(1.0)
    assert blend["cross_dissolve_index"].to_numpy()[:2] == pytest.approx(1.0, abs=1e-3)
    assert (pd.read_parquet(tmp_path / "aae.parquet")["cross_dissolve_index"] < 0.5).all()
    curves = pd.read_parquet(tmp_path / "vae_curves.parquet")
    assert list(curves.columns) == [
        "model", "replicate", "instrument", "quantity", "criterion", "scale", "step", "t_mid", "mean", "ci_low",
        "ci_high", "n",
    ]  # fmt: skip
    assert set(curves.loc[curves["instrument"] == "gatys", "quantity"]) == {"total", *layers}
    texture_quantities = set(curves.loc[curves["instrument"] == "portilla_simoncelli", "quantity"])
    assert {"total", "pixel_statistics", "magnitude_std"} <= texture_quantities and not texture_quantities & set(layers)
    summary_path = tmp_path / "summary.parquet"
    layer_csv = tmp_path / "layers.csv"
    command(
        "summarise-patterns", {}, walks=files["walks"], summary=summary_path, summary_csv=tmp_path / "summary.csv",
        layers=tmp_path / "layers.parquet", layers_csv=layer_csv,
    )  # fmt: skip
    layer_table = pd.read_csv(layer_csv)
    assert set(layer_table.loc[layer_table["instrument"] == "gatys", "layer"]) == set(layers)
    by_run = layer_table.groupby(["instrument", "model", "replicate"])["mean_share"].sum()
    assert by_run.to_numpy() == pytest.approx(1.0)
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert summary.query("criterion == 'all'")["model"].tolist() == ["vae", "aae", "all"] * 2
    assert summary.query("criterion == 'all'")["instrument"].tolist() == ["gatys"] * 3 + ["portilla_simoncelli"] * 3
    out = {"curve_figures": tmp_path / "curves", "strips": tmp_path / "strips", "summary_figures": tmp_path / "all"}
    command("plot-trajectories", settings, **files, summary=summary_path, **out)
    pngs = [out["curve_figures"] / "vae_seed0_gatys.png", out["strips"] / "aae_seed0_portilla_simoncelli.png"]
    pngs += [out["summary_figures"] / "gatys.png", out["summary_figures"] / "portilla_simoncelli.png"]
    for path in pngs:
        with Image.open(path) as image:
            assert image.size[0] > 200 and image.size[1] > 150


def test_a_static_walk_is_other_whatever_its_curve():
    """End images one grey level apart: the (wavy) curve is rounding noise, not a wave."""
    steps = 10
    frames = np.full((steps, 8, 8, 3), 100, np.uint8)
    frames[-1] += 1
    index = pd.DataFrame({"row": range(steps), "pair_id": 0, "step": range(steps), "t": np.linspace(0, 1, steps)})
    wavy = 2 + np.sin(4 * np.pi * U)
    losses = pd.DataFrame(
        {"pair_id": 0, "criterion": "random", "step": range(steps - 1), "t_from": index["t"][:-1].to_numpy(),
         "t_to": index["t"][1:].to_numpy(), "total": wavy * 1e-12}
    )  # fmt: skip
    from stylepath.walk_shape import walk_patterns

    assert walk_patterns(losses, frames, index, RULE)["pattern"].tolist() == ["other"]
    moving = {**RULE, "min_end_difference": 0.0}
    assert walk_patterns(losses, frames, index, moving)["pattern"].tolist() == ["wave"]
