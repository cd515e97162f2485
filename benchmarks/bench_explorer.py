"""The explorer page's size and time to first render in headless Chromium: for a finished run
(the demo by default) and for a constructed study-sized run (24,000 paintings x 15 chains, the
walks config/study.yaml implies), with the caps of the config (schema defaults); and a
screenshot of the run's page with one walk clicked (docs/explorer.png in the README).

    python benchmarks/bench_explorer.py [--run results/demo] [--skip-study] [--screenshot docs/explorer.png]

The run is only read: the pages are written to a temporary folder. Needs Debian's chromium and
chromium-driver (tests/browser/install.sh) and selenium.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests")]

import browser  # noqa: E402
from explorer_inputs import explorer_argv, write_run  # noqa: E402

from stylepath import cli  # noqa: E402
from stylepath.config import load_config  # noqa: E402

CHAIN_FILES = {  # explorer option -> a chain's file under results/<run>/ (docs/outputs.md)
    "projections": "analysis/{chain}/pca_projections.parquet",
    "diagnostics": "analysis/{chain}/diagnostics.json",
    "pairs": "pairs/{chain}.parquet",
    "walk_images": "trajectories/{chain}/images.npy",
    "walk_indexes": "trajectories/{chain}/index.parquet",
    "style_losses": "style_loss/{chain}.parquet",
    "walks": "patterns/{chain}/walks.parquet",
}
CALIBRATION_FILES = {
    "calibration_images": "calibration/images.npy",
    "calibration_index": "calibration/index.parquet",
    "calibration_style_loss": "calibration/style_loss.parquet",
    "calibration_walks": "calibration/walks.parquet",
}
STUDY_PAINTINGS = 24_000
LOADS = 3  # page loads per measurement (median)


def run_arguments(results: Path, config: dict) -> dict:
    """The explorer's input files of a finished run, as the rule passes them."""
    chains = [f"{m}/seed{r}" for m in config["models"] for r in config["replicates"]]
    arguments = {"images": str(results / "data/images.npy"), "metadata": str(results / "data/metadata.parquet")}
    arguments.update(
        {name: [str(results / path.format(chain=c)) for c in chains] for name, path in CHAIN_FILES.items()}
    )
    if all((results / path).exists() for path in CALIBRATION_FILES.values()):
        arguments.update({name: str(results / path) for name, path in CALIBRATION_FILES.items()})
    return arguments


def study_walks_per_chain(config: dict) -> int:
    """Walks per chain of config/study.yaml: n per criterion, per pair of styles for across_styles
    and class_centroids, per pair of k-means clusters (k = styles) for cluster_centroids."""
    n, styles = config["pairs"]["n_per_criterion"], len(config["dataset"]["styles"])
    per_pair_of_groups = {"across_styles", "class_centroids", "cluster_centroids"}
    pairs_of_styles = styles * (styles - 1) // 2
    return sum(n * (pairs_of_styles if c in per_pair_of_groups else 1) for c in config["pairs"]["criteria"])


def write_page(arguments: dict, out: Path, settings: dict) -> float:
    """Write the page; the seconds it took."""
    start = time.perf_counter()
    cli.main(explorer_argv(arguments, out, settings))
    return time.perf_counter() - start


def measure(page: Path) -> dict:
    """Size and median time to first render (Bokeh's document ready, ms from navigation) of LOADS
    loads, each in a fresh browser; console errors and non-inline requests of the last one."""
    times = []
    for _ in range(LOADS):
        with browser.browser() as driver:
            times.append(browser.open_page(driver, page))
            errors = browser.console_errors(driver)
            external = [u for u in browser.requested_urls(driver) if not u.startswith(("data:", page.as_uri()))]
    return {
        "MB": page.stat().st_size / 1e6,
        "render_ms": statistics.median(times),
        "all_ms": times,
        "errors": errors,
        "external": external,
    }


def screenshot(page: Path, out: Path, walk: int = 0) -> None:
    """A screenshot of the page with walk `walk` of the first chain clicked."""
    with browser.browser(width=1240, height=1280) as driver:
        browser.open_page(driver, page)
        driver.execute_script(f"Bokeh.documents[0].get_model_by_name('segments').selected.indices = [{walk}];")
        time.sleep(1.0)  # let the panel and curves draw
        out.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(out))


def report(name: str, seconds: float, figures: dict) -> None:
    print(
        f"{name}: page {figures['MB']:.2f} MB, written in {seconds:.1f} s, first render {figures['render_ms']:.0f} ms "
        f"(median of {LOADS}: {', '.join(f'{t:.0f}' for t in figures['all_ms'])}); "
        f"console errors {len(figures['errors'])}, non-inline requests {len(figures['external'])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default=str(REPO / "results/demo"), help="a finished run's results folder")
    parser.add_argument("--config", default=str(REPO / "config.yaml"), help="that run's config")
    parser.add_argument("--skip-study", action="store_true", help="only the run's page")
    parser.add_argument("--screenshot", default=None, help="write a screenshot of the run's page here")
    args = parser.parse_args()
    reason = browser.missing()
    if reason:
        sys.exit(f"bench_explorer: {reason}")
    config = load_config(args.config)
    settings = config["explorer"]
    print(f"explorer caps (schema defaults): {settings}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        page = tmp / "run" / "explorer.html"
        seconds = write_page(run_arguments(Path(args.run), config), page, settings)
        report(f"run {args.run}", seconds, measure(page))
        if args.screenshot:
            screenshot(page, Path(args.screenshot))
            print(f"screenshot: {args.screenshot}")
        if args.skip_study:
            return
        study = load_config(REPO / "config.yaml", REPO / "config/study.yaml")
        walks = study_walks_per_chain(study)
        start = time.perf_counter()
        arguments = write_run(
            tmp / "study",
            models=study["models"],
            replicates=study["replicates"],
            n_images=STUDY_PAINTINGS,
            image_size=study["dataset"]["image_size"],
            steps=study["interpolation"]["steps"],
            walks_per_chain=walks,
            components=study["analysis"]["pca_components"],
            calibration=True,
        )
        print(
            f"constructed a study-sized run in {time.perf_counter() - start:.0f} s: {STUDY_PAINTINGS:,} paintings, "
            f"{len(study['models']) * len(study['replicates'])} chains, {walks} walks per chain"
        )
        page = tmp / "study" / "explorer.html"
        seconds = write_page(arguments, page, study["explorer"])
        report("study-sized run", seconds, measure(page))


if __name__ == "__main__":
    main()
