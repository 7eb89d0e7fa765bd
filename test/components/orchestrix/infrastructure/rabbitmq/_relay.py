"""An outbox relay process for the crash test: PostgreSQL outbox → RabbitMQ, until killed.

python -m test.components.orchestrix.infrastructure.rabbitmq._relay DSN SCHEMA URL NAMESPACE
"""

from __future__ import annotations

import asyncio
import signal
import sys

from orchestrix.core.messaging.outbox_relay import OutboxRelay
from orchestrix.core.messaging.topics import TopicNaming
from orchestrix.infrastructure.postgres import ConnectionPool, PoolConfig
from orchestrix.infrastructure.postgres.outbox import PostgreSQLOutbox
from orchestrix.infrastructure.rabbitmq import RabbitMQMessageBus
from test.components.orchestrix.infrastructure.rabbitmq import messages

assert messages  # the relay decodes these events, so their classes must be defined


async def main(dsn: str, schema: str, url: str, namespace: str) -> None:
    naming = TopicNaming(app_prefix="test.components.orchestrix.infrastructure")
    async with (
        ConnectionPool(dsn, PoolConfig(min_size=1, max_size=2)) as pool,
        RabbitMQMessageBus(url, namespace=namespace, topic_naming=naming) as bus,
    ):
        outbox = PostgreSQLOutbox(pool, schema, lease=2.0)  # a dead relay's claim expires soon
        relay = OutboxRelay(outbox, bus, batch_size=100, poll_interval=0.05)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print("ready", flush=True)
        await relay.run(stop)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
