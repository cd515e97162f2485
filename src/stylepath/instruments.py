"""The style instruments of `style_loss.instruments`, measured on a table of walk images: shared by
the style-loss stage (the models' walks) and the calibration stage (the known-answer walks), so
that both go through exactly the same code.

    gatys                 the Gatys et al. (2015) style loss on VGG19 features (stylepath.gatys);
                          the paper's measure
    portilla_simoncelli   Portilla & Simoncelli (2000) texture statistics (stylepath.portilla_simoncelli),
                          standardised by their spread over the run's data set images
"""

import pandas as pd

from stylepath.gatys import gatys_table, resolve_layer_weights
from stylepath.portilla_simoncelli import texture_table
from stylepath.transitions import TRANSITION_COLUMNS, components


def measure(settings: dict, seed: int, images, index: pd.DataFrame, data_images, device) -> tuple[pd.DataFrame, dict]:
    """The long table of every instrument of settings (style_loss) on the walks of `images`
    (uint8 N x H x W x 3, rows given by `index`), instrument, transition columns, components,
    total, weights_id; and what the info file records (the Gatys keys at its top level)."""
    tables, info = [], {"instruments": settings["instruments"]}
    info.update({"weights": None, "weights_id": "none", "pretrained": True, "note": ""})  # unless Gatys says otherwise
    for instrument in settings["instruments"]:
        if instrument == "gatys":
            table, of_instrument = gatys_table(settings, seed, images, index, device)
            info.update(of_instrument)  # the VGG19 keys stay at the top level, as before
        else:
            table, of_instrument = texture_table(settings, seed, images, index, data_images, device)
            info[instrument] = of_instrument
        table.insert(0, "instrument", instrument)
        tables.append(table)
        print(f"{instrument}: {len(table)} transitions, weights {table['weights_id'].iloc[0] if len(table) else '-'}")
    table = pd.concat(tables, ignore_index=True)
    return table[["instrument", *TRANSITION_COLUMNS, *components(table), "total", "weights_id"]], info


def component_weights(instrument: str, losses: pd.DataFrame, settings: dict) -> dict:
    """{component: its weight in the instrument's total}: Gatys' layer_weights (settings: style_loss),
    or the equal weight of each Portilla-Simoncelli group (its total is their mean)."""
    if instrument == "gatys":
        return dict(zip(settings["layers"], resolve_layer_weights(settings)))
    names = components(losses)
    return dict.fromkeys(names, 1 / len(names))
