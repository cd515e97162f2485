"""The look shared by every figure: headless backend, seaborn theme, fixed colours per
style and per model so that a colour means the same thing in every figure."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

MODEL_ORDER = ["ae", "vae", "beta_vae", "aae", "tvae"]
MODEL_LABELS = {"ae": "AE", "vae": "VAE", "beta_vae": "β-VAE", "aae": "AAE", "tvae": "TVAE"}


def setup() -> None:
    """Apply the project's seaborn theme."""
    sns.set_theme(context="paper", style="whitegrid")


def style_colours(styles, palette: str = "colorblind") -> dict:
    """Colour per style, in the sorted order of the style names (stable across figures)."""
    styles = sorted(set(styles))
    return dict(zip(styles, sns.color_palette(palette, len(styles))))


def model_colours(palette: str = "colorblind") -> dict:
    """Colour per model, fixed by MODEL_ORDER."""
    return dict(zip(MODEL_ORDER, sns.color_palette(palette, len(MODEL_ORDER))))


def new_figure(nrows: int = 1, ncols: int = 1, width: float = 4.0, height: float = 3.2, **kwargs):
    """A themed figure with a grid of axes, each `width` x `height` inches."""
    setup()
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kwargs)
