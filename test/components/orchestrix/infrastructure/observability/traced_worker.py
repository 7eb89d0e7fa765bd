"""A traced command worker for the cross-process test: deposits over RabbitMQ, spans over OTLP.

    python -m test.components.orchestrix.infrastructure.observability.traced_worker \
        AMQP_URL NAMESPACE OTLP_URL LOG

It consumes `DepositMoney`, logs one line in its handler (with the log context's ids) to LOG
and publishes the `MoneyDeposited` it causes. "ready" is printed once it consumes; SIGTERM
stops it, and its spans are exported before it exits.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from orchestrix.core.common.log_context import install_log_context
from orchestrix.core.common.observability import init_observability
from orchestrix.core.messaging.topics import TopicNaming
from orchestrix.infrastructure.observability import TracingConfig, init_tracing
from orchestrix.infrastructure.rabbitmq import RabbitMQMessageBus
from test.components.orchestrix.infrastructure.rabbitmq.messages import (
    DepositMoney,
    MoneyDeposited,
)

NAMING = TopicNaming(app_prefix="test.components.orchestrix.infrastructure")
LOG_FORMAT = "%(trace_id)s %(span_id)s %(correlation_id)s %(message)s"


async def main(url: str, namespace: str) -> None:
    async with RabbitMQMessageBus(url, namespace=namespace, topic_naming=NAMING) as bus:

        async def deposit(command: DepositMoney) -> None:
            logging.getLogger("accounts").info("depositing %s", command.amount)
            event = MoneyDeposited.caused_by(
                command, account_id=command.account_id, amount=command.amount
            )
            await bus.publish(event)

        bus.subscribe(DepositMoney, deposit)
        await bus.start()
        print("ready", flush=True)
        await bus.run()  # until SIGTERM


if __name__ == "__main__":
    amqp_url, namespace, otlp_url, log_path = sys.argv[1:5]
    logging.basicConfig(filename=log_path, level=logging.INFO, format=LOG_FORMAT)
    install_log_context()
    tracer = init_tracing(TracingConfig(service_name="accounts-worker", otlp_endpoint=otlp_url))
    init_observability(tracing_provider=tracer.as_tracing_provider())
    try:
        asyncio.run(main(amqp_url, namespace))
    finally:
        tracer.shutdown()
