"""The loop that fires due deadlines, in every process that should (one is enough; more are
harmless, since an instance acts on a deadline once).

A deadline is removed from the store only after its target has handled it, so a crash in
between fires it again after the restart and the process manager ignores the repeat. A target
that fails leaves its deadline in place, to be tried again on the next round. Deadlines fire
at most `poll_interval` seconds late (and on time when they were stored before the loop went
to sleep); `wake()` makes the loop look again at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Protocol

from orchestrix.core.common.logging import StructuredLogger, get_logger
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.execution.clock import SYSTEM_CLOCK, Clock
from orchestrix.core.execution.deadline import Deadline, DeadlineStore
from orchestrix.core.execution.errors import ProcessDefinitionError

_log = StructuredLogger(get_logger(__name__))


class DeadlineTarget(Protocol):
    """What owns deadlines: a `ProcessManager`."""

    @property
    def process_type(self) -> str: ...

    async def fire(self, deadline: Deadline) -> None: ...


class DeadlineScheduler:
    """Fires the deadlines of `store` due by `clock` on the targets of their owner type."""

    def __init__(
        self,
        store: DeadlineStore,
        targets: Iterable[DeadlineTarget] = (),
        *,
        clock: Clock = SYSTEM_CLOCK,
        poll_interval: float = 1.0,
        batch_size: int = 100,
    ) -> None:
        if not 0 < poll_interval < float("inf"):
            message = "must be a positive number of seconds"
            raise ValidationError(message, "poll_interval", poll_interval)
        if type(batch_size) is not int or batch_size < 1:
            raise ValidationError("must be a positive integer", "batch_size", batch_size)
        self.store = store
        self.clock = clock
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self._targets: dict[str, DeadlineTarget] = {}
        for target in targets:
            self.add(target)
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()

    def add(self, target: DeadlineTarget) -> None:
        """Fire the deadlines of `target.process_type` on `target`."""
        if target.process_type in self._targets:
            raise ProcessDefinitionError(f"Two deadline targets for {target.process_type!r}")
        self._targets[target.process_type] = target

    async def fire_due(self) -> int:
        """Fire every deadline due now; returns how many were handled (and removed)."""
        fired = 0
        while True:
            batch = await self.store.due(self.clock.now(), self.batch_size)
            handled = 0
            for deadline in batch:
                if await self._fire(deadline):
                    handled += 1
            fired += handled
            if len(batch) < self.batch_size or handled == 0:
                return fired

    async def _fire(self, deadline: Deadline) -> bool:
        target = self._targets.get(deadline.owner_type)
        if target is None:
            _log.warning("No target for deadline", owner_type=deadline.owner_type)
            return False
        try:
            await target.fire(deadline)
        except Exception:
            _log.exception("Deadline failed; it stays due", deadline_id=deadline.deadline_id)
            return False
        await self.store.cancel(deadline.deadline_id)
        return True

    async def run(self) -> None:
        """Fire due deadlines until `stop()`; store errors are logged and retried."""
        self._stop.clear()
        while not self._stop.is_set():
            wait = self.poll_interval
            try:
                await self.fire_due()
                upcoming = await self.store.next_due_at()
                if upcoming is not None:
                    # One still due now failed or has no target: wait a full interval for it.
                    seconds = (upcoming - self.clock.now()).total_seconds()
                    wait = min(seconds, self.poll_interval) if seconds > 0 else wait
            except Exception:
                _log.exception("Firing deadlines failed; trying again")
            if self._stop.is_set():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
            self._wake.clear()

    def wake(self) -> None:
        """Look for due deadlines now rather than after the current wait."""
        self._wake.set()

    def stop(self) -> None:
        """Make `run()` return after its current round."""
        self._stop.set()
        self._wake.set()


__all__ = ["DeadlineScheduler", "DeadlineTarget"]
