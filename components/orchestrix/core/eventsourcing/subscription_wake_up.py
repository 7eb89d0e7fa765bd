"""How a following projection learns that the log may have grown.

A wake-up is only a hint to read the log again: the runner re-queries from its checkpoint,
never trusting a notification as data, and polls anyway (backing off up to `fallback_poll`
seconds) so a lost notification only delays it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol


class WakeUp(Protocol):
    """Signals that new events may be in the log."""

    fallback_poll: float
    """Longest pause between two reads of the log when no signal comes."""

    async def open(self) -> None:
        """Start listening (a runner calls this when it starts)."""
        ...

    async def wait(self, at_most: float) -> None:
        """Return when signalled, or after `at_most` seconds."""
        ...

    def notify(self) -> None:
        """Signal from this process (after a save, or to stop waiting)."""
        ...

    async def close(self) -> None:
        """Stop listening."""
        ...


class LocalWakeUp:
    """In-process signals plus polling: what memory and SQLite stores use.

    A save in another process is seen at the next poll; the runner backs off from a few
    milliseconds to `fallback_poll` while the log stays quiet.
    """

    def __init__(self, fallback_poll: float = 0.2) -> None:
        self.fallback_poll = fallback_poll
        self._signal = asyncio.Event()

    async def open(self) -> None:
        return None

    async def wait(self, at_most: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(at_most):
                await self._signal.wait()
        self._signal.clear()

    def notify(self) -> None:
        self._signal.set()

    async def close(self) -> None:
        return None


__all__ = ["LocalWakeUp", "WakeUp"]
