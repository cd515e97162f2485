"""The source files a `stylepath` command runs, found by reading its imports.

Snakemake re-runs a job when one of its inputs changes, so each rule declares the source files
of its command as inputs (common.smk's `code`). They are found here, not listed by hand, so they
cannot drift from the code: starting from the command's module (cli.COMMANDS), every import of a
stylepath module, at module level or inside a function, is followed with `ast`, transitively.
A module also runs the `__init__.py` of each package above it, and a module that loads the
modules of a package by name (`importlib.import_module(f"stylepath.models.{name}")`) depends on
all of that package's modules, except in a job of one model's chain: that job runs its own
model's file (and the files it builds on), not the other models'. Paths are relative to the
working directory, so that a run moved with its checkout keeps its recorded inputs. The same
import graph shows that no module imports itself back (`import_cycles`) and that no stage's
command imports another's.

Only the standard library is imported here: the Snakefile imports this module.
"""

import ast
import os
from functools import cache
from pathlib import Path

PACKAGE = "stylepath"
PACKAGE_DIR = Path(__file__).resolve().parent
ENTRY_POINTS = ("stylepath", "stylepath.__main__", "stylepath.cli")  # what `python -m stylepath` runs


def module_file(name: str) -> Path | None:
    """The file of stylepath module or package `name` ('stylepath.a.b'), or None."""
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    path = PACKAGE_DIR.joinpath(*name.split(".")[1:])
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def package_modules(package: str) -> set[str]:
    """The modules directly inside package `package` (its .py files, __init__ as the package)."""
    folder = module_file(package).parent
    return {package if path.stem == "__init__" else f"{package}.{path.stem}" for path in folder.glob("*.py")}


@cache
def imports_of(name: str) -> frozenset[str]:
    """The stylepath modules that module `name` imports explicitly, anywhere in its code.

    `from A import b` counts as A.b when A.b is a module, else as A (b is a name in A).
    """
    path = module_file(name)
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if module_file(child) else base)
    return frozenset(module for module in found if module_file(module))


@cache
def loaded_by_name(name: str) -> frozenset[str]:
    """Packages whose modules module `name` loads by name: import_module(f"<package>.{...}")."""
    tree = ast.parse(module_file(name).read_text())
    packages = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            argument = node.args[0] if node.args else None
            if isinstance(argument, ast.JoinedStr) and isinstance(argument.values[0], ast.Constant):
                prefix = str(argument.values[0].value)
                if prefix.endswith(".") and module_file(prefix[:-1]):
                    packages.add(prefix[:-1])
    return frozenset(packages)


def modules_run_by(module: str, skip: frozenset = frozenset()) -> set[str]:
    """`module` and every stylepath module that importing and running it executes, except the
    modules in `skip` (and what only they import)."""
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in seen or name in skip:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:k]) for k in range(1, len(parts))]  # the packages above it
        todo += imports_of(name)
        for package in loaded_by_name(name):
            todo += package_modules(package)
    return seen


def imported_by(module: str) -> set[str]:
    """`module` and the modules it imports explicitly, transitively (no packages above, nothing
    loaded by name)."""
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += imports_of(name)
    return seen


def other_models(model: str) -> frozenset[str]:
    """The modules of the models that model `model`'s own module does not build on: a job of one
    model's chain does not run them (the tvae runs models/vae.py, the ae neither)."""
    from stylepath.config import model_names

    modules = {f"{PACKAGE}.models.{name}" for name in model_names()}
    return frozenset(modules - imported_by(f"{PACKAGE}.models.{model}"))


@cache
def command_sources(command: str, model: str | None = None) -> tuple[str, ...]:
    """Paths of the source files `python -m stylepath <command>` runs, sorted, relative to the
    working directory (so that a finished run moved elsewhere with its checkout plans nothing).
    For a job of one model's chain (`model` given), of the model files only that model's own."""
    from stylepath.cli import COMMANDS

    module = COMMANDS[command][0]
    if module_file(module) is None:
        raise FileNotFoundError(f"the module of `stylepath {command}`, {module}, does not exist")
    skip = other_models(model) if model else frozenset()
    modules = set().union(*(modules_run_by(name, skip) for name in (*ENTRY_POINTS, module)))
    return tuple(sorted(os.path.relpath(module_file(name)) for name in modules))


def import_graph() -> dict[str, frozenset[str]]:
    """Every stylepath module -> the stylepath modules it imports explicitly."""
    graph = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = path.relative_to(PACKAGE_DIR).with_suffix("").parts
        name = ".".join((PACKAGE, *(parts[:-1] if parts[-1] == "__init__" else parts)))
        graph[name] = imports_of(name)
    return graph


def find_cycles(graph: dict) -> list[list[str]]:
    """Cycles of a directed graph {node: successors}, each as a list of nodes with the first
    repeated at the end (one per back edge of a depth-first walk); [] when it has none."""
    cycles, state = [], {}  # state: 1 = on the current path, 2 = done

    def visit(node, path):
        state[node] = 1
        for child in sorted(graph.get(node, ())):
            if state.get(child) == 1:
                cycles.append(path[path.index(child) :] + [child])
            elif child not in state:
                visit(child, path + [child])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def import_cycles() -> list[list[str]]:
    """Cycles among the imports of stylepath modules; [] when no module imports itself back."""
    return find_cycles(import_graph())
