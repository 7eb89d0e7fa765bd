"""The root `orchestrix` command and the list of its command groups.

A new group (say `outbox`) is one module in `orchestrix.cli.commands` defining a click
group, plus one entry in `COMMAND_GROUPS`.
"""

from __future__ import annotations

import click

from orchestrix.cli.commands.db import db
from orchestrix.cli.commands.demo import demo
from orchestrix.cli.commands.dlq import dlq
from orchestrix.cli.commands.events import events
from orchestrix.cli.commands.projection import projection
from orchestrix.cli.commands.saga import saga
from orchestrix.cli.commands.stream import stream
from orchestrix.cli.errors import CommandLine

COMMAND_GROUPS: tuple[click.Command, ...] = (demo, db, stream, events, projection, saga, dlq)


@click.group(cls=CommandLine, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="orchestrix", prog_name="orchestrix")
def cli() -> None:
    """Orchestrix: run the demos, migrate a database, read streams and the event log,
    inspect and rebuild projections, resume sagas, list and replay dead letters.

    Commands that use a store take --dsn: a SQLite file (default: orchestrix.sqlite3) or a
    postgresql:// DSN; ORCHESTRIX_DSN, ORCHESTRIX_STORE and ORCHESTRIX_SCHEMA set them for
    every command.
    """


for group in COMMAND_GROUPS:
    cli.add_command(group)

__all__ = ["COMMAND_GROUPS", "cli"]
