"""A consumer process for the multi-process tests: handles commands and events, logs ids.

    python -m test.components.orchestrix.infrastructure.rabbitmq._worker URL NAMESPACE LOG

Each handled message appends `<handler> <message id>` to LOG; "ready" is printed once the
bus consumes. SIGTERM stops it gracefully (handlers in flight finish).
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from orchestrix.core.messaging.message import Message
from orchestrix.core.messaging.topics import TopicNaming
from orchestrix.infrastructure.rabbitmq import RabbitMQMessageBus
from test.components.orchestrix.infrastructure.rabbitmq.messages import (
    DepositMoney,
    MoneyDeposited,
)


async def main(url: str, namespace: str, log: TextIO) -> None:
    def recorder(label: str) -> object:
        def record(message: Message) -> None:
            log.write(f"{label} {message.id}\n")

        return record

    naming = TopicNaming(app_prefix="test.components.orchestrix.infrastructure")
    async with RabbitMQMessageBus(url, namespace=namespace, topic_naming=naming) as bus:
        bus.subscribe(DepositMoney, recorder("command"))  # type: ignore[arg-type]
        bus.subscribe(MoneyDeposited, recorder("ledger"), name="ledger")  # type: ignore[arg-type]
        bus.subscribe(MoneyDeposited, recorder("audit"), name="audit")  # type: ignore[arg-type]
        await bus.start()
        print("ready", flush=True)
        await bus.run()  # until SIGTERM


if __name__ == "__main__":
    url, namespace, log_path = sys.argv[1:4]
    with open(log_path, "a", buffering=1) as log:
        asyncio.run(main(url, namespace, log))
