"""One convention for file arguments: every file argument is declared once (stylepath.cli.FILES),
each command names its files by key, and every rule's shell command parses with its command."""

import ast
import importlib
import shlex
from pathlib import Path

import pytest
from workflow_utils import copy_workflow, snakemake

from stylepath import cli, sources

MODULES = {command: importlib.import_module(module) for command, (module, _) in cli.COMMANDS.items()}


def file_keys(module) -> list[str]:
    return [key for name in cli.FILE_TUPLES for key in getattr(module, name, ())]


def own_options(module) -> set[str]:
    """The options a command module adds in argparse code of its own (add_argument calls)."""
    path = sources.module_file(module.__name__)
    options = set()
    for node in ast.walk(ast.parse(Path(path).read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument":
            options |= {arg.value for arg in node.args if isinstance(arg, ast.Constant) and arg.value.startswith("-")}
    return options


def test_no_command_declares_a_file_argument_or_a_shared_one_of_its_own():
    shared = {cli.flag(key) for key in cli.FILES} | {"--settings", "--threads"}
    declared = {}
    for command, module in MODULES.items():
        options = own_options(module)
        assert not options & shared, f"{command} declares {sorted(options & shared)}: name them in its file tuples"
        for option in options:
            assert option not in declared, f"{command} and {declared[option]} both declare {option}"
            declared[option] = command
    assert declared == {
        "--model-name": "walks",
        "--replicate": "walks",
        **dict.fromkeys(["--configfile", "--measurements", "--n-images"], "estimate"),  # a tool: no file keys
    }


def test_the_check_finds_an_argument_declared_in_a_module(tmp_path, monkeypatch):
    module = tmp_path / "made_up.py"
    module.write_text('def add_arguments(parser):\n    parser.add_argument("--images", required=True)\n')
    monkeypatch.setattr(sources, "module_file", lambda name: module)
    assert own_options(type("M", (), {"__name__": "stylepath.made_up"})) == {"--images"}


def test_every_file_key_is_described_once_and_used():
    used = set()
    for command, module in MODULES.items():
        keys = file_keys(module)
        assert len(keys) == len(set(keys)), f"{command} names a key twice"
        assert set(keys) <= set(cli.FILES), f"{command}: {sorted(set(keys) - set(cli.FILES))} not in cli.FILES"
        used |= set(keys)
    assert used == set(cli.FILES), f"unused in cli.FILES: {sorted(set(cli.FILES) - used)}"


def example_files(module) -> dict[str, list[str]]:
    """A path (two for list inputs) for every required file argument of `module`, by flag."""
    files = {cli.flag(key): [f"{key}.in"] for key in getattr(module, "INPUTS", ())}
    files |= {cli.flag(key): [f"{key}.0", f"{key}.1"] for key in getattr(module, "LIST_INPUTS", ())}
    return files | {cli.flag(key): [f"{key}.out"] for key in getattr(module, "OUTPUTS", ())}


def parse(command, files: dict) -> object:
    argv = [command, "--settings", '{"a": 1}', *[a for flag, paths in files.items() for a in (flag, *paths)]]
    if command == "walks":
        argv += ["--model-name", "vae", "--replicate", "2"]
    if command == "estimate":
        argv += ["--configfile", "config.yaml"]
    return cli.build_parser(command).parse_args(argv)


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_each_file_key_is_its_flag_and_its_attribute(command):
    module = MODULES[command]
    files = example_files(module)
    args = parse(command, files)
    assert args.settings == {"a": 1} and args.threads == 1
    for key in getattr(module, "INPUTS", ()) + getattr(module, "OUTPUTS", ()):
        assert [getattr(args, key)] == files[cli.flag(key)]
    for key in getattr(module, "LIST_INPUTS", ()):
        assert getattr(args, key) == files[cli.flag(key)]
    for key in getattr(module, "OPTIONAL_INPUTS", ()):
        assert getattr(args, key) is None
    for flag in files:  # every file argument but the optional ones is required
        with pytest.raises(SystemExit):
            parse(command, {other: paths for other, paths in files.items() if other != flag})


def shell_commands(output: str) -> list[list[str]]:
    """The `python -m stylepath ...` commands a dry run prints, split, without the log redirect."""
    commands = []
    for line in output.splitlines():
        if "python -m stylepath " in line:  # "Shell command: python -m stylepath ..."
            command = line[line.index("python -m stylepath ") :].split(" > ", 1)[0]
            commands.append(shlex.split(command)[3:])
    return commands


@pytest.mark.workflow
def test_every_rule_passes_the_file_arguments_its_command_takes(tmp_path):
    """A dry run of the tiny workflow prints every job's command; each parses with its command's
    parser, and names every input and output file of its rule."""
    workdir = copy_workflow(tmp_path)
    printed = snakemake(workdir, "--dry-run", "--printshellcmds", "--forceall").stdout
    commands = shell_commands(printed)
    stages = set(cli.COMMANDS) - set(cli.TOOLS)  # the tools (estimate) have no rule
    assert {argv[0] for argv in commands} == stages - {"download"}  # the tiny run is synthetic
    for argv in commands:
        args = cli.build_parser(argv[0]).parse_args(argv)
        module = MODULES[argv[0]]
        for key in [*getattr(module, "INPUTS", ()), *getattr(module, "OUTPUTS", ())]:
            assert getattr(args, key), (argv[0], key)
    analyse = [argv for argv in commands if argv[0] == "analyse"]
    with_reference = [argv for argv in analyse if "--reference-latents" in argv]
    assert len(with_reference) == 2  # the tvae's two replicates, against the VAE's
    walks = next(argv for argv in commands if argv[0] == "walks")
    assert "--weights" not in walks and "--code" not in walks
