"""The topology on the real broker, as `rabbitmqctl` lists it: durable topic exchanges, durable
queues that name the dead-letter exchange, bindings by topic and by pattern, the prefetch."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from orchestrix.core.messaging.message import Message
from orchestrix.core.messaging.topics import TopicNaming
from test.components.orchestrix.infrastructure.rabbitmq.conftest import BusOpener
from test.components.orchestrix.infrastructure.rabbitmq.messages import (
    DepositMoney,
    MoneyDeposited,
)

pytestmark = pytest.mark.rabbitmq

NAMING = TopicNaming(app_prefix="test.components.orchestrix.infrastructure")


def listed(kind: str, *columns: str) -> list[dict[str, Any]]:
    """`rabbitmqctl list_<kind> <columns>` (read only), as one dictionary per row."""
    finished = subprocess.run(
        ["rabbitmqctl", "-q", "--formatter", "json", f"list_{kind}", *columns],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows: list[dict[str, Any]] = json.loads(finished.stdout)
    return rows


def arguments(row: dict[str, Any]) -> dict[str, str]:
    return {name: value for name, _, value in row["arguments"]}


def nothing(message: Message) -> None:
    pass


def audit(message: Message) -> None:
    pass


async def test_exchanges_queues_bindings_and_prefetch_are_declared_as_documented(
    open_bus: BusOpener, namespace: str
) -> None:
    bus = await open_bus(topic_naming=NAMING, prefetch=7)
    bus.subscribe(DepositMoney, nothing)
    bus.subscribe(MoneyDeposited, nothing, name="ledger")
    bus.subscribe("rabbitmq.messages.#", audit, name="audit")
    await bus.start()
    ours = f"{namespace}."
    command_queue = f"{ours}command.rabbitmq.messages.deposit_money"
    work_queues = [command_queue, f"{ours}handler.ledger", f"{ours}handler.audit"]

    exchanges = {
        row["name"]: (row["type"], row["durable"])
        for row in listed("exchanges", "name", "type", "durable")
        if row["name"].startswith(ours)
    }
    assert exchanges == {
        f"{ours}commands": ("topic", True),
        f"{ours}events": ("topic", True),
        f"{ours}deadletter": ("topic", True),
    }

    queues = {
        row["name"]: (row["durable"], arguments(row))
        for row in listed("queues", "name", "durable", "arguments")
        if row["name"].startswith(ours)
    }
    expected = {f"{ours}deadletter": (True, {})}
    for queue in work_queues:
        expected[queue] = (True, {"x-dead-letter-exchange": f"{ours}deadletter"})
        expected[f"{queue}.retry"] = (
            True,
            {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue},
        )
    assert queues == expected

    bindings = {
        (row["source_name"], row["destination_name"], row["routing_key"])
        for row in listed("bindings", "source_name", "destination_name", "routing_key")
        if row["source_name"].startswith(ours)
    }
    assert bindings == {
        (f"{ours}commands", command_queue, "rabbitmq.messages.deposit_money"),
        (f"{ours}events", f"{ours}handler.ledger", "rabbitmq.messages.money_deposited"),
        (f"{ours}events", f"{ours}handler.audit", "rabbitmq.messages.#"),
        (f"{ours}deadletter", f"{ours}deadletter", "#"),
    }

    consumers = {
        row["queue_name"]: (row["ack_required"], row["prefetch_count"])
        for row in listed("consumers", "queue_name", "ack_required", "prefetch_count")
        if row["queue_name"].startswith(ours)
    }
    assert consumers == dict.fromkeys(work_queues, (True, 7))
