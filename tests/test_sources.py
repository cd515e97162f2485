"""The import graph of the package: no module imports itself back, and each command's source
files (a rule's code inputs) are found from its imports, lazy ones included."""

from pathlib import Path

import pytest

from stylepath import sources
from stylepath.cli import COMMANDS
from stylepath.config import model_names


def relative(paths) -> set[str]:
    return {Path(path).relative_to(sources.PACKAGE_DIR).as_posix() for path in paths}


def test_no_import_cycle_among_stylepath_modules():
    assert sources.import_cycles() == []


def test_cycles_are_found_in_a_constructed_graph():
    graph = {"a": {"b"}, "b": {"c", "d"}, "c": {"a"}, "d": set(), "e": {"e"}}
    assert sources.find_cycles(graph) == [["a", "b", "c", "a"], ["e", "e"]]
    assert sources.find_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_graph_holds_every_module_and_its_imports():
    graph = sources.import_graph()
    assert len(graph) >= 30 and "stylepath.models.tvae" in graph
    assert "stylepath.models.vae" in graph["stylepath.models.tvae"]  # from stylepath.models.vae import VAE


def test_every_command_module_exists_and_runs_the_entry_points():
    for command in COMMANDS:
        files = relative(sources.command_sources(command))
        assert {"__init__.py", "__main__.py", "cli.py"} <= files, command


def test_training_runs_every_model_file_and_no_figure_code():
    files = relative(sources.command_sources("train"))
    assert {f"models/{name}.py" for name in model_names()} <= files  # loaded by name in models/__init__
    assert {"train.py", "models/backbone.py", "data/prepared.py", "runtime.py", "config.py"} <= files
    assert not any(path.startswith(("figures/", "analysis")) for path in files)


def test_lazy_imports_inside_functions_are_followed():
    # interpolate imports stylepath.models and stylepath.runtime inside main() only.
    files = relative(sources.command_sources("interpolate"))
    assert {"interpolate.py", "latents.py", "runtime.py", "models/__init__.py", "models/tvae.py"} <= files


def test_a_stage_does_not_depend_on_code_it_does_not_run():
    patterns = relative(sources.command_sources("patterns"))
    assert "patterns.py" in patterns
    assert not any(path.startswith(("models/", "figures/", "data/")) for path in patterns)
    prepare = relative(sources.command_sources("prepare-data"))
    assert {"data/prepare.py", "data/synthetic.py", "data/image_files.py", "data/folder.py"} <= prepare


@pytest.mark.parametrize("name", ["stylepath.pairs", "stylepath.data.prepare"])
def test_from_package_import_module_counts_the_module(name):
    imported = sources.imports_of(name)
    assert all(sources.module_file(module) is not None for module in imported)
    if name == "stylepath.data.prepare":  # `from stylepath.data import folder, image_files, synthetic`
        assert {"stylepath.data.folder", "stylepath.data.image_files", "stylepath.data.synthetic"} <= imported
