"""The outbox relay: publishes what the store saved, then marks it sent.

Pure Python over the `Outbox` port and any `AsyncMessageBus`, so the same relay moves events
from SQLite or PostgreSQL to RabbitMQ (or to an in-memory bus in tests). Delivery is at least
once: an entry is marked sent only after the bus accepted it (with publisher confirms on a
broker), so a relay killed between the two publishes it again after a restart, and consumers
drop the duplicate by event id (the inbox). Within a batch, streams are published concurrently
and each stream one event after the other, so a stream's events leave in order; a failed
publish stops its stream for this batch, and the rest of that stream waits for the next one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from orchestrix.core.common.logging import get_logger
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message_bus import AsyncMessageBus
from orchestrix.core.messaging.outbox import Outbox, OutboxEntry

_logger = get_logger(__name__)


class OutboxRelay:
    """Moves pending outbox entries to a bus: `await relay.run(stop)` until `stop` is set.

    `batch_size` entries are claimed at a time; when fewer were pending, the relay sleeps
    `poll_interval` seconds (or until `wake()`). Sent entries are deleted once older than
    `retention`, checked every `prune_interval` seconds (`retention=None` keeps them).
    """

    def __init__(
        self,
        outbox: Outbox,
        bus: AsyncMessageBus,
        *,
        batch_size: int = 100,
        poll_interval: float = 0.5,
        retention: timedelta | None = timedelta(days=1),
        prune_interval: float = 60.0,
        error_backoff: float = 1.0,
    ) -> None:
        if type(batch_size) is not int or batch_size < 1:
            raise ValidationError("must be a positive integer", "batch_size", batch_size)
        for name, value in (
            ("poll_interval", poll_interval),
            ("prune_interval", prune_interval),
            ("error_backoff", error_backoff),
        ):
            if not value >= 0:
                raise ValidationError("must be zero or more seconds", name, value)
        self.outbox = outbox
        self.bus = bus
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.retention = retention
        self.prune_interval = prune_interval
        self.error_backoff = error_backoff
        self._wake = asyncio.Event()
        self._last_prune = time.monotonic()

    def wake(self) -> None:
        """Relay now instead of at the end of the current pause (after a save, say)."""
        self._wake.set()

    async def relay_once(self) -> int:
        """Claim one batch, publish it, mark what was published; returns how many were."""
        async with self.outbox.claim(self.batch_size) as batch:
            entries = batch.entries
            if not entries:
                return 0
            streams: dict[str, list[OutboxEntry]] = {}
            for entry in entries:
                streams.setdefault(entry.aggregate_id, []).append(entry)
            published = await asyncio.gather(*map(self._publish_stream, streams.values()))
            sent = [entry for stream in published for entry in stream]
            if sent:
                await batch.mark_sent(sent)
        return len(sent)

    async def _publish_stream(self, entries: Sequence[OutboxEntry]) -> list[OutboxEntry]:
        """Publish one stream's entries in order; the ones published before any failure."""
        for index, entry in enumerate(entries):
            try:
                await self.bus.publish(entry.event)
            except Exception as error:
                _logger.warning(
                    "Outbox relay could not publish %s (stream %r, version %d): %r; it stays "
                    "pending with the %d entries after it",
                    entry.event.id,
                    entry.aggregate_id,
                    entry.version,
                    error,
                    len(entries) - index - 1,
                )
                return list(entries[:index])
        return list(entries)

    async def prune(self) -> int:
        """Delete the sent entries older than `retention` now; returns how many."""
        self._last_prune = time.monotonic()
        if self.retention is None:
            return 0
        return await self.outbox.prune(datetime.now(UTC) - self.retention)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Relay until `stop` is set; the batch in flight then finishes before returning.

        A failing outbox (database down) or bus is logged and retried after `error_backoff`
        seconds; nothing is lost meanwhile, since entries stay pending.
        """
        stop = stop or asyncio.Event()
        while not stop.is_set():
            self._wake.clear()
            pause = 0.0
            try:
                if time.monotonic() - self._last_prune >= self.prune_interval:
                    await self.prune()
                if await self.relay_once() < self.batch_size:
                    pause = self.poll_interval
            except Exception as error:
                _logger.error(
                    "Outbox relay failed, retrying in %.1fs: %r", self.error_backoff, error
                )
                pause = self.error_backoff
            if pause:
                await self._pause(pause, stop)

    async def _pause(self, seconds: float, stop: asyncio.Event) -> None:
        waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()


__all__ = ["OutboxRelay"]
