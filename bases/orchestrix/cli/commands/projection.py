"""`orchestrix projection list | status NAME | rebuild MODULE:OBJECT`: projections from outside.

`list` and `status` read the checkpoint store and the log's head only; `rebuild` imports the
user's projection (see `orchestrix.cli.definitions`) and replays the log through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column, Table
from rich.text import Text

from orchestrix.cli.checkpoints import format_checkpoint
from orchestrix.cli.definitions import definition
from orchestrix.cli.errors import CliError
from orchestrix.cli.output import console, print_json
from orchestrix.cli.projection_report import (
    ProjectionReport,
    all_states,
    format_age,
    known_state,
    report,
)
from orchestrix.cli.rebuild import Rebuilt, rebuild
from orchestrix.cli.store_choice import StoreChoice, store_options
from orchestrix.cli.stores import open_projections
from orchestrix.core.eventsourcing.projection import ProjectionEngine
from orchestrix.core.eventsourcing.projection_dead_letters import DeadLetteredEvent

_DEAD_LETTERS_SHOWN = 20


def checkpoint_options[R](command: Callable[..., R]) -> Callable[..., R]:
    """Add `--checkpoints FILE` (SQLite: the checkpoints' file, if not the event store's)."""
    return click.option(
        "--checkpoints",
        envvar="ORCHESTRIX_CHECKPOINTS",
        show_envvar=True,
        metavar="FILE",
        help="SQLite only: the file holding the projections' checkpoints, if it is not the "
        "event store's file.",
    )(command)


@click.group()
def projection() -> None:
    """Inspect and rebuild projections (their checkpoints, health, lag and dead letters)."""


@projection.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@checkpoint_options
@store_options
def list_projections(store: StoreChoice, checkpoints: str | None, as_json: bool) -> None:
    """Show every projection with a checkpoint in the store: where it is, whether it is
    healthy, its errors and dead letters, and how far it lags behind the event log."""
    reports = asyncio.run(_reports(store, checkpoints))
    if as_json:
        print_json([entry.as_json() for entry in reports])
        return
    if not reports:
        click.echo("No projection has a checkpoint in this store yet")
        return
    table = Table(
        "Name",
        "Checkpoint",
        "Health",
        "Errors",
        "Dead letters",
        "Lag (events)",
        "Oldest unprocessed",
        "Updated",
    )
    for entry in reports:
        state = entry.state
        table.add_row(
            state.projection_id,
            format_checkpoint(state.checkpoint),
            entry.health,
            str(state.error_count),
            str(len(entry.dead_letters)),
            str(entry.lag.events),
            format_age(entry.lag.seconds) if entry.lag.events else "-",
            state.updated_at.isoformat(timespec="seconds"),
        )
    console().print(table)


async def _reports(store: StoreChoice, checkpoints: str | None) -> list[ProjectionReport]:
    async with open_projections(store, checkpoints) as projections:
        return [await report(projections, state) for state in await all_states(projections)]


@projection.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@checkpoint_options
@store_options
def status(store: StoreChoice, checkpoints: str | None, name: str, as_json: bool) -> None:
    """Show projection NAME: its checkpoint, health, errors, lag and dead letters."""
    entry = asyncio.run(_report(store, checkpoints, name))
    dead = entry.dead_letters
    if as_json:
        print_json(
            {**entry.as_json(), "dead_lettered": [dead_letter_json(letter) for letter in dead]}
        )
        return
    state, lag = entry.state, entry.lag
    behind = f"{lag.events} event(s)"
    if lag.events:
        behind += f", the oldest stored {format_age(lag.seconds)} ago"
    lines = [
        ("Projection", state.projection_id),
        ("Checkpoint", format_checkpoint(state.checkpoint)),
        ("Last event", state.last_processed_event_id or "-"),
        ("Updated", state.updated_at.isoformat()),
        ("Health", entry.health),
        ("Errors", str(state.error_count)),
        ("Behind the log", behind),
        ("Dead letters", str(len(dead))),
    ]
    table = Table.grid(padding=(0, 2))
    for label, value in lines:
        table.add_row(f"{label}:", value)
    console().print(table)
    if dead:
        console().print(dead_letter_table(dead[:_DEAD_LETTERS_SHOWN]))
        if len(dead) > _DEAD_LETTERS_SHOWN:
            click.echo(f"... and {len(dead) - _DEAD_LETTERS_SHOWN} more: orchestrix dlq list")


async def _report(store: StoreChoice, checkpoints: str | None, name: str) -> ProjectionReport:
    async with open_projections(store, checkpoints) as projections:
        return await report(projections, await known_state(projections, name))


def dead_letter_table(letters: list[DeadLetteredEvent]) -> Table:
    """Projections' dead-lettered events as a table (shared with `dlq list`)."""
    table = Table("Projection", "Checkpoint", "Event", "Type", "Stream", "Attempts", "Error")
    for letter in letters:
        table.add_row(
            letter.projection_id,
            format_checkpoint(letter.checkpoint),
            letter.event_id,
            letter.event_type,
            f"{letter.aggregate_id}@{letter.version}",
            str(letter.attempts),
            f"{letter.error_type}: {letter.error_message}",
        )
    return table


def dead_letter_json(letter: DeadLetteredEvent) -> dict[str, Any]:
    return {
        "projection": letter.projection_id,
        "checkpoint": format_checkpoint(letter.checkpoint),
        "event_id": letter.event_id,
        "event_type": letter.event_type,
        "stream_id": letter.aggregate_id,
        "version": letter.version,
        "attempts": letter.attempts,
        "error_type": letter.error_type,
        "error_message": letter.error_message,
        "failed_at": letter.failed_at.isoformat(),
    }


@projection.command("rebuild")
@click.argument("definition_name", metavar="MODULE:OBJECT")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Events per transaction.",
)
@click.option(
    "--skip-failures",
    is_flag=True,
    help="Dead-letter an event its handler keeps failing on, and go on (default: stop there).",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@checkpoint_options
@store_options
def rebuild_projection(store: StoreChoice, definition_name: str, **options: Any) -> None:
    """Empty a projection's read model and replay the whole event log through it.

    MODULE:OBJECT names the projection, importable from the current folder: a
    ProjectionEngine, or a function (sync or async) that takes the checkpoint store and
    returns one, with its handlers and its on_reset hooks. The projection must have run on
    this store before. Its lock is held throughout: the command refuses while a worker holds
    it, and workers wait until it is done.
    """
    bar = _ProgressBar()
    try:
        outcome = asyncio.run(_rebuild(store, definition_name, bar, **options))
    except KeyboardInterrupt:
        raise CliError(
            f"Interrupted after {bar.done} event(s): the projection is rebuilt up to there. "
            "A worker started on it goes on from there; a new rebuild starts over"
        ) from None
    finally:
        bar.stop()
    rate = outcome.events / outcome.seconds if outcome.seconds else 0.0
    summary = (
        f"Rebuilt projection {bar.name!r}: {outcome.events} event(s) in {outcome.seconds:.1f} s "
        f"({rate:,.0f} events/s), now at checkpoint {format_checkpoint(outcome.checkpoint)}"
    )
    if outcome.dead_letters:
        summary += (
            f"; {outcome.dead_letters} event(s) dead-lettered "
            f"(orchestrix dlq list --projection {bar.name})"
        )
    click.echo(summary)


async def _rebuild(
    store: StoreChoice,
    definition_name: str,
    bar: _ProgressBar,
    *,
    checkpoints: str | None,
    batch_size: int,
    skip_failures: bool,
    yes: bool,
) -> Rebuilt:
    async with open_projections(store, checkpoints) as projections:
        engine = await definition(definition_name, ProjectionEngine, projections.checkpoints)
        bar.name = engine.projection_id

        def confirm(total: int) -> None:
            if not yes:
                click.confirm(
                    f"Empty the read model of projection {engine.projection_id!r} and replay "
                    f"{total} event(s) from the origin?",
                    abort=True,
                    err=True,
                )

        return await rebuild(
            projections,
            engine,
            batch_size=batch_size,
            skip_failures=skip_failures,
            confirm=confirm,
            report=bar.update,
        )


class _Rate(ProgressColumn):
    """Events per second, as rich measures them over the last seconds."""

    def render(self, task: Task) -> Text:
        speed = task.speed
        return Text("- events/s" if speed is None else f"{speed:,.0f} events/s")


class _ProgressBar:
    """The bar on standard error (a terminal sees it move; a pipe gets its last state)."""

    def __init__(self) -> None:
        self.name = ""
        self.done = 0
        self._progress: Progress | None = None
        self._task: Any = None

    def update(self, done: int, total: int) -> None:
        """Show `done` of `total` events (the first call shows the bar)."""
        self.done = done
        if self._progress is None:
            self._start(total)
        assert self._progress is not None
        self._progress.update(self._task, completed=done, total=total)

    def _start(self, total: int) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _Rate(table_column=Column(no_wrap=True)),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=console(stderr=True),
        )
        self._task = self._progress.add_task(f"Rebuilding {self.name}", total=total)
        self._progress.start()

    def stop(self) -> None:
        progress, self._progress = self._progress, None
        if progress is not None:
            progress.stop()


__all__ = ["checkpoint_options", "dead_letter_json", "dead_letter_table", "projection"]
