"""`python -m stylepath` is the `stylepath` command."""

from stylepath.cli import main

main()
