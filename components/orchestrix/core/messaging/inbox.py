"""The inbox port: a consumer remembers which messages it has handled, by message id.

Brokers and outbox relays deliver at least once; an inbox makes the effect happen once. A
durable inbox writes its record in the consumer's own database, in the same transaction as the
handler's effects (the receipt carries that transaction's connection), so the effects and the
"handled" mark commit or roll back together: effectively once. Effects outside that database
(an e-mail, a call to another service) still happen at least once: the record is committed
only after the handler succeeded.
"""

from __future__ import annotations

import functools
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from orchestrix.core.messaging.message import Message
from orchestrix.core.messaging.message_bus import AsyncMessageHandler


@dataclass(frozen=True, slots=True)
class InboxReceipt[C]:
    """One message received by one consumer: whether it was handled before, and the open
    transaction of the consumer's database (`None` where the inbox has no database)."""

    duplicate: bool
    connection: C


class Inbox[C](Protocol):
    """Which messages each consumer has handled."""

    def receive(
        self, consumer: str, message_id: str
    ) -> AbstractAsyncContextManager[InboxReceipt[C]]:
        """Open a transaction and record the message for `consumer`, unless already recorded
        (then `duplicate` is true and nothing should be done). The record commits when the
        block ends normally and is rolled back with the handler's effects on an error, so
        the message can be handled again. A second receiver of the same message waits for
        the first to finish."""
        ...

    async def handled(self, consumer: str, message_id: str) -> bool:
        """Whether `consumer` has handled the message (its record is committed)."""
        ...

    async def prune(self, received_before: datetime) -> int:
        """Forget the records older than `received_before`; returns how many. A message
        redelivered after its record is pruned is handled again."""
        ...


def deduplicated[T: Message](
    inbox: Inbox[Any], consumer: str, handler: AsyncMessageHandler[T]
) -> AsyncMessageHandler[T]:
    """`handler` that skips messages `consumer` already handled, recording each in `inbox`.

    The wrapper keeps the handler's name, so a broker derives the same queue name from it.
    """

    @functools.wraps(handler)
    async def handle(message: T) -> None:
        async with inbox.receive(consumer, message.id) as receipt:
            if receipt.duplicate:
                return
            result = handler(message)
            if result is not None:
                await result

    return handle


__all__ = ["Inbox", "InboxReceipt", "deduplicated"]
