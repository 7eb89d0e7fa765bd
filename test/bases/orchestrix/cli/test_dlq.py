"""`orchestrix dlq list | replay`: the projections' dead-lettered events (SQLite, PostgreSQL)
and RabbitMQ's dead-letter queue, seen and replayed from another process."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aio_pika
import pytest
from click.testing import Result

from orchestrix.core.common.retry import NoRetry
from orchestrix.core.messaging.message import Message
from orchestrix.infrastructure.rabbitmq import DeadLetters, RabbitMQMessageBus
from test.bases.orchestrix.cli.conftest import Target, invoke
from test.bases.orchestrix.cli.events import ParcelShipped, parcel_history
from test.bases.orchestrix.cli.parcel_projection import FAILING, parcels
from test.conftest import delete_rabbitmq_names

MODULE = "test.bases.orchestrix.cli.parcel_projection"


@pytest.fixture
def dead_lettered(target: Target, monkeypatch: pytest.MonkeyPatch) -> Target:
    """P-1 and P-3 projected, P-2's two events dead-lettered by projection `parcels`."""
    for parcel_id in ("P-1", "P-2", "P-3"):
        target.seed(parcel_id, parcel_history(parcel_id))
    monkeypatch.setenv(FAILING, "P-2")
    target.run_projection(parcels, skip_failures=True)
    return target


def test_list_shows_the_projections_dead_letters(dead_lettered: Target) -> None:
    options = dead_lettered.options
    result = invoke("dlq", "list", *options)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "P-2@" in line]
    assert len(rows) == 2
    assert all("ValueError: cannot count parcel P-2" in row for row in rows)

    shown = json.loads(invoke("dlq", "list", "--json", *options).stdout)
    assert [(entry["stream_id"], entry["version"]) for entry in shown] == [("P-2", 1), ("P-2", 2)]
    assert {entry["projection"] for entry in shown} == {"parcels"}
    only = json.loads(invoke("dlq", "list", "--projection", "parcels", "--json", *options).stdout)
    assert only == shown


def test_list_of_an_unknown_projection_fails(dead_lettered: Target) -> None:
    result = invoke("dlq", "list", "--projection", "nope", *dead_lettered.options)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Unknown projection 'nope'")


def test_nothing_dead_lettered(target: Target) -> None:
    target.seed("P-1", parcel_history("P-1"))
    target.run_projection(parcels)
    result = invoke("dlq", "list", *target.options)
    assert (result.exit_code, result.stdout) == (0, "No dead-lettered events\n")
    replayed = invoke("dlq", "replay", f"{MODULE}:parcels", *target.options)
    assert replayed.stdout == "Projection 'parcels' has no dead-lettered events\n"


def test_replay_after_the_fix_applies_them_and_clears_them(
    dead_lettered: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = dead_lettered.options
    still_broken = invoke("dlq", "replay", f"{MODULE}:parcels", *options)
    assert still_broken.exit_code == 1
    assert "Replayed 0 of 2 dead-lettered event(s) of projection 'parcels'" in still_broken.stdout
    assert still_broken.stderr == ("Error: 2 event(s) failed again and stay dead-lettered\n")
    assert dead_lettered.read_model() == {"P-1": 2, "P-3": 2}

    monkeypatch.delenv(FAILING)  # the fix
    result = invoke("dlq", "replay", f"{MODULE}:parcels", *options)
    assert result.exit_code == 0, result.output
    assert result.stdout == "Replayed 2 of 2 dead-lettered event(s) of projection 'parcels'\n"
    assert dead_lettered.read_model() == {"P-1": 2, "P-2": 2, "P-3": 2}
    assert invoke("dlq", "list", *options).stdout == "No dead-lettered events\n"


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ([], "Name the projection (MODULE:OBJECT), or pass --rabbitmq"),
        (["x:y", "--rabbitmq", "--amqp-url", "amqp://h/"], "MODULE:OBJECT is for projections"),
        ([f"{MODULE}:parcels", "--id", "m-1"], "--id is for RabbitMQ dead letters"),
    ],
)
def test_replay_usage_errors(sqlite_target: Target, arguments: list[str], complaint: str) -> None:
    result = invoke("dlq", "replay", *arguments, *sqlite_target.options)
    assert result.exit_code == 2
    assert complaint in result.stderr


def test_projection_is_not_a_rabbitmq_option() -> None:
    result = invoke("dlq", "list", "--projection", "p", "--amqp-url", "amqp://h/")
    assert result.exit_code == 2
    assert "--projection is for the projections' dead letters" in result.stderr


def test_rabbitmq_needs_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORCHESTRIX_AMQP_URL", raising=False)
    result = invoke("dlq", "list", "--rabbitmq")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: RabbitMQ needs the broker's URL: pass --amqp-url or set ORCHESTRIX_AMQP_URL\n"
    )


def test_an_unreachable_broker_is_one_line_without_the_password() -> None:
    result = invoke(
        "dlq", "list", "--amqp-url", "amqp://guest:s3cret@127.0.0.1:1/", "--timeout", "5"
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Cannot connect to RabbitMQ at 127.0.0.1:1/: ")
    assert "s3cret" not in result.output
    assert result.stderr.count("\n") == 1


# --- RabbitMQ ----------------------------------------------------------------------------


@dataclass
class Broker:
    url: str
    namespace: str

    @property
    def options(self) -> list[str]:
        return ["--amqp-url", self.url, "--namespace", self.namespace]


@pytest.fixture
async def broker(rabbitmq_url: str) -> AsyncIterator[Broker]:
    """A namespace of its own; its exchanges and queues are deleted afterwards."""
    chosen = Broker(rabbitmq_url, f"orxcli{uuid.uuid4().hex[:12]}")
    yield chosen
    await asyncio.to_thread(delete_rabbitmq_names, rabbitmq_url, f"{chosen.namespace}.")


async def orchestrix(*arguments: str) -> Result:
    """The command, in a thread: it runs an event loop of its own."""
    return await asyncio.to_thread(invoke, *arguments)


async def test_rabbitmq_dead_letters_are_listed_and_republished(broker: Broker) -> None:
    fixed = asyncio.Event()
    printed: list[Message] = []

    def print_label(message: Message) -> None:
        if not fixed.is_set():
            raise RuntimeError("printer offline")
        printed.append(message)

    async with RabbitMQMessageBus(
        broker.url, namespace=broker.namespace, retry_policy=NoRetry()
    ) as bus:
        bus.subscribe(ParcelShipped, print_label, name="labels")
        await bus.start()
        event = ParcelShipped(parcel_id="P-1")
        await bus.publish(event)
        for _ in range(500):
            if await DeadLetters(bus).peek():
                break
            await asyncio.sleep(0.02)

        listed = await orchestrix("dlq", "list", "--rabbitmq", *broker.options)
        assert listed.exit_code == 0, listed.output
        assert event.id in listed.stdout
        shown = await orchestrix("dlq", "list", "--json", *broker.options)
        (letter,) = json.loads(shown.stdout)
        assert letter["message_id"] == event.id
        assert (letter["reason"], letter["error"]) == (
            "handler_failed",
            "RuntimeError: printer offline",
        )
        assert letter["queue"] == bus.topology.handler_queue("labels")
        assert json.loads(letter["body"])["id"] == event.id

        fixed.set()
        replayed = await orchestrix("dlq", "replay", "--id", event.id, *broker.options)
        assert replayed.stdout == "Re-published 1 message(s) to the queues they failed in\n"
        for _ in range(500):
            if printed:
                break
            await asyncio.sleep(0.02)
        assert printed == [event]
        empty = await orchestrix("dlq", "list", *broker.options)
        assert empty.stdout == (
            f"The dead-letter queue of namespace {broker.namespace!r} is empty\n"
        )


async def test_a_namespace_without_a_bus_is_reported_not_created(broker: Broker) -> None:
    result = await orchestrix("dlq", "list", *broker.options)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: No dead-letter queue '{broker.namespace}.deadletter' on RabbitMQ at "
        f"{broker.url.split('@')[-1]}: check --namespace (no bus of that namespace has "
        "connected there)\n"
    )
    connection = await aio_pika.connect(broker.url)
    try:
        channel = await connection.channel()
        with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
            await channel.declare_queue(f"{broker.namespace}.deadletter", passive=True)
    finally:
        await connection.close()
