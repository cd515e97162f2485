"""The workflow lints clean (`snakemake --lint`) and is formatted (`snakefmt --check`); the Python
code passes `ruff check` and `ruff format --check` (rules in pyproject.toml)."""

import subprocess
import sys

from workflow_utils import REPO

from stylepath.cli import COMMANDS


def run(*command):
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True)


def test_snakemake_lint_is_clean():
    result = run(sys.executable, "-m", "snakemake", "--lint", "--workflow-profile", "none")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations" in result.stdout + result.stderr, result.stdout + result.stderr


def test_snakefmt_check_passes():
    files = ["Snakefile", *sorted(str(p) for p in (REPO / "workflow" / "rules").glob("*.smk"))]
    result = run(sys.executable, "-m", "snakefmt", "--check", *files)
    assert result.returncode == 0, result.stdout + result.stderr


PYTHON_CODE = ["src", "tests", "benchmarks"]


def test_ruff_check_passes():
    result = run(sys.executable, "-m", "ruff", "check", *PYTHON_CODE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_check_passes():
    result = run(sys.executable, "-m", "ruff", "format", "--check", *PYTHON_CODE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_rule_is_thin_and_complete():
    """Each rule: log, benchmark, conda env, resources and params (its settings and its file
    arguments), and one `stylepath` command written by common.smk's `stylepath` helper from them
    (never config[...] in the shell)."""
    import re

    rules = {}
    for path in (REPO / "workflow" / "rules").glob("*.smk"):
        text = path.read_text()
        rules.update(re.findall(r"^rule (\w+):\n(.*?)(?=^rule |^localrules|\Z)", text, re.S | re.M))
    assert len(rules) >= 15
    for name, body in rules.items():
        for directive in ("output:", "params:", "log:", "benchmark:", "resources:", "conda:", "shell:"):
            assert directive in body, f"rule {name} lacks {directive}"
        shell = body.split("shell:", 1)[1]
        command = re.match(r'\s*stylepath\(\s*"([a-z-]+)"', shell)
        assert command and command.group(1) in COMMANDS, f"rule {name} must call one stylepath command"
        assert "config[" not in shell and "python" not in shell, name
        assert "        settings=" in body and "        files=files," in body, name
    for gpu_rule in ("train", "walks"):
        assert "gpu=GPU" in rules[gpu_rule]
