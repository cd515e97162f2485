"""The README's quickstart is what CI runs."""

from workflow_utils import REPO

QUICKSTART_RUN = "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && snakemake --cores all"
QUICKSTART_TEST = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && pytest"


def test_readme_has_the_two_quickstart_lines():
    readme = (REPO / "README.md").read_text()
    assert QUICKSTART_RUN in readme.splitlines()
    assert QUICKSTART_TEST in readme.splitlines()


def test_ci_runs_the_readme_test_line_verbatim():
    assert QUICKSTART_TEST in (REPO / ".ci" / "run").read_text().splitlines()
