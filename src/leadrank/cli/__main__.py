"""`python -m leadrank.cli` runs the command line."""

from leadrank.cli.main import main

main()
