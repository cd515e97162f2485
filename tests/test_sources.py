"""The import graph of the package: no module imports itself back, and each command's source
files (a rule's code inputs) are found from its imports, lazy ones included."""

from pathlib import Path

import pytest

from stylepath import sources
from stylepath.cli import COMMANDS
from stylepath.config import model_names


def relative(paths) -> set[str]:
    return {Path(path).resolve().relative_to(sources.PACKAGE_DIR).as_posix() for path in paths}


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


def test_a_training_job_runs_its_own_model_file_and_no_analysis_code():
    shared = {"train.py", "models/__init__.py", "models/backbone.py", "data/prepared.py", "runtime.py"}
    own = {
        "ae": {"models/ae.py"},
        "vae": {"models/vae.py"},
        "beta_vae": {"models/vae.py", "models/beta_vae.py"},
        "aae": {"models/aae.py"},
        "tvae": {"models/vae.py", "models/tvae.py"},
    }
    for model in model_names():
        files = relative(sources.command_sources("train", model))
        assert shared <= files
        assert {path for path in files if path.startswith("models/") and path not in shared} == own[model], model
        assert ("geometry.py" in files) == (model != "ae")  # the prior's statistics, logged per epoch
        assert not {"diagnostics.py", "analyse.py", "findings.py"} & files
        assert not any(path.startswith("figures/") for path in files)


def test_a_command_of_every_model_runs_every_model_file():
    files = relative(sources.command_sources("plot-reconstructions"))
    assert {f"models/{name}.py" for name in model_names()} <= files  # loaded by name in models/__init__


def test_code_inputs_are_relative_to_the_working_directory():
    assert all(not Path(path).is_absolute() for path in sources.command_sources("train", "ae"))


def test_no_stage_command_imports_another_stage_command():
    commands = {module for module, _ in COMMANDS.values()}
    for module in commands:
        others = sources.imported_by(module) - {module}
        assert not others & commands, f"{module} imports the command module(s) {sorted(others & commands)}"


def test_lazy_imports_inside_functions_are_followed():
    # walks imports stylepath.models and stylepath.runtime inside functions only.
    files = relative(sources.command_sources("walks", "tvae"))
    assert {"walks.py", "interpolate.py", "latents.py", "runtime.py", "models/__init__.py", "models/tvae.py"} <= files


def test_a_stage_does_not_depend_on_code_it_does_not_run():
    patterns = relative(sources.command_sources("patterns"))
    assert "patterns.py" in patterns
    assert not any(path.startswith(("models/", "figures/", "data/")) for path in patterns)
    prepare = relative(sources.command_sources("prepare-data"))
    assert {"data/prepare_data.py", "data/synthetic.py", "data/image_files.py", "data/folder.py"} <= prepare


@pytest.mark.parametrize("name", ["stylepath.select_pairs", "stylepath.data.prepare_data"])
def test_from_package_import_module_counts_the_module(name):
    imported = sources.imports_of(name)
    assert all(sources.module_file(module) is not None for module in imported)
    if name == "stylepath.data.prepare_data":  # `from stylepath.data import folder, image_files, synthetic`
        assert {"stylepath.data.folder", "stylepath.data.image_files", "stylepath.data.synthetic"} <= imported
