"""`python -m mediamill` is the `mediamill` command."""

from mediamill.cli.app import main

main()
