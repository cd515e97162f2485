"""The `stylepath` command: one subcommand per pipeline step, each called by one Snakemake rule
(and the user tools of TOOLS, which no rule calls).

Each subcommand lives in its own module, which defines

    main(args: argparse.Namespace) -> None

and names the files it reads and writes by their keys in FILES (the keys of its rule's input
and output), in up to four tuples: INPUTS (one path each), LIST_INPUTS (one path per chain),
OPTIONAL_INPUTS (may be left out: None) and OUTPUTS. Each key is the flag `--<key>` (- for _)
and `args.<key>`; its help is written once, here. A module with options that are not files
also defines `add_arguments(parser: argparse.ArgumentParser) -> None`. A module is imported
only when its command runs, so `stylepath --help` stays fast (and the Snakefile can read
COMMANDS without importing any command).
Every subcommand takes `--settings JSON` (the config slice its rule passes as params) and
`--threads N` (the rule's `threads:`; the commands that compute on several cores use it).
"""

import argparse
import importlib
import json
import sys

from stylepath import __version__

# command -> (module, one-line help)
COMMANDS = {
    "download": ("stylepath.data.download", "Download a real data set (resumable, sha256-verified)."),
    "prepare-data": (
        "stylepath.data.prepare_data",
        "Crop, resize and split images into images.npy + metadata.parquet.",
    ),
    "plot-data": ("stylepath.figures.plot_data", "Plot a contact sheet of the paintings per style."),
    "train": ("stylepath.train", "Train one autoencoder (resumes from its checkpoint)."),
    "encode": ("stylepath.encode", "Encode every image to a latent table (Parquet)."),
    "plot-training": ("stylepath.figures.plot_training", "Plot each model's training curves, replicates overlaid."),
    "plot-reconstructions": (
        "stylepath.figures.plot_reconstructions",
        "Plot validation images and their reconstructions.",
    ),
    "analyse": ("stylepath.analyse", "PCA, shape, clustering and diagnostics of one latent space."),
    "summarise-analysis": ("stylepath.summarise_analysis", "Tabulate the latent analyses of all training runs."),
    "plot-analysis": (
        "stylepath.figures.plot_analysis",
        "Plot each latent space, the models side by side, diagnostics.",
    ),
    "select-pairs": ("stylepath.select_pairs", "Choose pairs of latent points by several criteria."),
    "walks": (
        "stylepath.walks",
        "Decode straight-line walks between the pairs; style distances (Gatys, Portilla-Simoncelli) along them.",
    ),
    "patterns": ("stylepath.patterns", "Label style-loss curves and measure cross-dissolve."),
    "summarise-patterns": ("stylepath.summarise_patterns", "Tabulate the trajectory patterns of all training runs."),
    "calibrate": ("stylepath.calibrate", "Send known-answer walks through the style loss, pattern rule and CDI."),
    "plot-calibration": ("stylepath.figures.plot_calibration", "Plot example calibration walks of each kind."),
    "plot-trajectories": ("stylepath.figures.plot_trajectories", "Plot style-loss curves, walk strips, patterns."),
    "controls": ("stylepath.controls", "Send known-answer latent tables through the verdict rules."),
    "summarise-run": ("stylepath.summarise_run", "Judge the study's claims across replicates (front page)."),
    "plot-replicates": ("stylepath.figures.plot_replicates", "Plot headline numbers per replicate over their mean."),
    "explorer": ("stylepath.explorer", "Write the interactive explorer of latent spaces and walks (one HTML page)."),
    "estimate": ("stylepath.estimate", "Predict a config's run time, disk and memory from the measured scaling."),
}
# Commands that are user tools, not stages: no Snakemake rule calls them.
TOOLS = ("estimate",)


# Every file argument of every command: key -> what the file holds (written: by the commands
# that name it in OUTPUTS; read: by those that name it in an input tuple).
FILES = {
    # data
    "manifest": "download manifest (JSON; the files lie in its folder); none for synthetic and folder",
    "images": "images (.npy, uint8 N x H x W x 3): the data set's, or the decoded images of walks",
    "metadata": "data/metadata.parquet (image_id, style, split, source)",
    "report": "data/report.json of prepare-data (counts, skipped files, separability)",
    # training
    "checkpoint": "training checkpoint (resumed from if its settings match; removed when training ends)",
    "model": "trained model file (model.pt)",
    "models": "model.pt of every chain",
    "history": "per-epoch training history (history.csv)",
    "histories": "history.csv of every chain",
    "latents": "latent table of one chain (Parquet: image_id, style, split, z columns)",
    # analysis
    "reference_latents": "the VAE's latent table, same replicate (for a model with a triplet term)",
    "reference_diagnostics": "the VAE's diagnostics.json, same replicate (for a model with a triplet term)",
    "pca": "principal components (Parquet)",
    "projections": "PCA scores per image (Parquet); of every chain where a list",
    "shape": "covariance shape measures (JSON)",
    "shapes": "analysis/<chain>/shape.json of every chain",
    "scores": "clustering scores (Parquet); of every chain where a list",
    "labels": "cluster of each image (Parquet); of every chain where a list",
    "diagnostics": "diagnostics and verdict of a chain (JSON); of every chain where a list",
    "grouping": "grouping by style, held-out and training (JSON); of every chain where a list",
    "summary": "summary table: Parquet (summarise-analysis, summarise-patterns) or CSV per kind (calibrate)",
    "summary_csv": "the summary table as CSV",
    # trajectories
    "pairs": "pairs of latent points (Parquet); of every chain where a list",
    "index": "index of the walk images (Parquet)",
    "indexes": "trajectories/<chain>/index.parquet of every chain",
    "data_images": "the run's data set (data/images.npy): the spread of the portilla_simoncelli statistics",
    "style_loss": "style distances of consecutive walk images (Parquet)",
    "style_losses": "style_loss/<chain>.parquet of every chain",
    "info": "weights and settings of the style loss (JSON)",
    "infos": "style_loss/<chain>.json of every chain",
    "style_loss_info": "one style_loss/<chain>.json (the weights used)",
    "walks": "pattern per walk (Parquet); of every chain where a list",
    "walk_images": "decoded images of walks (.npy); of every chain where a list",
    "walk_indexes": "trajectories/<chain>/index.parquet of every chain",
    "curves": "mean style-loss curves (Parquet); of every chain where a list",
    "layers": "per-layer shares and patterns (Parquet)",
    "layers_csv": "the per-layer table as CSV",
    "calibration_images": "calibration/images.npy (optional, with the three below)",
    "calibration_index": "calibration/index.parquet",
    "calibration_style_loss": "calibration/style_loss.parquet",
    "calibration_walks": "calibration/walks.parquet",
    # report
    "analysis": "analysis/summary.parquet",
    "patterns": "patterns/summary.parquet",
    "data": "data/report.json of prepare-data",
    "controls": "known-answer controls of the verdict rules (report/controls.csv)",
    "findings": "findings table (CSV)",
    "by_layer": "the trajectory claims per VGG19 layer (CSV)",
    "agreement": "the style instruments' agreement (CSV)",
    "replicates": "across-replicate statistics (report/replicates.csv)",
    "headline": "headline numbers per chain (CSV)",
    "html": "an HTML page (the front page; the explorer)",
    # figures
    "figure": "a figure (PNG)",
    "figures": "folder of figures, <model>.png",
    "chains": "folder of figures, <model>_seed<replicate>.png",
    "spectra": "figure of the explained-variance spectra (PNG)",
    "sphericity": "figure of the sphericity measures (PNG)",
    "heatmap": "figure of the clustering-score heatmaps (PNG)",
    "pca_grid": "figure of the PCA scatter per model (PNG)",
    "diagnostics_figure": "figure of the diagnostics (PNG)",
    "curve_figures": "folder of style-loss curves, <model>_seed<replicate>_<instrument>.png",
    "strips": "folder of walk strips, <model>_seed<replicate>_<instrument>.png",
    "summary_figures": "folder of the patterns across models, <instrument>.png",
}
FILE_TUPLES = ("INPUTS", "LIST_INPUTS", "OPTIONAL_INPUTS", "OUTPUTS")


def flag(key: str) -> str:
    """The option of file key `key`: --<key with - for _>."""
    return "--" + key.replace("_", "-")


def add_files(parser: argparse.ArgumentParser, module) -> None:
    """The file arguments `module` names in its FILE_TUPLES."""
    for key in getattr(module, "INPUTS", ()):
        parser.add_argument(flag(key), required=True, help=FILES[key])
    for key in getattr(module, "LIST_INPUTS", ()):
        parser.add_argument(flag(key), nargs="+", required=True, help=FILES[key])
    for key in getattr(module, "OPTIONAL_INPUTS", ()):
        parser.add_argument(flag(key), default=None, help=f"{FILES[key]} (optional)")
    for key in getattr(module, "OUTPUTS", ()):
        parser.add_argument(flag(key), required=True, help=f"out: {FILES[key]}")


def settings_json(text: str) -> dict:
    """Parse the --settings argument (a JSON object)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"--settings is not valid JSON: {error}") from error
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("--settings must be a JSON object")
    return value


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser; only `command`'s module is imported and given its arguments."""
    parser = argparse.ArgumentParser(prog="stylepath", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"stylepath {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(module_name)
            sub.add_argument("--settings", type=settings_json, default={}, help="config slice as JSON")
            sub.add_argument("--threads", type=int, default=1, help="CPU threads (the rule's threads:)")
            add_files(sub, module)
            if hasattr(module, "add_arguments"):
                module.add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if a in COMMANDS), None)
    args = build_parser(command).parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command][0])
    from stylepath.io import StylepathError

    try:
        module.main(args)
    except StylepathError as error:
        sys.exit(f"stylepath {args.command}: error: {error}")


if __name__ == "__main__":
    main()
