"""RabbitMQ bus and outbox relay against raw aio-pika on the same broker, in the same run.

    uv run python test/benchmarks/bench_rabbitmq.py            # median of 5 runs
    uv run python test/benchmarks/bench_rabbitmq.py --quick    # smoke mode, tiny sizes

1. publish with confirms + consume + ack, one consumer: `RabbitMQMessageBus.publish` (encode
   to CloudEvents, confirm) and its consumer (decode to the exact class, call a handler, ack)
   beside raw aio-pika publishing pre-encoded bodies of the same size with confirms to a
   durable queue and acking them, with the same number of publishes in flight.
2. outbox relay: events already saved in a PostgreSQL outbox, relayed to the broker with
   confirms and marked sent, beside raw aio-pika publishing the same bodies with confirms in
   batches of the relay's batch size.

Each workload prints messages per second for both and the ratio ours / floor beside the
TARGETS.md target. Everything runs in a namespace and a schema of its own, deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import aio_pika

if __package__ in (None, ""):  # run as a script: make `test.` and the bricks importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from orchestrix.core.messaging.message import Event, Message
from orchestrix.core.messaging.outbox_relay import OutboxRelay
from orchestrix.infrastructure.postgres.outbox import PostgreSQLOutbox
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore
from orchestrix.infrastructure.rabbitmq import RabbitMQMessageBus
from orchestrix.infrastructure.rabbitmq.envelope import encode

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
IN_FLIGHT = 100


@dataclass(frozen=True, kw_only=True)
class BenchDeposited(Event, type_name="bench.rabbitmq.BenchDeposited"):
    account_id: str
    amount: Decimal
    note: str


def make_event(i: int) -> BenchDeposited:
    return BenchDeposited(
        account_id=f"ACC-{i:06d}", amount=Decimal("12.50"), note="monthly salary", actor_id="u1"
    )


@dataclass(frozen=True)
class Sizes:
    messages: int
    streams: int
    per_stream: int
    batch: int
    runs: int


FULL = Sizes(messages=5000, streams=200, per_stream=10, batch=100, runs=5)
QUICK = Sizes(messages=200, streams=20, per_stream=5, batch=50, runs=1)


async def windowed(count: int, publish: object) -> None:
    """Call `publish(i)` for i < count with at most IN_FLIGHT awaiting their confirm."""
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(i: int) -> None:
        try:
            await publish(i)  # type: ignore[operator]
        finally:
            slots.release()

    async with asyncio.TaskGroup() as group:
        for i in range(count):
            await slots.acquire()
            group.create_task(one(i))


class RoundTrip:
    """Our side of workload 1: one handler queue, consumed between `start` and `stop`."""

    def __init__(self, bus: RabbitMQMessageBus) -> None:
        self.bus = bus
        self.expected = 0
        self.seen = 0
        self.done = asyncio.Event()
        bus.subscribe(BenchDeposited, self.handle, name="bench")

    def handle(self, message: Message) -> None:
        self.seen += 1
        if self.seen == self.expected:
            self.done.set()

    async def run(self, events: list[BenchDeposited]) -> float:
        self.expected, self.seen = len(events), 0
        self.done.clear()
        await self.bus.start()
        started = time.perf_counter()
        await windowed(len(events), lambda i: self.bus.publish(events[i]))
        await self.done.wait()
        elapsed = time.perf_counter() - started
        await self.bus.stop()
        return len(events) / elapsed


async def floor_round_trip(
    connection: aio_pika.abc.AbstractConnection, bodies: list[bytes]
) -> float:
    publishing = await connection.channel(publisher_confirms=True)
    consuming = await connection.channel()
    await consuming.set_qos(prefetch_count=32)
    name = f"bench-floor-{uuid.uuid4().hex[:8]}"
    queue = await consuming.declare_queue(name, durable=True)
    done = asyncio.Event()
    seen = 0

    async def on_message(incoming: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal seen
        await incoming.ack()
        seen += 1
        if seen == len(bodies):
            done.set()

    tag = await queue.consume(on_message)
    exchange = publishing.default_exchange
    started = time.perf_counter()
    await windowed(
        len(bodies),
        lambda i: exchange.publish(
            aio_pika.Message(bodies[i], delivery_mode=aio_pika.DeliveryMode.PERSISTENT), name
        ),
    )
    await done.wait()
    elapsed = time.perf_counter() - started
    await queue.cancel(tag)
    await queue.delete(if_unused=False, if_empty=False)
    await consuming.close()
    await publishing.close()
    return len(bodies) / elapsed


async def ours_relay(store: PostgreSQLEventStore, bus: RabbitMQMessageBus, sizes: Sizes) -> float:
    outbox = PostgreSQLOutbox(store.pool, store.schema)
    await outbox.initialize()
    for _ in range(sizes.per_stream):  # interleaved: a batch holds many streams
        await asyncio.gather(*(store.save(f"S{s}", [make_event(s)]) for s in range(sizes.streams)))
    relay = OutboxRelay(outbox, bus, batch_size=sizes.batch)
    total = sizes.streams * sizes.per_stream
    started = time.perf_counter()
    relayed = 0
    while relayed < total:
        relayed += await relay.relay_once()
    elapsed = time.perf_counter() - started
    await outbox.disable()
    return total / elapsed


async def floor_relay(
    connection: aio_pika.abc.AbstractConnection, exchange_name: str, bodies: list[bytes], batch: int
) -> float:
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.get_exchange(exchange_name)
    started = time.perf_counter()
    for start in range(0, len(bodies), batch):
        await asyncio.gather(
            *(
                exchange.publish(
                    aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), "x"
                )
                for body in bodies[start : start + batch]
            )
        )
    elapsed = time.perf_counter() - started
    await channel.close()
    return len(bodies) / elapsed


@dataclass
class Row:
    name: str
    target: float
    ours: list[float]
    floor: list[float]

    def line(self) -> str:
        ours, floor = statistics.median(self.ours), statistics.median(self.floor)
        ratio = statistics.median(o / f for o, f in zip(self.ours, self.floor, strict=True))
        verdict = "ok" if ratio >= self.target else "BELOW"
        return (
            f"{self.name:<52} {ours:>9,.0f} {floor:>9,.0f} {ratio:>7.3f} "
            f"{'>= ' + str(self.target):>8}  {verdict}"
        )


async def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run (smoke test)")
    parser.add_argument("--runs", type=int, help="runs per workload (median is reported)")
    parser.add_argument(
        "--url", default=os.environ.get("ORCHESTRIX_TEST_RABBITMQ_URL", DEFAULT_URL)
    )
    parser.add_argument(
        "--dsn", default=os.environ.get("ORCHESTRIX_TEST_POSTGRES_DSN", DEFAULT_DSN)
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    runs = args.runs or sizes.runs
    namespace = f"bench{uuid.uuid4().hex[:10]}"
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    bus = RabbitMQMessageBus(args.url, namespace=namespace)
    relay_bus = RabbitMQMessageBus(args.url, namespace=f"{namespace}.relay")
    store = PostgreSQLEventStore(args.dsn, pool_min_size=4, pool_max_size=8, schema=schema)
    raw = await aio_pika.connect(args.url)
    rows = [
        Row("publish with confirms + consume + ack, 1 consumer", 0.7, [], []),
        Row("outbox relay: saved events -> published, confirmed", 0.5, [], []),
    ]
    try:
        await bus.connect()
        await relay_bus.connect()
        await store.initialize()
        sink = await (await raw.channel()).declare_queue(f"{namespace}.sink", durable=True)
        await sink.bind(relay_bus.topology.events, "#")  # both sides' messages are stored
        events = [make_event(i) for i in range(sizes.messages)]
        bodies = [encode(event).body for event in events]
        relay_bodies = bodies[: sizes.streams * sizes.per_stream]
        round_trip = RoundTrip(bus)
        for run in range(runs):
            pair = [round_trip.run(events), floor_round_trip(raw, bodies)]
            for side in (0, 1) if run % 2 == 0 else (1, 0):
                (rows[0].ours if side == 0 else rows[0].floor).append(await pair[side])
            relay_pair = [
                ours_relay(store, relay_bus, sizes),
                floor_relay(raw, relay_bus.topology.events, relay_bodies, sizes.batch),
            ]
            for side in (0, 1) if run % 2 == 0 else (1, 0):
                (rows[1].ours if side == 0 else rows[1].floor).append(await relay_pair[side])
            async with store.pool.acquire() as connection:
                await connection.execute(f'TRUNCATE "{schema}".events, "{schema}".outbox')
            await sink.purge()
        print(f"RabbitMQ vs raw aio-pika (messages/s, median of {runs} run(s))")
        print(f"{'workload':<52} {'ours':>9} {'floor':>9} {'ratio':>7} {'target':>8}")
        for row in rows:
            print(row.line())
    finally:
        await bus.close()
        await relay_bus.close()
        channel = await raw.channel()
        await channel.queue_delete(f"{namespace}.sink")
        for each in (bus, relay_bus):
            topology = each.topology
            for route in each.subscriptions.routes.values():
                await channel.queue_delete(route.queue)
                await channel.queue_delete(topology.retry_queue(route.queue))
            await channel.queue_delete(topology.deadletter)
            for exchange in (topology.commands, topology.events, topology.deadletter):
                await channel.exchange_delete(exchange)
        await raw.close()
        async with store.pool.acquire() as connection:
            await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await store.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
