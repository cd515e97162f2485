"""envs/*.yaml (for --sdm conda) and pyproject.toml ask for the same packages and versions."""

import re
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from workflow_utils import REPO

# PyPI name -> conda-forge name, where they differ.
CONDA_NAMES = {"torch": "pytorch"}
# Packages the workflow runner needs but the jobs do not.
RUNNER_ONLY = {"snakemake", "snakemake-executor-plugin-slurm"}


def pyproject_requirements() -> dict[str, SpecifierSet]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = map(Requirement, project["dependencies"])
    return {r.name.lower(): r.specifier for r in requirements if r.name.lower() not in RUNNER_ONLY}


def env_requirements(path) -> dict[str, SpecifierSet]:
    """Conda (`name >=1.2`) and pip (`name>=1.2`) entries of an environment file."""
    entries = []
    for dependency in yaml.safe_load(path.read_text())["dependencies"]:
        entries += dependency["pip"] if isinstance(dependency, dict) else [dependency]
    requirements = {}
    for entry in entries:
        name, spec = re.match(r"^([A-Za-z0-9_.-]+)\s*(.*)$", entry).groups()
        if name not in ("python", "pip"):  # conda's own '=3.11' syntax; not in pyproject
            requirements[name.lower()] = SpecifierSet(spec.replace(" ", ""))
    return requirements


def test_every_env_file_matches_pyproject():
    wanted = pyproject_requirements()
    for path in sorted((REPO / "envs").glob("*.yaml")):
        env = env_requirements(path)
        for name, specifier in wanted.items():
            conda_name = CONDA_NAMES.get(name, name)
            found = env.get(name, env.get(conda_name))
            assert found is not None, f"{path.name} lacks {name}"
            assert found == specifier, f"{path.name}: {name}{found} but pyproject.toml has {name}{specifier}"


def test_pinned_torch_versions_are_admitted():
    wanted = pyproject_requirements()
    assert "2.14.1" in wanted["torch"] and "0.29.1" in wanted["torchvision"]
