"""Tracing demo, top to bottom: two orders, each a trace of spans from the command to the
event's handlers, and log records that name their trace and correlation.

Run it with `python -m orchestrix.tracing_demo`. The spans are printed by OpenTelemetry's
`ConsoleSpanExporter`; with `OTEL_EXPORTER_OTLP_ENDPOINT` set (say `http://localhost:4318`
for a local Jaeger) they are sent there over OTLP instead. Needs the `observability` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import uuid
from dataclasses import dataclass

from opentelemetry.sdk.trace import ReadableSpan

from orchestrix.core.common.exceptions import HandlerError
from orchestrix.core.common.log_context import install_log_context, remove_log_context
from orchestrix.infrastructure.memory import InMemoryAsyncEventStore, InMemoryAsyncMessageBus
from orchestrix.tracing_demo.handlers import Shop, log
from orchestrix.tracing_demo.models import PlaceOrder
from orchestrix.tracing_demo.tracing import draw, otlp_endpoint, tracing

STOCK = {"keyboard": 10, "monitor": 1}
LOG_FORMAT = "  log: %(message)-28s [trace %(trace_id).8s, correlation %(correlation_id)s]"


@dataclass(frozen=True)
class Outcome:
    orders: list[PlaceOrder]
    spans: list[ReadableSpan]
    refused: HandlerError | None  # what publishing Linus's order raised
    stock: dict[str, int]


def logging_to_stdout() -> logging.Handler:
    """Print the handlers' log records, each with the ids the log context gives it."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    install_log_context(handler)
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


async def run() -> Outcome:
    """Play the story with tracing on; returns the orders, the spans and what was refused."""
    endpoint = otlp_endpoint()
    print("Tracing demo: the spans and log records of commands, events and their handlers.")
    if endpoint is None:
        print("Spans: printed by OpenTelemetry's ConsoleSpanExporter as each one ends")
        print("(set OTEL_EXPORTER_OTLP_ENDPOINT to send them to a collector over OTLP).")
    else:
        print(f"Spans: sent over OTLP to {endpoint}, and drawn here at the end.")
    run_id = uuid.uuid4().hex[:8]
    ada = PlaceOrder(order_id=f"ORD-{run_id}-1", customer="Ada", product="keyboard", quantity=2)
    linus = PlaceOrder(order_id=f"ORD-{run_id}-2", customer="Linus", product="monitor", quantity=3)
    handler = logging_to_stdout()
    try:
        with tracing() as kept:
            bus = InMemoryAsyncMessageBus()
            shop = Shop(bus, InMemoryAsyncEventStore(), STOCK)
            shop.register()

            print("\n1. Ada orders 2 keyboards: one command, its event, two event handlers.")
            await bus.publish(ada)

            print(
                "\n2. Linus orders 3 monitors, but only one is in stock: the stock handler fails;"
            )
            print("   its span and the spans above it end in error:")
            refused = None
            try:
                await bus.publish(linus)
            except HandlerError as error:
                refused = error
                print(f"  publish raised HandlerError: {error.original_error}")
            spans = list(kept.get_finished_spans())
    finally:
        log.removeHandler(handler)
        remove_log_context(handler)

    print("\n3. The same spans as trees, children under the span they ran in:")
    for line in draw(spans):
        print(f"  {line}")
    print("\nEach log record's correlation id is the id of the command that started its chain:")
    print(f"  Ada's order: {ada.id}")
    print(f"  Linus's order: {linus.id}")
    return Outcome([ada, linus], spans, refused, shop.stock)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.parse_args()
    asyncio.run(run())


if __name__ == "__main__":
    main()
