"""The RabbitMQ bus against the real broker: routing, topics, headers, retries, dead letters."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import aio_pika
import pytest

from orchestrix.core.common.propagation import continue_trace
from orchestrix.core.common.retry import FixedDelay, NoRetry
from orchestrix.core.messaging.message import Message
from orchestrix.core.messaging.topics import TopicNaming
from orchestrix.infrastructure.rabbitmq import (
    MALFORMED_MESSAGE,
    UNKNOWN_MESSAGE_TYPE,
    DeadLetters,
    RabbitMQMessageBus,
)
from orchestrix.infrastructure.rabbitmq.envelope import encode
from test.components.orchestrix.infrastructure.rabbitmq.conftest import BusOpener
from test.components.orchestrix.infrastructure.rabbitmq.messages import (
    AccountClosed,
    DepositMoney,
    MoneyDeposited,
)
from test.components.orchestrix.infrastructure.rabbitmq.waiting import wait_until

pytestmark = pytest.mark.rabbitmq

NAMING = TopicNaming(app_prefix="test.components.orchestrix.infrastructure")
TOPIC = "rabbitmq.messages.money_deposited"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_an_event_arrives_as_the_exact_class_with_its_metadata(open_bus: BusOpener) -> None:
    bus = await open_bus(topic_naming=NAMING)
    received: list[Message] = []
    bus.subscribe(MoneyDeposited, received.append, name="ledger")
    await bus.start()
    event = MoneyDeposited(
        account_id="ACC-1",
        amount=Decimal("12.50"),
        correlation_id="corr-1",
        causation_id="cause-1",
        actor_id="user-7",
        trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
    )
    await bus.publish(event)
    await wait_until(lambda: len(received) == 1)
    assert received == [event]
    assert type(received[0]) is MoneyDeposited


async def test_headers_carry_correlation_causation_actor_and_the_trace_context(
    open_bus: BusOpener,
) -> None:
    bus = await open_bus(topic_naming=NAMING)
    channel = await bus.publisher.connection.channel()
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(bus.topology.events, TOPIC)
    event = MoneyDeposited(
        account_id="A",
        amount=Decimal(1),
        correlation_id="corr",
        causation_id="cause",
        actor_id="actor",
    )
    with continue_trace({"traceparent": TRACEPARENT, "tracestate": "vendor=1"}):
        await bus.publish(event)  # no tracer here: the trace passes through
    await bus.publish(MoneyDeposited(account_id="A", amount=Decimal(2)))  # outside any trace
    incoming = await _get(queue)
    headers = incoming.headers
    assert headers["correlation_id"] == "corr"
    assert headers["causation_id"] == "cause"
    assert headers["actor_id"] == "actor"
    assert (headers["traceparent"], headers["tracestate"]) == (TRACEPARENT, "vendor=1")
    assert incoming.message_id == event.id
    assert incoming.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert incoming.content_type is not None and "cloudevents+json" in incoming.content_type
    assert "traceparent" not in (await _get(queue)).headers
    await channel.close()


async def test_a_handler_publishes_in_the_trace_its_message_carried(open_bus: BusOpener) -> None:
    """Unobserved, a consumer passes the received trace context on to what its handlers
    publish, and the messages they make carry its trace id."""
    bus = await open_bus(topic_naming=NAMING)
    made: list[Message] = []

    async def deposit(command: DepositMoney) -> None:
        event = MoneyDeposited(account_id=command.account_id, amount=command.amount)
        made.append(event)
        await bus.publish(event)

    bus.subscribe(DepositMoney, deposit)
    channel = await bus.publisher.connection.channel()
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(bus.topology.events, TOPIC)
    await bus.start()
    with continue_trace({"traceparent": TRACEPARENT}):
        await bus.publish(DepositMoney(account_id="A", amount=Decimal(3)))
    incoming = await _get(queue)
    assert incoming.headers["traceparent"] == TRACEPARENT
    assert made[0].trace_id == TRACEPARENT.split("-")[1]
    await channel.close()


async def _get(queue: aio_pika.abc.AbstractQueue) -> aio_pika.abc.AbstractIncomingMessage:
    for _ in range(500):
        incoming = await queue.get(no_ack=True, fail=False)
        if incoming is not None:
            return incoming
        await asyncio.sleep(0.01)
    raise AssertionError("nothing arrived")


async def test_each_event_handler_gets_every_event_and_patterns_select_topics(
    open_bus: BusOpener,
) -> None:
    bus = await open_bus(topic_naming=NAMING)
    ledger: list[Message] = []
    audit: list[Message] = []
    deposits: list[Message] = []
    everything: list[Message] = []
    bus.subscribe(MoneyDeposited, ledger.append, name="ledger")
    bus.subscribe(AccountClosed, ledger.append, name="ledger")
    bus.subscribe("rabbitmq.messages.*", audit.append, name="audit")
    bus.subscribe("#.money_deposited", deposits.append, name="deposits")
    bus.subscribe("#", everything.append, name="everything")
    await bus.start()
    events = [
        MoneyDeposited(account_id="A", amount=Decimal(1)),
        AccountClosed(account_id="A"),
        MoneyDeposited(account_id="B", amount=Decimal(2)),
    ]
    for event in events:
        await bus.publish(event)
    await wait_until(lambda: len(ledger) == len(audit) == len(everything) == 3)
    await wait_until(lambda: len(deposits) == 2)
    for seen in (ledger, audit, everything):
        assert sorted(e.id for e in seen) == sorted(e.id for e in events)
    assert {e.id for e in deposits} == {events[0].id, events[2].id}


async def test_a_command_waits_for_its_worker_and_is_handled_once(open_bus: BusOpener) -> None:
    sender = await open_bus(topic_naming=NAMING)
    command = DepositMoney(account_id="A", amount=Decimal("3"))
    await sender.publish(command)  # no worker yet: the queue keeps it
    handled: list[tuple[str, Message]] = []
    workers = []
    for index in range(2):
        worker = await open_bus(topic_naming=NAMING)
        worker.subscribe(DepositMoney, lambda m, i=index: handled.append((f"w{i}", m)))
        await worker.start()
        workers.append(worker)
    more = [DepositMoney(account_id="A", amount=Decimal(n)) for n in range(20)]
    for each in more:
        await sender.publish(each)
    await wait_until(lambda: len(handled) == 21)
    await asyncio.sleep(0.2)
    assert sorted(m.id for _, m in handled) == sorted([command.id, *(m.id for m in more)])


async def test_an_event_without_subscribers_is_dropped_quietly(open_bus: BusOpener) -> None:
    bus = await open_bus(topic_naming=NAMING)
    await bus.publish(AccountClosed(account_id="nobody listens"))


async def test_a_handler_failing_twice_succeeds_on_the_third_attempt(open_bus: BusOpener) -> None:
    bus = await open_bus(topic_naming=NAMING, retry_policy=FixedDelay(max_retries=3, delay=0.05))
    attempts: list[str] = []

    def flaky(message: Message) -> None:
        attempts.append(message.id)
        if len(attempts) <= 2:
            raise ConnectionError(f"attempt {len(attempts)} fails")

    bus.subscribe(MoneyDeposited, flaky, name="flaky")
    await bus.start()
    event = MoneyDeposited(account_id="A", amount=Decimal(1))
    await bus.publish(event)
    await wait_until(lambda: len(attempts) == 3)
    await asyncio.sleep(0.3)
    assert attempts == [event.id] * 3
    assert await DeadLetters(bus).peek() == []


async def test_a_handler_that_always_fails_is_dead_lettered_and_can_be_republished(
    open_bus: BusOpener,
) -> None:
    bus = await open_bus(topic_naming=NAMING, retry_policy=FixedDelay(max_retries=2, delay=0.02))
    fixed = asyncio.Event()
    handled: list[Message] = []
    attempts: list[str] = []

    def broken_until_fixed(message: Message) -> None:
        attempts.append(message.id)
        if not fixed.is_set():
            raise ValueError("no such account")
        handled.append(message)

    other: list[Message] = []
    bus.subscribe(MoneyDeposited, broken_until_fixed, name="broken")
    bus.subscribe(MoneyDeposited, other.append, name="other")
    await bus.start()
    event = MoneyDeposited(account_id="A", amount=Decimal(1))
    await bus.publish(event)
    dead_letters = DeadLetters(bus)
    parked: list = []

    async def parked_now() -> None:
        parked[:] = await dead_letters.peek()

    for _ in range(500):
        await parked_now()
        if parked:
            break
        await asyncio.sleep(0.02)
    assert len(parked) == 1
    (letter,) = parked
    assert letter.message_id == event.id
    assert letter.reason == "retries_exhausted"
    assert letter.error == "ValueError: no such account"
    assert letter.failure_count == 3 and attempts == [event.id] * 3
    assert letter.queue == bus.topology.handler_queue("broken")
    assert letter.topic == TOPIC
    assert await dead_letters.peek() == parked  # peeking changes nothing
    fixed.set()
    assert await dead_letters.republish([event.id]) == 1
    await wait_until(lambda: len(handled) == 1)
    assert handled == [event]
    assert len(other) == 1  # the other handler is not sent the event again
    assert await dead_letters.peek() == []


async def test_malformed_bodies_are_dead_lettered_with_a_reason(open_bus: BusOpener) -> None:
    bus = await open_bus(topic_naming=NAMING, retry_policy=NoRetry())
    handled: list[Message] = []
    bus.subscribe(MoneyDeposited, handled.append, name="ledger")
    await bus.start()
    good = MoneyDeposited(account_id="A", amount=Decimal(1))
    body = bus_body(good)
    bodies = {
        "not json": b"\xff not json {",
        "not an object": b"[1, 2]",
        "unknown type": body.replace(b"rabbitmq_test.MoneyDeposited", b"nobody.Knows"),
        "wrong fields": body.replace(b'"amount":"1"', b'"amount":"one"'),
        "missing fields": body.replace(b'"account_id":"A",', b""),
    }
    for label, raw in bodies.items():
        message = aio_pika.Message(raw, message_id=label)
        await bus.publisher.send(bus.topology.events, TOPIC, message)
    await bus.publish(good)
    await wait_until(lambda: len(handled) == 1)
    letters: dict[str | None, str] = {}

    async def collect() -> None:
        found = await DeadLetters(bus).peek()
        letters.update({letter.message_id: letter.reason for letter in found})

    for _ in range(500):
        await collect()
        if len(letters) == len(bodies):
            break
        await asyncio.sleep(0.02)
    assert letters == {
        "not json": MALFORMED_MESSAGE,
        "not an object": MALFORMED_MESSAGE,
        "unknown type": UNKNOWN_MESSAGE_TYPE,
        "wrong fields": MALFORMED_MESSAGE,
        "missing fields": MALFORMED_MESSAGE,
    }
    assert handled == [good]


def bus_body(message: Message) -> bytes:
    return encode(message).body


async def test_a_message_the_broker_dead_letters_keeps_the_brokers_reason_and_queue(
    open_bus: BusOpener,
) -> None:
    declaring = await open_bus(topic_naming=NAMING)
    declaring.subscribe(MoneyDeposited, lambda message: None, name="ledger")
    await declaring.start()
    await declaring.stop()  # the queue stays, with nobody consuming it
    event = MoneyDeposited(account_id="A", amount=Decimal(3))
    expiring = aio_pika.Message(bus_body(event), message_id=event.id, expiration=0.05)
    await declaring.publisher.send(declaring.topology.events, TOPIC, expiring)
    dead_letters = DeadLetters(declaring)
    letters: list = []
    for _ in range(500):
        letters = await dead_letters.peek()
        if letters:
            break
        await asyncio.sleep(0.02)
    assert [(letter.message_id, letter.reason, letter.queue) for letter in letters] == [
        (event.id, "expired", declaring.topology.handler_queue("ledger"))
    ]

    handled: list[Message] = []
    worker = await open_bus(topic_naming=NAMING)
    worker.subscribe(MoneyDeposited, handled.append, name="ledger")
    await worker.start()
    assert await dead_letters.republish() == 1
    await wait_until(lambda: len(handled) == 1)
    assert handled == [event]
    assert await dead_letters.peek() == []


async def test_discard_removes_dead_letters(open_bus: BusOpener) -> None:
    bus: RabbitMQMessageBus = await open_bus(topic_naming=NAMING, retry_policy=NoRetry())
    await bus.publisher.send(
        bus.topology.deadletter, "x", aio_pika.Message(b"junk", message_id="j")
    )
    dead_letters = DeadLetters(bus)
    assert [letter.message_id for letter in await dead_letters.peek()] == ["j"]
    assert await dead_letters.discard(["other"]) == 0
    assert await dead_letters.discard() == 1
    assert await dead_letters.peek() == []


async def test_stop_lets_the_handler_in_flight_finish_and_ack(open_bus: BusOpener) -> None:
    bus = await open_bus(topic_naming=NAMING)
    started, finished = asyncio.Event(), []

    async def slow(message: Message) -> None:
        started.set()
        await asyncio.sleep(0.3)
        finished.append(message.id)

    bus.subscribe(MoneyDeposited, slow, name="slow")
    await bus.start()
    event = MoneyDeposited(account_id="A", amount=Decimal(1))
    await bus.publish(event)
    await asyncio.wait_for(started.wait(), 30)
    await bus.stop()
    assert finished == [event.id]
    channel = await bus.publisher.connection.channel()
    queue = await channel.declare_queue(bus.topology.handler_queue("slow"), passive=True)
    assert queue.declaration_result.message_count == 0  # acked, not redelivered later
    await channel.close()


async def test_x_max_retries_on_a_message_overrides_the_policy(open_bus: BusOpener) -> None:
    bus = await open_bus(topic_naming=NAMING, retry_policy=FixedDelay(max_retries=5, delay=0.02))
    attempts: list[str] = []

    def failing(message: Message) -> None:
        attempts.append(message.id)
        raise RuntimeError("always")

    bus.subscribe(MoneyDeposited, failing, name="failing")
    await bus.start()
    event = MoneyDeposited(account_id="A", amount=Decimal(1))
    await bus.publish(event, max_retries=1)
    letters: list = []
    for _ in range(500):
        letters = await DeadLetters(bus).peek()
        if letters:
            break
        await asyncio.sleep(0.02)
    assert [(letter.message_id, letter.reason, letter.failure_count) for letter in letters] == [
        (event.id, "retries_exhausted", 2)
    ]
    assert attempts == [event.id, event.id]
