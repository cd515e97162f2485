"""The explorer page (`stylepath explorer`): what it chooses to show, and the page itself opened in
headless Chromium (Debian's chromium + chromium-driver through Selenium; tests/browser/install.sh,
which .ci/run calls, installs them; without them the browser tests skip and say why).

Inputs are constructed in the layout and columns of a run (tests/explorer_inputs.py), with and
without the calibration stage's files and an `instrument` column."""

import re

import pandas as pd
import pytest
from browser import browser, console_errors, missing, model, open_page, requested_urls, set_value, source_column
from explorer_inputs import explorer_argv, write_run

from stylepath import cli, explorer
from stylepath.config import with_defaults
from stylepath.io import StylepathError

SETTINGS = with_defaults({})["explorer"]
SMALL = {**SETTINGS, "max_points": 30, "max_thumbnails": 8, "max_walks": 9}


def write_page(tmp_path, settings=SETTINGS, **run):
    arguments = write_run(tmp_path / "run", **run)
    page = tmp_path / "explorer.html"
    cli.main(explorer_argv(arguments, page, settings))
    return page, arguments


# ----------------------------------------------------------------------------- what is shown


def test_spread_order_takes_groups_in_turn_and_keeps_smaller_samples():
    groups = pd.Series(["a"] * 6 + ["b"] * 2 + ["c"] * 4)
    ids = pd.Series([f"id{k}" for k in range(12)])
    order = explorer.spread_order(groups, ids)
    assert sorted(order) == list(range(12))
    assert sorted(groups[order[:3]]) == ["a", "b", "c"]  # one of each group first
    assert sorted(groups[order[:6]]) == ["a", "a", "b", "b", "c", "c"]
    assert list(explorer.spread_order(groups, ids)) == list(order)  # deterministic


def test_paintings_keep_every_walk_end_and_respect_the_caps():
    metadata = pd.DataFrame(
        {
            "image_id": [f"p{k}" for k in range(100)],
            "style": ["x", "y"] * 50,
            "split": ["train"] * 80 + ["val"] * 20,
        }
    )
    ends = {"p3", "p97"}
    chosen = explorer.choose_paintings(metadata, ends, max_points=20, max_thumbnails=5)
    assert len(chosen) == 20 and ends <= set(chosen["image_id"])
    assert chosen["thumbnail"].sum() == 5 + 2  # the cap, plus the end paintings
    assert chosen.set_index("image_id").loc[list(ends), "thumbnail"].all()
    assert set(chosen["style"]) == {"x", "y"} and set(chosen["split"]) == {"train", "val"}
    assert list(metadata.loc[chosen["row"], "image_id"]) == list(chosen["image_id"])


def test_walks_cap_spreads_over_criteria():
    walks = pd.DataFrame({"pair_id": range(30), "criterion": ["random"] * 20 + ["nearest"] * 5 + ["farthest"] * 5})
    chosen = explorer.choose_walks(walks, 9)
    assert len(chosen) == 9 and chosen["criterion"].value_counts().to_dict() == {
        "random": 3,
        "nearest": 3,
        "farthest": 3,
    }


def test_header_says_what_was_subsampled(tmp_path):
    page, _ = write_page(tmp_path, SMALL, n_images=60, walks_per_chain=14)
    text = page.read_text()
    assert "of 60 paintings on the map (cap explorer.max_points = 30" in text
    assert "vae/seed0: 9 of 14" in text
    assert "no calibration walks in this run" in text


def test_chains_in_a_different_order_than_their_diagnostics_are_refused(tmp_path):
    arguments = write_run(tmp_path / "run")
    arguments["diagnostics"] = arguments["diagnostics"][::-1]
    with pytest.raises(StylepathError, match="in the same order"):
        explorer.main(cli.build_parser("explorer").parse_args(explorer_argv(arguments, tmp_path / "x.html", SETTINGS)))
    assert not (tmp_path / "x.html").exists()


def test_calibration_files_must_come_together(tmp_path):
    arguments = write_run(tmp_path / "run", calibration=True)
    del arguments["calibration_walks"]
    with pytest.raises(StylepathError, match="all four calibration files"):
        explorer.main(cli.build_parser("explorer").parse_args(explorer_argv(arguments, tmp_path / "x.html", SETTINGS)))


def test_instrument_column_gives_an_instrument_selector(tmp_path):
    page, _ = write_page(tmp_path, instruments=["gatys", "portilla_simoncelli"])
    text = page.read_text()
    assert '"name":"instrument"' in text.replace(" ", "")
    assert "vae/seed0|portilla_simoncelli" in text


# ----------------------------------------------------------------------------- in a real browser

needs_browser = pytest.mark.skipif(missing() is not None, reason=str(missing()))


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """A page of 2 models x 2 replicates with the calibration stage, open in headless Chromium;
    (driver, path, first render in ms)."""
    if missing():
        pytest.skip(missing())
    path, _ = write_page(tmp_path_factory.mktemp("explorer"), calibration=True)
    with browser() as driver:
        rendered_ms = open_page(driver, path)
        yield driver, path, rendered_ms


@needs_browser
def test_page_loads_without_console_errors(page):
    driver, _, rendered_ms = page
    assert rendered_ms > 0
    assert console_errors(driver) == []
    assert len(source_column(driver, "points", "x")) == 48  # every painting of the constructed run
    assert len(source_column(driver, "segments", "pair_id")) == 14  # every walk of the first chain


@needs_browser
def test_every_script_and_image_is_inline(page):
    driver, path, _ = page
    html = path.read_text()
    assert not re.search(r"<script[^>]+src=", html), "a script is loaded from a file or URL"
    external = r"<(link|img|iframe|source)\b[^>]*\b(src|href)=[\"']?(https?:)?//"
    assert not re.search(external, html), "the page links an external resource"
    driver.get(path.as_uri())  # load again, this time with a clean network log
    open_page(driver, path)
    urls = requested_urls(driver)
    assert urls and urls[0] == path.as_uri()
    assert [u for u in urls if u != path.as_uri() and not u.startswith("data:")] == []


@needs_browser
def test_switching_the_model_changes_the_points_and_the_verdict(page):
    driver, _, _ = page
    before, verdict = source_column(driver, "points", "x"), model(driver, "verdict", "text")
    set_value(driver, "model", "aae")
    after = source_column(driver, "points", "x")
    assert len(after) == len(before) and after != before
    assert "Adversarial" in model(driver, "verdict", "text") or "aae" in model(driver, "verdict", "text").lower()
    set_value(driver, "replicate", "1")
    assert "did not converge" in model(driver, "verdict", "text") != verdict  # the constructed failed chain
    set_value(driver, "pc_x", "3")
    assert source_column(driver, "points", "x") != after
    set_value(driver, "model", "vae")
    set_value(driver, "replicate", "0")
    set_value(driver, "pc_x", "1")
    assert source_column(driver, "points", "x") == before
    assert console_errors(driver) == []


@needs_browser
def test_filters_hide_walks(page):
    driver, _, _ = page
    set_value(driver, "criteria", ["random"])
    assert set(source_column(driver, "segments", "criterion")) == {"random"}
    set_value(driver, "patterns", ["wave"])
    assert set(source_column(driver, "segments", "pattern")) <= {"wave"}
    set_value(driver, "criteria", explorer_criteria(driver))
    set_value(driver, "patterns", ["horseshoe", "wave", "other"])
    assert len(source_column(driver, "segments", "pair_id")) == 14


def explorer_criteria(driver) -> list:
    return driver.execute_script("return Bokeh.documents[0].get_model_by_name('criteria').options;")


@needs_browser
def test_clicking_a_walk_shows_its_frames_and_curve(page):
    driver, _, _ = page
    click_first_walk(driver)
    text = model(driver, "walk_detail", "text")
    pair_id = source_column(driver, "segments", "pair_id")[0]
    assert f"walk {pair_id}</b>" in text
    assert 'class="strip" src="data:image/webp;base64,' in text
    assert text.count("data:image/webp") == 3  # the strip and the two end paintings
    assert len(source_column(driver, "walk_curve", "total")) == 5 - 1  # steps - 1 losses
    assert len(source_column(driver, "walk_curve", "conv5_1")) == 5 - 1
    assert console_errors(driver) == []


def click_first_walk(driver) -> None:
    """A real mouse click at the middle of the first walk's segment on the map's canvas."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    script = """
    const doc = Bokeh.documents[0], fig = doc.get_model_by_name('map'), s = doc.get_model_by_name('segments');
    const view = [...Bokeh.index.roots][0].owner.get_one(fig);
    const x = (s.data.x0[0] + s.data.x1[0]) / 2, y = (s.data.y0[0] + s.data.y1[0]) / 2;
    const box = view.el.getBoundingClientRect();
    return [box.left + view.frame.x_scale.compute(x), box.top + view.frame.y_scale.compute(y)];
    """
    x, y = driver.execute_script(script)
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(round(x), round(y)).click()
    actions.perform()


@needs_browser
def test_calibration_walks_are_browsable(page):
    driver, _, _ = page
    assert len(source_column(driver, "calibration_walks", "kind")) == 12
    driver.execute_script("Bokeh.documents[0].get_model_by_name('calibration_walks').selected.indices = [4];")
    text = model(driver, "calibration_detail", "text")
    assert "kind <b>" in text and "expected: " in text and 'class="strip"' in text
    assert len(source_column(driver, "calibration_curve", "total")) == 4
    assert console_errors(driver) == []
