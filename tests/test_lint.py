"""The workflow lints clean (`snakemake --lint`) and is formatted (`snakefmt --check`)."""

import subprocess
import sys

from workflow_utils import REPO


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
