"""The command groups of `orchestrix`, one module each (see `orchestrix.cli.app`)."""
