"""`stylepath plot-trajectories`: each training run's style-loss curves, patterns and walk strips,
and the patterns of all runs side by side (patterns_summary.py), per instrument.

Two figures per run and instrument (style_loss.instruments), <model>_seed<replicate>_<instrument>.png:
    curves  mean total loss per criterion (raw, log scale; relative to each walk's mean),
            mean relative loss per component (VGG19 layer or group of statistics), cross-dissolve index per pattern
    strips  `figures.n_strips` walks, their decoded images above their style-loss curve
"""

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from stylepath.figures.pattern_shares import summary_figure
from stylepath.figures.walks import curves_figure, strips_figure
from stylepath.io import StylepathError, save_figure

INPUTS = ("summary",)
LIST_INPUTS = ("style_losses", "infos", "walks", "curves", "images", "indexes")
OUTPUTS = ("curve_figures", "strips", "summary_figures")


def plot_run(run: tuple, figures: dict, curves_out: Path, strips_out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two figures per instrument of one training run (its style-loss table, info, walks,
    curves, walk images and index: paths); returns its walks and curves tables."""
    loss_path, info_path, walks_path, curves_path, images_path, index_path = run
    losses, walks, curves = map(pd.read_parquet, (loss_path, walks_path, curves_path))
    if walks.empty or curves.empty:
        raise StylepathError(f"{walks_path} or {curves_path} is empty; re-run `stylepath patterns`")
    info = json.loads(Path(info_path).read_text())
    images, index = np.load(images_path, mmap_mode="r"), pd.read_parquet(index_path)
    palette, dpi = figures["palette"], figures["dpi"]
    for instrument in info["instruments"]:
        name = f"{info['model']}_seed{info['replicate']}_{instrument}.png"
        of_instrument = {**info, "instrument": instrument}
        chosen = [table[table["instrument"] == instrument] for table in (losses, walks, curves)]
        save_figure(curves_figure(chosen[2], chosen[1], of_instrument, palette), curves_out / name, dpi)
        strips = strips_figure(chosen[0], chosen[1], images, index, of_instrument, figures["n_strips"], palette)
        save_figure(strips, strips_out / name, dpi)
    return walks, curves


def main(args) -> None:
    figures = args.settings["figures"]
    runs = list(zip(args.style_losses, args.infos, args.walks, args.curves, args.images, args.indexes))
    if len(runs) != len(args.style_losses) or len({len(a) for a in (args.infos, args.walks, args.images)}) != 1:
        raise StylepathError("give one file of each kind per training run, in the same order")
    curves_out, strips_out = Path(args.curve_figures), Path(args.strips)
    curves_out.mkdir(parents=True, exist_ok=True)
    strips_out.mkdir(parents=True, exist_ok=True)
    plot = partial(plot_run, figures=figures, curves_out=curves_out, strips_out=strips_out)
    if args.threads > 1:  # the runs' figures in parallel processes: they are the run's last long job
        with ProcessPoolExecutor(args.threads, mp_context=multiprocessing.get_context("fork")) as pool:
            tables = list(pool.map(plot, runs))
    else:
        tables = [plot(run) for run in runs]
    all_walks = pd.concat([walks for walks, _ in tables])
    all_curves = pd.concat([curves for _, curves in tables])
    summary = pd.read_parquet(args.summary)
    summary_out = Path(args.summary_figures)
    summary_out.mkdir(parents=True, exist_ok=True)
    for instrument, of_summary in summary.groupby("instrument", sort=False):
        walks, curves = (table[table["instrument"] == instrument] for table in (all_walks, all_curves))
        fig = summary_figure(of_summary, walks.reset_index(drop=True), curves, figures["palette"])
        save_figure(fig, summary_out / f"{instrument}.png", figures["dpi"])
