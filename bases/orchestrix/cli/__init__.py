"""The `orchestrix` command line: demos, migrations, streams, the event log, projections, sagas
and dead letters from a terminal.

Installed as the `orchestrix` console script by the `cli` extra (`pip install
'orchestrix[cli]'`), or run as `python -m orchestrix.cli`. Each command group is one module of
`orchestrix.cli.commands`, listed once in `orchestrix.cli.app.COMMAND_GROUPS`.
"""

from orchestrix.cli.main import main

__all__ = ["main"]
