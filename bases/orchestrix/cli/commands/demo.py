"""`orchestrix demo list | run NAME`: the runnable demos."""

from __future__ import annotations

import click
from rich.table import Table

from orchestrix.cli.demos import DEMOS, find_demo
from orchestrix.cli.errors import CliError
from orchestrix.cli.output import console


@click.group()
def demo() -> None:
    """List and run the demos."""


@demo.command("list")
def list_demos() -> None:
    """Show the demos and whether each is installed here."""
    table = Table("Name", "Module", "Installed", "What it shows", box=None, pad_edge=False)
    for known in DEMOS:
        table.add_row(known.name, known.module, "yes" if known.installed() else "no", known.summary)
    console().print(table)


@demo.command(
    "run",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("name")
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def run_demo(name: str, arguments: tuple[str, ...]) -> None:
    """Run the demo NAME; ARGUMENTS after it go to the demo (e.g. `--db bank.sqlite3`)."""
    chosen = find_demo(name)
    if chosen is None:
        known = ", ".join(demo.name for demo in DEMOS)
        raise CliError(f"Unknown demo {name!r}; the demos are: {known}")
    if not chosen.installed():
        raise CliError(f"The {name} demo is not installed here (module {chosen.module})")
    passed = list(arguments)
    chosen.run(passed[1:] if passed[:1] == ["--"] else passed)


__all__ = ["demo"]
