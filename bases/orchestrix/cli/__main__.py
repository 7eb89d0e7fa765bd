"""`python -m orchestrix.cli` runs the command line."""

from orchestrix.cli.main import main

main()
