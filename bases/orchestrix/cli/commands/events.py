"""`orchestrix events tail`: print the global log after a checkpoint and follow it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import click

from orchestrix.cli.checkpoints import format_checkpoint, parse_checkpoint
from orchestrix.cli.output import print_json
from orchestrix.cli.store_choice import StoreChoice, store_options
from orchestrix.cli.stores import open_for_reading
from orchestrix.core.eventsourcing.event_log import Checkpoint, RecordedEvent
from orchestrix.core.messaging.codec import event_to_data


@click.group()
def events() -> None:
    """Read the global event log."""


@dataclass
class _Cursor:
    """The last checkpoint printed: where the user resumes after stopping."""

    checkpoint: Checkpoint
    count: int = 0


@events.command()
@click.option(
    "--after",
    callback=parse_checkpoint,
    default="0",
    help="Start after this checkpoint (as printed: POSITION or TX:POSITION).  [default: 0]",
)
@click.option(
    "--follow/--no-follow",
    default=True,
    show_default=True,
    help="Keep polling for new events, or stop at the end of the log.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.01),
    default=1.0,
    show_default=True,
    help="Seconds between polls while following.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per event and line.")
@store_options
def tail(
    store: StoreChoice, after: Checkpoint, follow: bool, interval: float, as_json: bool
) -> None:
    """Print every event after a checkpoint, then follow new ones until Ctrl-C.

    Each line starts with the event's checkpoint; pass it to --after to resume there.
    """
    _check_form(store, after)
    cursor = _Cursor(after)
    show = _json_line if as_json else _text_line
    try:
        asyncio.run(_tail(store, cursor, follow, interval, show))
    except KeyboardInterrupt:
        stopped = "Stopped"
    else:
        stopped = "End of the log"
    resume = format_checkpoint(cursor.checkpoint)
    click.echo(f"{stopped} after {cursor.count} event(s); resume with --after {resume}", err=True)


def _check_form(store: StoreChoice, after: Checkpoint) -> None:
    """A checkpoint of the other backend's form would silently start elsewhere: refuse it."""
    typed = format_checkpoint(after)
    if store.backend == "sqlite" and after.tx_id != 0:
        wrong = f"{typed!r} is a PostgreSQL checkpoint (TX:POSITION); SQLite's are POSITION"
    elif store.backend == "postgres" and after.tx_id == 0 and after.position != 0:
        wrong = f"{typed!r} is a SQLite checkpoint (POSITION); PostgreSQL's are TX:POSITION"
    else:
        return
    raise click.BadParameter(wrong, param_hint="'--after'")


async def _tail(
    store: StoreChoice,
    cursor: _Cursor,
    follow: bool,
    interval: float,
    show: Callable[[RecordedEvent], None],
) -> None:
    async with open_for_reading(store) as opened:
        while True:
            async for recorded in opened.read_all(after=cursor.checkpoint):
                show(recorded)
                cursor.checkpoint = recorded.checkpoint
                cursor.count += 1
            if not follow:
                return
            await asyncio.sleep(interval)


def _text_line(recorded: RecordedEvent) -> None:
    event = recorded.event
    click.echo(
        f"{format_checkpoint(recorded.checkpoint)}  {event.timestamp.isoformat()}  "
        f"{recorded.aggregate_id}@{recorded.version}  {event.type}  {event.id}"
    )


def _json_line(recorded: RecordedEvent) -> None:
    print_json(
        {
            "checkpoint": format_checkpoint(recorded.checkpoint),
            "stream_id": recorded.aggregate_id,
            "version": recorded.version,
            **event_to_data(recorded.event),
        },
        indent=None,
    )


__all__ = ["events"]
