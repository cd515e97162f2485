"""`stylepath controls`: what each latent-geometry rule says about cases whose answer we know.

Constructed latent tables of the run's own sizes (its images' styles and train/val split, its
latent_dim, one table per replicate seed) go through the very measurements the analysis makes
(geometry.held_out_shape, grouping.grouping) and the very verdict rules of the findings
(findings.spherical_claim, oblong_claim, grouped_claim, not_grouped_claim, judge_all), each with
the verdict it must give:

    prior           codes ~ N(0, I)                                    spherical; not oblong
    anisotropic     Gaussian, standard deviations spread evenly in log
                    over 10^1.5 : 1                                    oblong; not spherical
    collapsed       posterior means: isotropic active units and 2
                    units of variance 0.001 (a variational model)      not oblong, 2 collapsed units
    mixture         one well-separated Gaussian per style (centres
                    5 apart), labelled                                 grouped on held-out images
    shuffled        the same codes with the styles shuffled           not grouped
    memorised       training codes grouped by style, held-out codes
                    ~ N(0, I) whatever their style                     grouped on training images
                                                                       only: not grouped held out

Output: report/controls.csv, the findings table's columns (control in place of claim) plus
expected, as_expected and, per control, the mean collapsed_dims and training-image probe accuracy.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from stylepath import findings
from stylepath.geometry import held_out_shape
from stylepath.grouping import grouping
from stylepath.io import StylepathError, write_csv

MODEL = "control"


@dataclass
class Control:
    name: str
    variational: bool  # how the active part is found: active units (True) or leading components
    codes: callable  # (rng, styles, val, d) -> z (N x d)
    labels: callable = None  # (rng, styles) -> the styles the grouping is scored against


def mixture(rng, styles, d):
    """One unit Gaussian per style around centres 5 apart in random directions, N x d."""
    names = np.unique(styles)
    directions = rng.standard_normal((len(names), d))
    centres = 5 / np.sqrt(2) * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    index = np.searchsorted(names, styles)
    return centres[index] + rng.standard_normal((len(styles), d))


def anisotropic(rng, styles, val, d):
    return rng.standard_normal((len(styles), d)) * 10 ** -np.linspace(0, 1.5, d)


def collapsed(rng, styles, val, d):
    z = rng.standard_normal((len(styles), d))
    z[:, -2:] *= np.sqrt(0.001)
    return z


def memorised(rng, styles, val, d):
    z = mixture(rng, styles, d)
    z[val] = rng.standard_normal((val.sum(), d))
    return z


CONTROLS = [
    Control("prior", False, lambda rng, styles, val, d: rng.standard_normal((len(styles), d))),
    Control("anisotropic", False, anisotropic),
    Control("collapsed", True, collapsed),
    Control("mixture", False, lambda rng, styles, val, d: mixture(rng, styles, d)),
    Control("shuffled", False, lambda rng, styles, val, d: mixture(rng, styles, d), lambda rng, s: rng.permutation(s)),
    Control("memorised", False, memorised),
]
# (control, rule, expected verdict)
EXPECTED = [
    ("prior", "spherical", "supported"),
    ("prior", "oblong", "contradicted"),
    ("anisotropic", "oblong", "supported"),
    ("anisotropic", "spherical", "contradicted"),
    ("collapsed", "oblong", "contradicted"),
    ("mixture", "grouped", "supported"),
    ("mixture", "not grouped", "contradicted"),
    ("shuffled", "grouped", "contradicted"),
    ("shuffled", "not grouped", "supported"),
    ("memorised", "grouped", "contradicted"),
    ("memorised", "not grouped", "supported"),
]
RULES = {
    "spherical": lambda: findings.spherical_claim("spherical", MODEL, "spherical"),
    "oblong": lambda: findings.oblong_claim("oblong", [MODEL], "oblong"),
    "grouped": lambda: findings.grouped_claim("grouped", MODEL, "grouped by style (held out)"),
    "not grouped": lambda: findings.not_grouped_claim("not_grouped", [MODEL], "not grouped by style (held out)"),
}


def analysis_row(control: Control, styles, split, d: int, replicate: int, analysis: dict, seed: int) -> dict:
    """The measurements the analysis makes, on the control's table of one replicate."""
    rng = np.random.default_rng([seed, 8, replicate, [c.name for c in CONTROLS].index(control.name)])
    val = split == "val"
    z = control.codes(rng, styles, val, d)
    labels = control.labels(rng, styles) if control.labels else styles
    shape = held_out_shape(z, val, control.variational, analysis, seed)
    band_low = shape["isotropy_band"][0]
    return {
        "model": MODEL,
        "replicate": replicate,
        "reached_objective": True,
        "isotropy": np.nan if shape["isotropy"] is None else shape["isotropy"],
        "isotropy_band_low": np.nan if band_low is None else band_low,
        "collapsed_dims": shape["collapsed_dims"],
        **grouping(z, labels, split, analysis["grouping"], seed),
    }


def controls_table(metadata: pd.DataFrame, d: int, replicates: list, analysis: dict, settings: dict, seed: int):
    """The controls table (see the module doc)."""
    styles, split = metadata["style"].to_numpy(), metadata["split"].to_numpy()
    rows = []
    for control in CONTROLS:
        analysis_rows = pd.DataFrame([analysis_row(control, styles, split, d, r, analysis, seed) for r in replicates])
        replicate_tables = findings.replicates_of(analysis_rows, pd.DataFrame({"replicate": []}))
        expected = [(rule, verdict) for name, rule, verdict in EXPECTED if name == control.name]
        table = findings.judge_all([RULES[rule]() for rule, _ in expected], replicate_tables, {MODEL}, settings)
        table.insert(0, "control", control.name)
        table["expected"] = [verdict for _, verdict in expected]
        table["collapsed_dims"] = analysis_rows["collapsed_dims"].mean()
        table["probe_train"] = analysis_rows["probe_train"].mean()
        rows.append(table)
    table = pd.concat(rows, ignore_index=True)
    table["as_expected"] = table["verdict"] == table["expected"]
    collapse = table["control"] == "collapsed"
    table.loc[collapse, "as_expected"] &= table.loc[collapse, "collapsed_dims"] == 2
    memorised_rows = table["control"] == "memorised"
    table.loc[memorised_rows, "as_expected"] &= table.loc[memorised_rows, "probe_train"] >= 0.9
    return table


INPUTS = ("analysis", "metadata")
OUTPUTS = ("controls",)


def main(args) -> None:
    summary, metadata = pd.read_parquet(args.analysis), pd.read_parquet(args.metadata)
    if summary.empty:
        raise StylepathError(f"{args.analysis} is empty; re-run `stylepath summarise-analysis`")
    d, replicates = int(summary["latent_dim"].iloc[0]), sorted(summary["replicate"].unique())
    settings = args.settings
    table = controls_table(metadata, d, replicates, settings["analysis"], settings["findings"], settings["seed"])
    print(table[["control", "claim", "margin", "ci_low", "ci_high", "verdict", "expected", "as_expected"]].to_string())
    if not table["as_expected"].all():
        print(f"WARNING: {int((~table['as_expected']).sum())} controls do not give their expected verdict")
    write_csv(table, args.controls)
