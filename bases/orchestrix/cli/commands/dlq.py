"""`orchestrix dlq list | replay`: dead letters another process can see.

Two kinds: the events projections dead-lettered (kept in the checkpoint store beside their
checkpoints), and the messages RabbitMQ consumers dead-lettered (the namespace's dead-letter
queue, `--rabbitmq`). The in-memory buses' dead-letter queues live in their own process only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from orchestrix.cli.commands.projection import (
    checkpoint_options,
    dead_letter_json,
    dead_letter_table,
)
from orchestrix.cli.definitions import definition
from orchestrix.cli.errors import CliError
from orchestrix.cli.output import console, print_json
from orchestrix.cli.projection_report import all_states, known_state
from orchestrix.cli.store_choice import StoreChoice, store_options
from orchestrix.cli.stores import open_projections
from orchestrix.core.eventsourcing.dead_letter_replay import replay_dead_letters
from orchestrix.core.eventsourcing.projection import ProjectionEngine
from orchestrix.core.eventsourcing.projection_dead_letters import DeadLetteredEvent

if TYPE_CHECKING:
    from orchestrix.infrastructure.rabbitmq import DeadLetter

_IN_MEMORY = (
    "The in-memory buses' dead-letter queues live in their own process and cannot be seen "
    "from here."
)
_DEFAULT_NAMESPACE = "orchestrix"


@click.group(epilog=_IN_MEMORY)
def dlq() -> None:
    """List and replay dead letters: projections' (in the store) and RabbitMQ's (--rabbitmq)."""


def broker_options[R](command: Callable[..., R]) -> Callable[..., R]:
    """Add `--rabbitmq`, `--amqp-url`, `--namespace` and `--timeout`, which the command
    passes to `_broker`."""
    options = [
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1),
            default=10.0,
            show_default=True,
            help="Seconds to wait for the broker.",
        ),
        click.option(
            "--namespace",
            envvar="ORCHESTRIX_AMQP_NAMESPACE",
            show_envvar=True,
            default=_DEFAULT_NAMESPACE,
            show_default=True,
            help="The bus's namespace (RabbitMQMessageBus(namespace=...)).",
        ),
        click.option(
            "--amqp-url",
            envvar="ORCHESTRIX_AMQP_URL",
            show_envvar=True,
            help="The broker, amqp://user:password@host:port/vhost (implies --rabbitmq).",
        ),
        click.option(
            "--rabbitmq",
            is_flag=True,
            help="RabbitMQ's dead-letter queue instead of the projections' dead letters.",
        ),
    ]
    for option in options:
        command = option(command)
    return command


@dataclass(frozen=True, slots=True)
class _Broker:
    """Where the RabbitMQ dead letters are: the broker's URL, the bus's namespace, and how
    long to wait for it."""

    url: str
    namespace: str
    timeout: float


def _broker(options: dict[str, Any]) -> _Broker | None:
    """The broker the options name, if they name one (popping its options)."""
    rabbitmq, url = options.pop("rabbitmq"), options.pop("amqp_url")
    namespace, timeout = options.pop("namespace"), options.pop("timeout")
    given = click.get_current_context().get_parameter_source("amqp_url")
    if not rabbitmq and given is not click.core.ParameterSource.COMMANDLINE:
        return None
    if not url:
        raise CliError(
            "RabbitMQ needs the broker's URL: pass --amqp-url or set ORCHESTRIX_AMQP_URL"
        )
    return _Broker(url, namespace, timeout)


@dlq.command("list", epilog=_IN_MEMORY)
@click.option("--projection", "projection_name", metavar="NAME", help="Only this projection's.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="RabbitMQ: at most this many, oldest first.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@broker_options
@checkpoint_options
@store_options
def list_dead_letters(
    store: StoreChoice, projection_name: str | None, limit: int, as_json: bool, **options: Any
) -> None:
    """List dead letters: the events projections skipped (default), or the messages in
    RabbitMQ's dead-letter queue (--rabbitmq), which stay there untouched."""
    broker = _broker(options)
    if broker is not None:
        if projection_name is not None:
            raise click.UsageError("--projection is for the projections' dead letters")
        _list_broker(broker, limit, as_json)
        return
    letters = asyncio.run(_projection_letters(store, options["checkpoints"], projection_name))
    if as_json:
        print_json([dead_letter_json(letter) for letter in letters])
    elif letters:
        console().print(dead_letter_table(letters))
    else:
        click.echo("No dead-lettered events")


async def _projection_letters(
    store: StoreChoice, checkpoints: str | None, name: str | None
) -> list[DeadLetteredEvent]:
    async with open_projections(store, checkpoints) as projections:
        if name is not None:
            states = [await known_state(projections, name)]
        else:
            states = await all_states(projections)
        letters: list[DeadLetteredEvent] = []
        for state in states:
            assert projections.checkpoints is not None, "a state was read from it"
            letters += await projections.checkpoints.dead_letters(state.projection_id)
        return letters


def _list_broker(broker: _Broker, limit: int, as_json: bool) -> None:
    letters = asyncio.run(_peek(broker, limit))
    if as_json:
        print_json([_letter_json(letter) for letter in letters])
        return
    if not letters:
        click.echo(f"The dead-letter queue of namespace {broker.namespace!r} is empty")
        return
    table = Table("Message id", "Type", "Reason", "Queue", "Failures", "Dead-lettered", "Error")
    for letter in letters:
        table.add_row(
            letter.message_id or "-",
            letter.type or "-",
            letter.reason,
            letter.queue or "-",
            "-" if letter.failure_count is None else str(letter.failure_count),
            letter.dead_lettered_at or "-",
            letter.error or "-",
        )
    console().print(table)


async def _peek(broker: _Broker, limit: int) -> list[DeadLetter]:
    from orchestrix.cli.broker import open_dead_letters

    async with open_dead_letters(broker.url, broker.namespace, broker.timeout) as letters:
        return await letters.peek(limit)


def _letter_json(letter: DeadLetter) -> dict[str, Any]:
    return {
        "message_id": letter.message_id,
        "type": letter.type,
        "reason": letter.reason,
        "error": letter.error,
        "queue": letter.queue,
        "failure_count": letter.failure_count,
        "topic": letter.topic,
        "dead_lettered_at": letter.dead_lettered_at,
        "body": letter.body.decode("utf-8", errors="replace"),
    }


@dlq.command("replay", epilog=_IN_MEMORY)
@click.argument("definition_name", metavar="[MODULE:OBJECT]", required=False)
@click.option(
    "--id",
    "message_ids",
    multiple=True,
    metavar="MESSAGE_ID",
    help="RabbitMQ: only the message with this id (repeatable); default: all.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="RabbitMQ: look at most at this many dead letters.",
)
@broker_options
@checkpoint_options
@store_options
def replay(
    store: StoreChoice,
    definition_name: str | None,
    message_ids: tuple[str, ...],
    limit: int,
    **options: Any,
) -> None:
    """Replay dead letters once the cause is fixed.

    Projections: MODULE:OBJECT names the projection as for `projection rebuild` (a
    ProjectionEngine, or a function taking the checkpoint store and returning one); each of
    its dead-lettered events is read again from the log and handled, and stays dead-lettered
    if it fails again. The checkpoint does not move.

    RabbitMQ (--rabbitmq): each dead letter is sent back to the queue it failed in, with a
    fresh retry count, and leaves the dead-letter queue once the broker confirmed the copy.
    """
    broker = _broker(options)
    if broker is not None:
        if definition_name is not None:
            raise click.UsageError("MODULE:OBJECT is for projections; --rabbitmq takes none")
        sent = asyncio.run(_republish(broker, message_ids, limit))
        click.echo(f"Re-published {sent} message(s) to the queues they failed in")
        return
    if definition_name is None:
        raise click.UsageError("Name the projection (MODULE:OBJECT), or pass --rabbitmq")
    if message_ids:
        raise click.UsageError("--id is for RabbitMQ dead letters")
    name, replayed, failing = asyncio.run(
        _replay_projection(store, options["checkpoints"], definition_name)
    )
    if not replayed:
        click.echo(f"Projection {name!r} has no dead-lettered events")
        return
    fixed = replayed - len(failing)
    click.echo(f"Replayed {fixed} of {replayed} dead-lettered event(s) of projection {name!r}")
    if failing:
        console().print(dead_letter_table(failing))
        raise CliError(f"{len(failing)} event(s) failed again and stay dead-lettered")


async def _republish(broker: _Broker, message_ids: tuple[str, ...], limit: int) -> int:
    from orchestrix.cli.broker import open_dead_letters

    async with open_dead_letters(broker.url, broker.namespace, broker.timeout) as letters:
        return await letters.republish(message_ids or None, limit)


async def _replay_projection(
    store: StoreChoice, checkpoints: str | None, definition_name: str
) -> tuple[str, int, list[DeadLetteredEvent]]:
    async with open_projections(store, checkpoints) as projections:
        engine = await definition(definition_name, ProjectionEngine, projections.checkpoints)
        name = engine.projection_id
        await known_state(projections, name)
        assert projections.checkpoints is not None, "the projection has a state there"
        count = len(await projections.checkpoints.dead_letters(name))
        failing = await replay_dead_letters(engine, projections.log, projections.checkpoints)
        return name, count, failing


__all__ = ["dlq"]
