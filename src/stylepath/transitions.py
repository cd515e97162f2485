"""The transitions of a table of walk images: consecutive images of one walk, shared by the
style instruments (stylepath.gatys, stylepath.portilla_simoncelli) and the stages that use them."""

import numpy as np
import pandas as pd

from stylepath.io import StylepathError

TRANSITION_COLUMNS = ["pair_id", "criterion", "step", "t_from", "t_to"]
TABLE_COLUMNS = {"model", "replicate", "instrument", *TRANSITION_COLUMNS, "total", "weights_id"}  # not components


def walk_order(index: pd.DataFrame, n_images: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The index sorted by (pair_id, step), and for each row but the last whether the next row is the
    next step of the same walk (so that consecutive rows form one transition)."""
    index = index.sort_values(["pair_id", "step"]).reset_index(drop=True)
    rows = index["row"].to_numpy()
    if len(rows) and (rows.min() < 0 or rows.max() >= n_images):
        raise StylepathError("the index points outside images.npy; re-run `stylepath walks`")
    pair_id, step = index["pair_id"].to_numpy(), index["step"].to_numpy()
    return index, (pair_id[1:] == pair_id[:-1]) & (step[1:] == step[:-1] + 1)


def transitions(index: pd.DataFrame, same_walk: np.ndarray) -> pd.DataFrame:
    """pair_id, criterion, step, t_from, t_to of each transition (index in walk order)."""
    t = index["t"].to_numpy()
    return pd.DataFrame(
        {
            "pair_id": index["pair_id"].to_numpy()[:-1][same_walk],
            "criterion": index["criterion"].to_numpy()[:-1][same_walk],
            "step": index["step"].to_numpy()[:-1][same_walk],
            "t_from": t[:-1][same_walk],
            "t_to": t[1:][same_walk],
        }
    )


def components(table: pd.DataFrame) -> list[str]:
    """The component columns of a style-loss table, in its order: Gatys' layers or
    Portilla-Simoncelli's groups of statistics (everything but TABLE_COLUMNS)."""
    return [column for column in table.columns if column not in TABLE_COLUMNS]
