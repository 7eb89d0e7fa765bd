"""`orchestrix saga list | show ID | resume ID`: sagas in the saga state store.

`list` and `show` read the stored states; `resume` continues an interrupted saga with the
user's saga definition (see `orchestrix.cli.definitions`), as `Saga.resume` does in code.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import click

from orchestrix.cli.definitions import definition
from orchestrix.cli.errors import CliError
from orchestrix.cli.output import console, print_json
from orchestrix.cli.saga_report import (
    current_step,
    saga_details,
    saga_json,
    saga_table,
    step_table,
)
from orchestrix.cli.store_choice import StoreChoice, store_options
from orchestrix.cli.stores import open_sagas
from orchestrix.core.execution.errors import SagaNotFoundError
from orchestrix.core.execution.saga import Saga
from orchestrix.core.execution.saga_state import UNFINISHED, SagaState, SagaStatus

_UNFINISHED = "unfinished"
_STATUSES = [status.value for status in SagaStatus]


@click.group()
def saga() -> None:
    """List and show stored sagas; resume one a crash interrupted."""


@saga.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([*_STATUSES, _UNFINISHED]),
    help=f"Only sagas in this status (repeatable); {_UNFINISHED!r} means in_progress or "
    "compensating: interrupted, unless a process is running them.",
)
@click.option("--type", "saga_type", metavar="TYPE", help="Only sagas of this type.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@store_options
def list_sagas(
    store: StoreChoice, statuses: tuple[str, ...], saga_type: str | None, as_json: bool
) -> None:
    """Show the stored sagas, oldest first: id, type, status, current step, last change."""
    wanted = _wanted(statuses)
    states = asyncio.run(_list(store, wanted))
    if saga_type is not None:
        states = [state for state in states if state.saga_type == saga_type]
    if as_json:
        print_json([saga_json(state, steps=False) for state in states])
    elif states:
        console().print(saga_table(states))
    else:
        click.echo("No saga matches" if statuses or saga_type else "No saga is stored here")


def _wanted(statuses: tuple[str, ...]) -> tuple[SagaStatus, ...]:
    if not statuses:
        return tuple(SagaStatus)
    chosen: list[SagaStatus] = []
    for name in statuses:
        for status in UNFINISHED if name == _UNFINISHED else (SagaStatus(name),):
            if status not in chosen:
                chosen.append(status)
    return tuple(chosen)


async def _list(store: StoreChoice, statuses: tuple[SagaStatus, ...]) -> list[SagaState]:
    async with open_sagas(store) as sagas:
        return [] if sagas is None else await sagas.list_by_status(*statuses)


@saga.command()
@click.argument("saga_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@store_options
def show(store: StoreChoice, saga_id: str, as_json: bool) -> None:
    """Show saga ID: its status, arguments, and each step's status, result and error."""
    state = asyncio.run(_load(store, saga_id))
    if as_json:
        print_json(saga_json(state, steps=True))
        return
    console().print(saga_details(state))
    if state.step_statuses:
        console().print(step_table(state))


async def _load(store: StoreChoice, saga_id: str) -> SagaState:
    async with open_sagas(store) as sagas:
        state = None if sagas is None else await sagas.load_state(saga_id)
    if state is None:
        raise SagaNotFoundError(saga_id)
    return state


@saga.command()
@click.argument("saga_id", metavar="ID")
@click.option(
    "--saga",
    "definition_name",
    required=True,
    metavar="MODULE:OBJECT",
    help="The saga's definition, importable from the current folder: a Saga, or a function "
    "(sync or async) that takes the saga state store and returns one.",
)
@click.option(
    "--older-than",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    metavar="SECONDS",
    help="Refuse unless the saga's last save is at least this old (longer than your slowest "
    "step, where a process may still be running it).",
)
@store_options
def resume(store: StoreChoice, saga_id: str, definition_name: str, older_than: float) -> None:
    """Resume saga ID after a crash: continue (or compensate, as the saga declares) from the
    step it was in, then print how it ended.

    Its steps run in this process, so they must be importable here with whatever they need
    (configuration, connections). A step that runs again must tolerate it (see the sagas
    guide).
    """
    before, after = asyncio.run(_resume(store, saga_id, definition_name, older_than))
    if before.is_completed():
        click.echo(f"Saga {saga_id!r} had already ended ({before.status.value}): nothing to resume")
        return
    outcome = f"Saga {saga_id!r} ({after.saga_type}) resumed from step "
    outcome += f"{current_step(before)!r}: {after.status.value}"
    if after.status is SagaStatus.FAILED and after.error:
        outcome += f" ({after.error})"
    click.echo(outcome)


async def _resume(
    store: StoreChoice, saga_id: str, definition_name: str, older_than: float
) -> tuple[SagaState, SagaState]:
    async with open_sagas(store) as sagas:
        before = None if sagas is None else await sagas.load_state(saga_id)
        if sagas is None or before is None:
            raise SagaNotFoundError(saga_id)
        if before.status is SagaStatus.PENDING:
            raise CliError(f"Saga {saga_id!r} was never started (pending): nothing to resume")
        if before.is_completed():
            return before, before
        idle = datetime.now(UTC) - before.updated_at
        if idle < timedelta(seconds=older_than):
            raise CliError(
                f"Saga {saga_id!r} was saved {idle.total_seconds():.0f} s ago, less than "
                f"--older-than {older_than:g}: a process may still be running it"
            )
        found = await definition(definition_name, Saga, sagas)
        resumable = Saga(
            found.saga_type,
            found.steps,
            sagas,
            found.tracing,
            on_interrupted=found.on_interrupted,
        )
        return before, await resumable.resume(saga_id)


__all__ = ["saga"]
