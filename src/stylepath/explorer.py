"""`stylepath explorer`: one self-contained HTML page to look at a run's latent spaces and walks.

The page (report/explorer.html, Bokeh with its JavaScript inlined, images as WebP data URIs:
it opens offline from disk, with no server) shows

- a map of one chain's latent space: two principal components (PC1/PC2 first, any pair
  selectable), one point per painting coloured by style and marked by split, its thumbnail,
  id and style on hover; selectors for model and replicate (and instrument, when the
  style-loss tables have an `instrument` column), with the chain's verdict beside them;
- every walk shown of the chain as a segment between its end paintings (a straight walk in z
  projects to the straight segment between the end points' PC scores), coloured by its
  pattern, filterable by criterion and pattern;
- for the walk clicked: its decoded frames as a strip, its style-loss curve (total, and each
  layer relative to its mean over the walk), pattern, CDI, criterion and the two end paintings;
- the calibration stage's known-answer walks (when the run has them), browsable the same way.

Caps (config `explorer`) bound the page's size whatever the study's size: `max_points`
paintings per chain (the same paintings in every chain, stratified by style and split, plus
the end paintings of the walks shown), `max_thumbnails` of them with a thumbnail (the walks'
end paintings always have one), `max_walks` walks per chain and of the calibration. Every choice
is deterministic (the order of a hash of the id within each group), and the page says what was
subsampled.

The hand-written JavaScript is two CustomJS callbacks: one redraws the map for the chosen chain,
components and filters, the other fills a walk's detail panel when a walk is tapped.
"""

import argparse
import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd

from stylepath.config import model_label
from stylepath.figures.common import style_colours
from stylepath.figures.walks import pattern_colours
from stylepath.io import StylepathError, atomic_path, read_json
from stylepath.transitions import components
from stylepath.walk_shape import PATTERNS

CHAIN_INPUTS = ["projections", "diagnostics", "pairs", "walk_images", "walk_indexes", "style_losses", "walks"]
CALIBRATION_INPUTS = ["calibration_images", "calibration_index", "calibration_style_loss", "calibration_walks"]
SPLIT_MARKERS = {"train": "circle", "val": "triangle"}
WEBP_QUALITY = 80
NO_IMAGE = "data:,"  # an empty image: the tooltip shows its alt text, and nothing is requested
WALK_FIELDS = ["pair_id", "criterion", "pattern", "orientation", "cross_dissolve_index", "bend", "turns", "mean_loss"]


INPUTS = ("images", "metadata")
LIST_INPUTS = tuple(CHAIN_INPUTS)
OPTIONAL_INPUTS = tuple(CALIBRATION_INPUTS)
OUTPUTS = ("html",)


# ----------------------------------------------------------------------------- choosing what to show


def spread_order(groups: pd.Series, ids: pd.Series) -> np.ndarray:
    """Positions of the rows in the order that takes the groups in turn (sorted group labels),
    each group's rows in the order of a hash of their id: the first n rows of it are a
    deterministic sample spread evenly over the groups, and a larger n keeps the smaller's rows."""
    frame = pd.DataFrame({"group": groups.astype(str).to_numpy(), "hash": hash_ids(ids)})
    frame["rank"] = frame.groupby("group")["hash"].rank(method="first")
    return frame.sort_values(["rank", "group"], kind="stable").index.to_numpy()


def hash_ids(ids: pd.Series) -> np.ndarray:
    """A fixed 64-bit hash of each id (the same on every run and machine)."""
    return pd.util.hash_pandas_object(ids.astype(str).reset_index(drop=True), index=False).to_numpy()


def choose_walks(walks: pd.DataFrame, max_walks: int, group: str = "criterion") -> pd.DataFrame:
    """Up to `max_walks` walks, the `group` values (criteria, or calibration kinds) in turn."""
    order = spread_order(walks[group], walks["pair_id"])[:max_walks]
    return walks.iloc[np.sort(order)].reset_index(drop=True)


def choose_paintings(metadata: pd.DataFrame, ends: set, max_points: int, max_thumbnails: int) -> pd.DataFrame:
    """The paintings on the map (the same in every chain) and which get a thumbnail.

    Rows of `metadata` (its index kept as `row`): the end paintings `ends` (image ids) of the
    walks shown, then others stratified by style and split up to `max_points` in all; a
    thumbnail for the end paintings and for the first `max_thumbnails` of the others.
    Column `thumbnail` (bool)."""
    order = spread_order(metadata["style"] + "/" + metadata["split"], metadata["image_id"])
    is_end = metadata["image_id"].isin(ends).to_numpy()
    others = order[~is_end[order]]
    chosen = np.concatenate([np.flatnonzero(is_end), others[: max(0, max_points - int(is_end.sum()))]])
    thumbnail = is_end.copy()
    thumbnail[others[:max_thumbnails]] = True
    table = metadata.iloc[np.sort(chosen)].copy()
    table["row"] = table.index.to_numpy()
    table["thumbnail"] = thumbnail[table["row"].to_numpy()]
    return table.reset_index(drop=True)


# ----------------------------------------------------------------------------- images


def image_uri(image: np.ndarray, max_px: int) -> str:
    """uint8 H x W x 3 -> a WebP data URI, scaled down (never up) so its height is at most max_px."""
    from PIL import Image

    picture = Image.fromarray(np.ascontiguousarray(image))
    if picture.height > max_px:
        scale = max_px / picture.height
        picture = picture.resize((max(1, round(picture.width * scale)), max_px), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=6)
    return "data:image/webp;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def walk_strips(images: np.ndarray, index: pd.DataFrame, pair_ids, frame_px: int) -> dict:
    """{pair_id: data URI of the walk's decoded frames side by side, each frame_px high at most}."""
    strips = {}
    for pair_id, frames in index[index["pair_id"].isin(pair_ids)].groupby("pair_id"):
        rows = frames.sort_values("step")["row"].to_numpy()
        px = min(frame_px, images.shape[1])
        strips[int(pair_id)] = image_uri(np.concatenate([resized(images[row], px) for row in rows], axis=1), px)
    return strips


def resized(image: np.ndarray, px: int) -> np.ndarray:
    """One frame scaled to px x px (each frame of a strip scaled on its own, so frames do not bleed)."""
    from PIL import Image

    if image.shape[0] == px:
        return np.asarray(image)
    return np.asarray(Image.fromarray(np.ascontiguousarray(image)).resize((px, px), Image.Resampling.LANCZOS))


# ----------------------------------------------------------------------------- tables -> page columns


def layer_columns(losses: pd.DataFrame) -> list[str]:
    """The per-layer (or per-statistic) loss columns of a style-loss table."""
    return [c for c in components(losses) if pd.api.types.is_numeric_dtype(losses[c])]


def instruments_of(tables) -> list:
    """The instruments named in the style-loss tables ([None] when none has the column)."""
    found = set()
    for table in tables:
        if "instrument" in table.columns:
            found |= set(table["instrument"].dropna().astype(str))
    return sorted(found) or [None]


def of_instrument(table: pd.DataFrame, instrument) -> pd.DataFrame:
    """The rows of one instrument (all rows when the table has no instrument column)."""
    if instrument is None or "instrument" not in table.columns:
        return table
    return table[table["instrument"].astype(str) == instrument]


def walk_columns(walks, losses, strips, layers, instrument, rows_of: dict) -> dict:
    """The columns of one chain's walks for the page (one entry per walk, ragged lists for the
    curves): WALK_FIELDS, `strip` (data URI), `row_a`/`row_b` (rows of the paintings table, -1
    for none), `t` (step midpoints), `loss_total` and `loss_<layer>` (each layer divided by its
    mean over the walk)."""
    walks = of_instrument(walks, instrument).drop_duplicates("pair_id")
    losses = of_instrument(losses, instrument)
    curves = {pair_id: curve.sort_values("step") for pair_id, curve in losses.groupby("pair_id")}
    columns = {name: [] for name in [*WALK_FIELDS, "strip", "row_a", "row_b", "kind", "expected", "t", "loss_total"]}
    columns.update({f"loss_{layer}": [] for layer in layers})
    for walk in walks.itertuples():
        curve = curves.get(walk.pair_id)
        if curve is None:
            continue
        for name in WALK_FIELDS:
            value = getattr(walk, name, None)
            columns[name].append(value.item() if hasattr(value, "item") else value)
        columns["strip"].append(strips.get(int(walk.pair_id), ""))
        columns["row_a"].append(rows_of.get(getattr(walk, "image_id_a", None), -1))
        columns["row_b"].append(rows_of.get(getattr(walk, "image_id_b", None), -1))
        columns["kind"].append(str(getattr(walk, "kind", "")))
        columns["expected"].append(str(getattr(walk, "expected", "")))
        columns["t"].append(((curve["t_from"] + curve["t_to"]) / 2).to_numpy(np.float32))
        columns["loss_total"].append(curve["total"].to_numpy(np.float32))
        for layer in layers:
            values = curve[layer].to_numpy(np.float64)
            mean = np.nanmean(values) if np.isfinite(values).any() else np.nan
            columns[f"loss_{layer}"].append((values / mean if mean else values).astype(np.float32))
    return columns


def check_walk_columns(walks: pd.DataFrame, path) -> None:
    missing = sorted({"pair_id", "criterion", "pattern", "cross_dissolve_index"} - set(walks.columns))
    if missing:
        raise StylepathError(f"{path} lacks the columns {missing}: re-run `stylepath patterns` (docs/outputs.md)")


# ----------------------------------------------------------------------------- reading a run


def read_chains(args) -> list[dict]:
    """Every chain's tables, in the order given: key ('<model>/seed<replicate>'), model,
    replicate, verdict, projections, walks (with the pair's image ids), losses, images, index."""
    lengths = {name: len(getattr(args, name)) for name in CHAIN_INPUTS}
    if len(set(lengths.values())) != 1:
        raise StylepathError(f"give one file of each kind per chain, in the same order (got {lengths})")
    chains = []
    for files in zip(*(getattr(args, name) for name in CHAIN_INPUTS)):
        paths = dict(zip(CHAIN_INPUTS, files))
        walks = pd.read_parquet(paths["walks"])
        check_walk_columns(walks, paths["walks"])
        if walks.empty:
            raise StylepathError(f"{paths['walks']} has no walks: re-run `stylepath patterns`")
        pairs = pd.read_parquet(paths["pairs"], columns=["pair_id", "image_id_a", "image_id_b"])
        diagnostics = read_json(paths["diagnostics"])
        model, replicate = str(walks["model"].iloc[0]), int(walks["replicate"].iloc[0])
        if (diagnostics.get("model"), diagnostics.get("training_seed")) != (model, replicate):
            raise StylepathError(
                f"{paths['diagnostics']} is of {diagnostics.get('model')} seed {diagnostics.get('training_seed')} "
                f"but {paths['walks']} of {model} seed {replicate}: give the chains' files in the same order"
            )
        chains.append(
            {
                "key": f"{model}/seed{replicate}",
                "model": model,
                "replicate": replicate,
                "verdict": diagnostics.get("verdict", "no verdict"),
                "reached": bool(diagnostics.get("reached_objective", False)),
                "projections": pd.read_parquet(paths["projections"]),
                "walks": walks.merge(pairs, on="pair_id", how="left"),
                "losses": pd.read_parquet(paths["style_losses"]),
                "images": np.load(paths["walk_images"], mmap_mode="r"),
                "index": pd.read_parquet(paths["walk_indexes"]),
            }
        )
    return chains


def read_calibration(args) -> dict | None:
    """The calibration stage's walks (CALIBRATION_CONTRACT: images, index, style loss, walks with
    `kind` and `expected`), or None when the run has no calibration stage."""
    given = [getattr(args, name) for name in CALIBRATION_INPUTS]
    if not any(given):
        return None
    if not all(given):
        raise StylepathError("give all four calibration files (--calibration-images, -index, -style-loss, -walks)")
    walks = pd.read_parquet(args.calibration_walks)
    check_walk_columns(walks, args.calibration_walks)
    for column in ("kind", "expected"):
        if column not in walks.columns:
            raise StylepathError(f"{args.calibration_walks} lacks `{column}`: re-run `stylepath calibrate`")
    return {
        "walks": walks,
        "losses": pd.read_parquet(args.calibration_style_loss),
        "images": np.load(args.calibration_images, mmap_mode="r"),
        "index": pd.read_parquet(args.calibration_index),
    }


# ----------------------------------------------------------------------------- the page

UPDATE_MAP = """
const key = model.value + '/seed' + replicate.value;
const walks_key = instrument ? key + '|' + instrument.value : key;
const pcs = chains[key].data;
const a = 'pc' + pc_x.value, b = 'pc' + pc_y.value;
points.data = {...points.data, x: pcs[a], y: pcs[b]};
const w = walks[walks_key].data;
const criteria = new Set(criterion_filter.value), patterns = new Set(pattern_filter.value);
const out = {x0: [], y0: [], x1: [], y1: []};
for (const name of Object.keys(w)) out[name] = [];
for (let i = 0; i < w.pair_id.length; i++) {
    if (!criteria.has(w.criterion[i]) || !patterns.has(w.pattern[i])) continue;
    for (const name of Object.keys(w)) out[name].push(w[name][i]);
    out.x0.push(pcs[a][w.row_a[i]]); out.y0.push(pcs[b][w.row_a[i]]);
    out.x1.push(pcs[a][w.row_b[i]]); out.y1.push(pcs[b][w.row_b[i]]);
}
segments.selected.indices = [];
segments.data = out;
x_axis.axis_label = 'PC' + pc_x.value;
y_axis.axis_label = 'PC' + pc_y.value;
verdict.text = info[key];
"""

SHOW_WALK = """
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
const i = source.selected.indices[0];
if (i === undefined) {
    panel.text = '<p>' + hint + '</p>';
    curve.data = Object.fromEntries(Object.keys(curve.data).map((name) => [name, []]));
    return;
}
const d = source.data, p = paintings.data;
const painting = (row) => '<figure style="display:inline-block;margin:0 8px 0 0;text-align:center">' +
    '<img src="' + p.thumb[row] + '" style="height:64px;image-rendering:pixelated"><figcaption>' +
    esc(p.image_id[row]) + '<br>' + esc(p.style[row]) + '</figcaption></figure>';
const kind = d.kind[i] ? ', kind <b>' + esc(d.kind[i]) + '</b> (expected: ' + esc(d.expected[i]) + ')' : '';
const ends = d.row_a[i] < 0 ? '' :
    '<div>end paintings: ' + painting(d.row_a[i]) + ' &rarr; ' + painting(d.row_b[i]) + '</div>';
panel.text = '<div class="walk"><b>walk ' + d.pair_id[i] + '</b>, criterion <b>' + esc(d.criterion[i]) + '</b>' + kind +
    '<br>pattern <b>' + esc(d.pattern[i]) + '</b> (' + esc(d.orientation[i]) + '), cross-dissolve index <b>' +
    Number(d.cross_dissolve_index[i]).toFixed(2) + '</b>, bend ' + Number(d.bend[i]).toFixed(2) +
    ', turns ' + d.turns[i] + ends + '<div>decoded frames, t = 0 &rarr; 1:</div>' +
    '<img class="strip" src="' + d.strip[i] + '" style="width:100%;height:auto;image-rendering:pixelated"></div>';
const data = {t: Array.from(d.t[i]), total: Array.from(d.loss_total[i])};
for (const layer of layers) data[layer] = Array.from(d['loss_' + layer][i]);
curve.data = data;
"""


def build_page(chains, calibration, metadata, images, settings) -> str:
    """The explorer's HTML (Bokeh, resources inlined)."""
    from bokeh.document import Document
    from bokeh.embed import file_html
    from bokeh.layouts import column, row
    from bokeh.models import ColumnDataSource, CustomJS, Div, MultiChoice, Select
    from bokeh.resources import INLINE

    instruments = instruments_of([chain["losses"] for chain in chains])
    shown = {chain["key"]: choose_walks(chain["walks"], settings["max_walks"]) for chain in chains}
    ends = set().union(*(set(w["image_id_a"].dropna()) | set(w["image_id_b"].dropna()) for w in shown.values()))
    paintings = choose_paintings(metadata, ends, settings["max_points"], settings["max_thumbnails"])
    rows_of = dict(zip(paintings["image_id"], range(len(paintings))))
    thumbs = [
        image_uri(images[row], settings["thumbnail_px"]) if has else NO_IMAGE
        for row, has in zip(paintings["row"], paintings["thumbnail"])
    ]
    colours = {s: hex_colour(c) for s, c in style_colours(metadata["style"], settings["palette"]).items()}
    painting_source = ColumnDataSource(
        {
            "image_id": paintings["image_id"].astype(str).tolist(),
            "style": paintings["style"].astype(str).tolist(),
            "split": paintings["split"].astype(str).tolist(),
            "thumb": thumbs,
        }
    )
    layers = sorted(set().union(*(layer_columns(chain["losses"]) for chain in chains)), key=layer_order)
    chain_sources, walk_sources, info = {}, {}, {}
    n_components = None
    for chain in chains:
        projections = chain["projections"].set_index("image_id").reindex(paintings["image_id"])
        components = sorted((c for c in projections.columns if c.startswith("pc")), key=lambda c: int(c[2:]))
        if projections[components].isna().any().any():
            raise StylepathError(
                f"the PCA projections of {chain['key']} lack paintings of the data set: re-run analyse"
            )
        n_components = len(components) if n_components is None else min(n_components, len(components))
        chain_sources[chain["key"]] = ColumnDataSource(
            {c: projections[c].to_numpy(np.float32) for c in components}, name=f"pcs {chain['key']}"
        )
        walks = shown[chain["key"]]
        strips = walk_strips(chain["images"], chain["index"], walks["pair_id"], settings["frame_px"])
        for instrument in instruments:
            key = chain["key"] if instrument is None else f"{chain['key']}|{instrument}"
            columns = walk_columns(walks, chain["losses"], strips, layers, instrument, rows_of)
            walk_sources[key] = ColumnDataSource(columns, name=f"walks {key}")
        info[chain["key"]] = verdict_html(chain, len(chain["walks"]), len(walks), len(metadata), len(paintings))

    first = chains[0]
    models = list(dict.fromkeys(chain["model"] for chain in chains))
    replicates = sorted({chain["replicate"] for chain in chains})
    model_select = Select(
        title="model", value=first["model"], options=[(m, model_label(m)) for m in models], name="model", width=160
    )
    replicate_select = Select(
        title="replicate (training seed)",
        value=str(first["replicate"]),
        options=[str(r) for r in replicates],
        name="replicate",
        width=160,
    )
    component_options = [(str(k), f"PC{k}") for k in range(1, n_components + 1)]
    pc_x = Select(title="x axis", value="1", options=component_options, name="pc_x", width=90)
    pc_y = Select(title="y axis", value=str(min(2, n_components)), options=component_options, name="pc_y", width=90)
    instrument_select = None
    if instruments != [None]:
        instrument_select = Select(title="instrument", value=instruments[0], options=instruments, name="instrument")
    criteria = sorted(set().union(*(set(w["criterion"]) for w in shown.values())))
    criterion_filter = MultiChoice(title="pair criteria", value=criteria, options=criteria, name="criteria", width=420)
    pattern_filter = MultiChoice(title="patterns", value=list(PATTERNS), options=list(PATTERNS), name="patterns")
    verdict = Div(text=info[first["key"]], name="verdict", width=520)

    pcs = chain_sources[first["key"]].data
    points = ColumnDataSource(
        {**painting_source.data, "x": pcs["pc1"], "y": pcs[f"pc{min(2, n_components)}"]}, name="points"
    )
    segment_columns = {name: [] for name in walk_sources[first_walk_key(first, instruments)].data}
    segments = ColumnDataSource({**segment_columns, "x0": [], "y0": [], "x1": [], "y1": []}, name="segments")
    latent_map = map_figure(points, segments, colours, pattern_colours_hex(settings["palette"]))

    update = CustomJS(
        args=dict(
            model=model_select,
            replicate=replicate_select,
            instrument=instrument_select,
            pc_x=pc_x,
            pc_y=pc_y,
            chains=chain_sources,
            walks=walk_sources,
            points=points,
            segments=segments,
            x_axis=latent_map.xaxis[0],
            y_axis=latent_map.yaxis[0],
            criterion_filter=criterion_filter,
            pattern_filter=pattern_filter,
            verdict=verdict,
            info=info,
        ),
        code=UPDATE_MAP,
    )
    widgets = [model_select, replicate_select, pc_x, pc_y, criterion_filter, pattern_filter]
    if instrument_select is not None:
        widgets.append(instrument_select)
    for widget in widgets:
        widget.js_on_change("value", update)

    panel, curve_figures = walk_panel(segments, painting_source, layers, "walk", "Click a walk on the map.")
    header = Div(text=header_html(chains, metadata, paintings, shown, settings, calibration), width=1200)
    selectors = [model_select, replicate_select] + ([instrument_select] if instrument_select else []) + [pc_x, pc_y]
    sections = [
        header,
        row(*selectors, verdict),
        row(criterion_filter, pattern_filter),
        row(latent_map, column(panel, *curve_figures)),
    ]
    if calibration is not None:
        sections += calibration_section(calibration, layers, painting_source, settings, instruments)
    document = Document()
    document.add_root(column(*sections))
    document.js_on_event("document_ready", update)  # draws the first chain's walks
    document.js_on_event("document_ready", CustomJS(code="window.explorer_rendered_ms = performance.now();"))
    return file_html(document, resources=INLINE, title="stylepath explorer")


def first_walk_key(chain, instruments) -> str:
    return chain["key"] if instruments == [None] else f"{chain['key']}|{instruments[0]}"


def map_figure(points, segments, style_colours_hex: dict, pattern_hex: dict):
    """The latent map: paintings as points (colour = style, marker = split), walks as segments."""
    from bokeh.models import HoverTool, TapTool
    from bokeh.plotting import figure
    from bokeh.transform import factor_cmap, factor_mark

    styles = list(style_colours_hex)
    fig = figure(
        width=720,
        height=620,
        tools="pan,wheel_zoom,box_zoom,reset,save",
        name="map",
        x_axis_label="PC1",
        y_axis_label="PC2",
        title="latent space: PC scores (units of z)",
    )
    fig.toolbar.logo = None
    scatter = fig.scatter(
        "x",
        "y",
        source=points,
        size=6,
        alpha=0.65,
        line_color=None,
        legend_field="style",
        color=factor_cmap("style", list(style_colours_hex.values()), styles),
        marker=factor_mark("split", list(SPLIT_MARKERS.values()), list(SPLIT_MARKERS)),
    )
    lines = fig.segment(
        "x0",
        "y0",
        "x1",
        "y1",
        source=segments,
        line_width=2.5,
        alpha=0.75,
        legend_field="pattern",
        color=factor_cmap("pattern", [pattern_hex[p] for p in PATTERNS], list(PATTERNS)),
        selection_line_width=5,
        selection_alpha=1.0,
        nonselection_alpha=0.25,
    )
    fig.add_tools(
        HoverTool(
            renderers=[scatter],
            tooltips="<div><img src='@thumb' style='height:64px;image-rendering:pixelated' "
            "alt='(no thumbnail: not among explorer.max_thumbnails)'><div>@image_id</div>"
            "<div>@style, @split</div></div>",
        ),
        HoverTool(
            renderers=[lines],
            tooltips=[
                ("walk", "@pair_id"),
                ("criterion", "@criterion"),
                ("pattern", "@pattern"),
                ("CDI", "@cross_dissolve_index{0.00}"),
            ],
        ),
        TapTool(renderers=[lines]),
    )
    fig.legend.location = "top_left"
    fig.legend.label_text_font_size = "8pt"
    fig.legend.background_fill_alpha = 0.6
    return fig


def walk_panel(source, painting_source, layers, name, hint):
    """A walk's detail (text, end paintings, frame strip) and its two curve plots, filled by
    SHOW_WALK when a walk of `source` is tapped."""
    from bokeh.models import CustomJS, Div
    from bokeh.palettes import Viridis256
    from bokeh.plotting import figure

    panel = Div(text=f"<p>{hint}</p>", width=500, name=f"{name}_detail")
    curve = empty_source(["t", "total", *layers], name=f"{name}_curve")
    total = figure(
        width=460,
        height=200,
        title="style loss between consecutive frames",
        name=f"{name}_total",
        x_axis_label="t (midpoint of each step)",
        tools="pan,wheel_zoom,reset",
    )
    total.line("t", "total", source=curve, line_width=2, color="black")
    total.scatter("t", "total", source=curve, size=5, color="black")
    per_layer = figure(
        width=460,
        height=220,
        title="per layer, divided by its mean over the walk",
        x_axis_label="t",
        tools="pan,wheel_zoom,reset",
        x_range=total.x_range,
    )
    step = max(1, 220 // max(1, len(layers)))
    for k, layer in enumerate(layers):
        per_layer.line("t", layer, source=curve, color=Viridis256[k * step], line_width=1.5, legend_label=layer)
    if layers:
        per_layer.legend.label_text_font_size = "7pt"
        per_layer.legend.location = "top_left"
        per_layer.legend.background_fill_alpha = 0.5
    for fig in (total, per_layer):
        fig.toolbar.logo = None
    show = CustomJS(
        args=dict(source=source, panel=panel, curve=curve, paintings=painting_source, layers=layers, hint=hint),
        code=SHOW_WALK,
    )
    source.selected.js_on_change("indices", show)
    return panel, [total, per_layer]


def empty_source(columns, name):
    from bokeh.models import ColumnDataSource

    return ColumnDataSource({c: [] for c in columns}, name=name)


def calibration_section(calibration, layers, painting_source, settings, instruments):
    """The calibration walks: one point per walk (kind against CDI, colour = pattern), tap for its
    frames and curve as on the map."""
    from bokeh.layouts import column, row
    from bokeh.models import ColumnDataSource, Div, HoverTool, TapTool
    from bokeh.plotting import figure
    from bokeh.transform import factor_cmap, jitter

    walks = choose_walks(calibration["walks"], settings["max_walks"], group="kind")
    strips = walk_strips(calibration["images"], calibration["index"], walks["pair_id"], settings["frame_px"])
    instrument = instruments[0]  # the page's first instrument (calibration walks are few)
    columns = walk_columns(walks, calibration["losses"], strips, layers, instrument, {})
    columns["y"] = columns["cross_dissolve_index"]
    source = ColumnDataSource(columns, name="calibration_walks")
    kinds = sorted(set(columns["kind"]))
    pattern_hex = pattern_colours_hex(settings["palette"])
    fig = figure(
        width=720,
        height=360,
        x_range=kinds,
        title="calibration: known-answer walks, their CDI and pattern",
        y_axis_label="cross-dissolve index",
        tools="tap,reset",
        name="calibration_map",
    )
    fig.toolbar.logo = None
    dots = fig.scatter(
        jitter("kind", width=0.5, range=fig.x_range),
        "y",
        source=source,
        size=9,
        legend_field="pattern",
        color=factor_cmap("pattern", [pattern_hex[p] for p in PATTERNS], list(PATTERNS)),
        nonselection_alpha=0.35,
    )
    fig.xaxis.major_label_orientation = 0.6
    fig.add_tools(
        HoverTool(
            renderers=[dots],
            tooltips=[("walk", "@pair_id"), ("kind", "@kind"), ("expected", "@expected"), ("pattern", "@pattern")],
        )
    )
    fig.select_one(TapTool).renderers = [dots]
    fig.legend.label_text_font_size = "8pt"
    shown = f"{len(walks)} of {len(calibration['walks'])}" if len(walks) < len(calibration["walks"]) else "all"
    title = Div(
        text=f"<h3>Calibration walks</h3><p>Walks whose answer is known (cross-dissolves, cuts, "
        f"transformations, noise) through the same style-loss and pattern code: {shown} walks, "
        f"kinds in turn. Click a walk.</p>",
        width=1200,
    )
    panel, curve_figures = walk_panel(source, painting_source, layers, "calibration", "Click a calibration walk.")
    return [title, row(fig, column(panel, *curve_figures))]


def header_html(chains, metadata, paintings, shown, settings, calibration) -> str:
    """The page's title and what was subsampled."""
    n_walks = {key: len(walks) for key, walks in shown.items()}
    totals = {chain["key"]: len(chain["walks"]) for chain in chains}
    cut_walks = [key for key in totals if n_walks[key] < totals[key]]
    n_thumbs = int(paintings["thumbnail"].sum())
    lines = [
        f"{len(paintings):,} of {len(metadata):,} paintings on the map"
        + (
            " (all)"
            if len(paintings) == len(metadata)
            else f" (cap explorer.max_points = {settings['max_points']:,}: the same paintings in every chain, "
            "stratified by style and split, plus the end paintings of the walks shown)"
        ),
        f"{n_thumbs:,} with a thumbnail (explorer.max_thumbnails = {settings['max_thumbnails']:,}, "
        "plus every end painting of a walk shown)",
        (
            "walks: every walk of every chain"
            if not cut_walks
            else f"walks: up to explorer.max_walks = {settings['max_walks']} per chain, the criteria in turn "
            f"({', '.join(f'{k}: {n_walks[k]} of {totals[k]}' for k in cut_walks[:4])}"
            f"{', ...' if len(cut_walks) > 4 else ''})"
        ),
    ]
    if calibration is None:
        lines.append("no calibration walks in this run")
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return (
        "<h2>stylepath explorer: where each painting sits, and what each walk decodes to</h2>"
        f"<p>{len(chains)} chains ({len({c['model'] for c in chains})} models x "
        f"{len({c['replicate'] for c in chains})} replicates). Hover a point for its painting; click a walk "
        "(a segment between its two end paintings: a straight walk in z is a straight segment in any PC "
        f"plane) for its decoded frames and style loss.</p><ul>{items}</ul>"
    )


def verdict_html(chain, n_walks, n_shown, n_images, n_points) -> str:
    colour = "#1a7f37" if chain["reached"] else "#b42318"
    return (
        f"<div style='margin-top:18px'><b>{html.escape(model_label(chain['model']))}, seed {chain['replicate']}"
        f"</b>: <span style='color:{colour}'>{html.escape(chain['verdict'])}</span><br>"
        f"<small>{n_shown} of {n_walks} walks shown</small></div>"
    )


def layer_order(name: str):
    """conv1_1 < conv2_1 < ... < conv5_1 (numbers compared as numbers), other names after."""
    digits = [int(part) for part in "".join(c if c.isdigit() else " " for c in name).split()]
    return (0, digits, name) if digits else (1, [], name)


def hex_colour(rgb) -> str:
    return "#" + "".join(f"{round(255 * channel):02x}" for channel in rgb[:3])


def pattern_colours_hex(palette: str) -> dict:
    return {pattern: hex_colour(colour) for pattern, colour in pattern_colours(palette).items()}


def main(args: argparse.Namespace) -> None:
    settings = args.settings["explorer"]
    metadata = pd.read_parquet(args.metadata)
    images = np.load(args.images, mmap_mode="r")
    if len(images) != len(metadata):
        raise StylepathError(f"{args.images} has {len(images)} images but {args.metadata} {len(metadata)} rows")
    chains = read_chains(args)
    page = build_page(chains, read_calibration(args), metadata, images, settings)
    with atomic_path(Path(args.html)) as tmp:
        tmp.write_text(page, encoding="utf-8")
    print(f"wrote {args.html}: {len(page.encode()) / 1e6:.2f} MB")
