"""`orchestrix stream show ID`: the events of one stream."""

from __future__ import annotations

import asyncio

import click
from rich.table import Table

from orchestrix.cli.errors import CliError
from orchestrix.cli.output import console, print_json
from orchestrix.cli.store_choice import StoreChoice, store_options
from orchestrix.cli.stores import open_for_reading
from orchestrix.core.messaging.codec import event_to_data
from orchestrix.core.messaging.message import Event


@click.group()
def stream() -> None:
    """Look at event streams."""


@stream.command()
@click.argument("stream_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the events as a JSON array.")
@store_options
def show(store: StoreChoice, stream_id: str, as_json: bool) -> None:
    """Show the events of stream ID: version, type, time and event id."""
    events = asyncio.run(_load(store, stream_id))
    if not events:
        raise CliError(f"Stream {stream_id!r} not found in the {store.describe()}")
    if as_json:
        print_json(
            [{"version": number, **event_to_data(event)} for number, event in enumerate(events, 1)]
        )
        return
    table = Table("Version", "Type", "Time", "Event id", title=f"Stream {stream_id}")
    for number, event in enumerate(events, start=1):
        table.add_row(str(number), event.type, event.timestamp.isoformat(), event.id)
    console().print(table)


async def _load(store: StoreChoice, stream_id: str) -> list[Event]:
    async with open_for_reading(store) as opened:
        return await opened.load(stream_id)


__all__ = ["stream"]
