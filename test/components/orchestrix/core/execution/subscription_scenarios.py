"""A process manager fed by a projection subscription over a store's log; one subclass per
backend provides the fixtures `log` (an empty event store), `checkpoints` (a checkpoint store
the process stores do not wait for) and `process_stores` (its process and deadline stores).

The subscription delivers at least once: after a reset (or a crash before its checkpoint
committed) it hands the process manager the log again, and the instances, which remember the
events they handled, issue no command twice.
"""

from __future__ import annotations

import inspect
from decimal import Decimal
from typing import Any

from orchestrix.core.eventsourcing.projection import ProjectionEngine
from orchestrix.core.eventsourcing.subscription import ProjectionRunner
from orchestrix.core.messaging.message import Event, Message
from test.components.orchestrix.core.execution.order_payment import (
    OrderPayment,
    OrderPlaced,
    PaymentReceived,
    PaymentWatch,
)


async def save(log: Any, stream: str, events: list[Event]) -> None:
    saved = log.save(stream, events)
    if inspect.isawaitable(saved):
        await saved


class ProcessSubscriptionScenarios:
    def follow(
        self, log: Any, checkpoints: Any, process_stores: tuple[Any, Any], sent: list[Message]
    ) -> tuple[OrderPayment, ProjectionRunner]:
        """A fresh process manager (as in a new process) and the subscription feeding it."""
        process = OrderPayment(process_stores[0], sent.append, process_stores[1])
        engine = ProjectionEngine("order-payment", checkpoints)
        for event_type in process.event_types:
            engine.on(event_type)(process.handle)
        return process, ProjectionRunner(engine, log, checkpoints=checkpoints)

    async def test_the_log_delivered_again_issues_no_command_twice(
        self, log: Any, checkpoints: Any, process_stores: tuple[Any, Any]
    ) -> None:
        await save(log, "order-A", [OrderPlaced(order_id="A", amount=Decimal("10"))])
        await save(
            log,
            "order-B",
            [OrderPlaced(order_id="B", amount=Decimal("20")), PaymentReceived(order_id="B")],
        )
        sent: list[Any] = []
        _, runner = self.follow(log, checkpoints, process_stores, sent)
        await runner.catch_up()
        assert [(type(command).__name__, command.order_id) for command in sent] == [
            ("ChargeCard", "A"),
            ("ChargeCard", "B"),
            ("ShipOrder", "B"),
        ]

        await runner.reset()  # the subscription forgets how far it got
        again, replaying = self.follow(log, checkpoints, process_stores, sent)
        await replaying.catch_up()
        assert len(sent) == 3
        assert await again.get_state("A") == PaymentWatch("A", Decimal("10"))
        (timeout,) = await process_stores[1].list_for("order-payment", "A")
        assert timeout.name == "payment-timeout"
