"""The `stylepath` command: one subcommand per pipeline step, each called by one Snakemake rule.

Each subcommand lives in its own module, which defines

    add_arguments(parser: argparse.ArgumentParser) -> None
    main(args: argparse.Namespace) -> None

and is imported only when its command runs, so `stylepath --help` stays fast (and the
Snakefile can read COMMANDS without importing any command).
Every subcommand takes `--settings JSON`: the config slice its rule passes as params.
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
    "interpolate": ("stylepath.interpolate", "Decode straight-line trajectories between the pairs."),
    "style-loss": ("stylepath.style_loss", "Gatys style loss between consecutive decoded images."),
    "patterns": ("stylepath.patterns", "Label style-loss curves and measure cross-dissolve."),
    "summarise-patterns": ("stylepath.summarise_patterns", "Tabulate the trajectory patterns of all training runs."),
    "calibrate": ("stylepath.calibrate", "Send known-answer walks through the style loss, pattern rule and CDI."),
    "plot-calibration": ("stylepath.figures.plot_calibration", "Plot example calibration walks of each kind."),
    "plot-trajectories": ("stylepath.figures.plot_trajectories", "Plot style-loss curves, walk strips, patterns."),
    "controls": ("stylepath.controls", "Send known-answer latent tables through the verdict rules."),
    "summarise-run": ("stylepath.summarise_run", "Judge the study's claims across replicates (front page)."),
    "plot-replicates": ("stylepath.figures.plot_replicates", "Plot headline numbers per replicate over their mean."),
    "explorer": ("stylepath.explorer", "Write the interactive explorer of latent spaces and walks (one HTML page)."),
}


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
            sub.add_argument("--settings", type=settings_json, default={}, help="config slice as JSON")
            importlib.import_module(module_name).add_arguments(sub)
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
