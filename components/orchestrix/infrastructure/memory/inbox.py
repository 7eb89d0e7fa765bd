"""The in-memory inbox: which messages each consumer handled, kept in a dict.

It has no transaction to share with the handler (`connection` is None), but it keeps the
durable inboxes' rules, so code tested against it behaves the same on SQLite or PostgreSQL: the
record is kept only when the block ends without an error, and a second receiver of a message
waits for the first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from orchestrix.core.messaging.inbox import InboxReceipt


class InMemoryInbox:
    """An `Inbox` held in process memory (`connection` is always None)."""

    def __init__(self) -> None:
        self._handled: dict[tuple[str, str], datetime] = {}
        self._busy: dict[tuple[str, str], tuple[asyncio.Lock, list[int]]] = {}

    @asynccontextmanager
    async def receive(self, consumer: str, message_id: str) -> AsyncIterator[InboxReceipt[None]]:
        """Record the message for `consumer` unless it was handled (see `Inbox.receive`)."""
        key = (consumer, message_id)
        lock, users = self._busy.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                if key in self._handled:
                    yield InboxReceipt(True, None)
                    return
                yield InboxReceipt(False, None)
                self._handled[key] = datetime.now(UTC)
        finally:
            users[0] -= 1
            if not users[0]:
                del self._busy[key]

    async def handled(self, consumer: str, message_id: str) -> bool:
        return (consumer, message_id) in self._handled

    async def prune(self, received_before: datetime) -> int:
        old = [key for key, at in self._handled.items() if at < received_before]
        for key in old:
            del self._handled[key]
        return len(old)


__all__ = ["InMemoryInbox"]
