"""Rebuilding a projection from the command line: reset it, then replay the log from the origin.

The command runs the projection as a worker would (a `ProjectionRunner` over the store's log
and checkpoint store), holding the projection's lock, so it refuses to run while a worker
holds it and no worker takes over until it is done. Progress counts the events the runner has
committed: `CountingLog` notes the checkpoint of every event the runner reads, and each note
counts once the runner's committed checkpoint has passed it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from orchestrix.cli.backends import Projections, ReadableStore
from orchestrix.cli.errors import CliError
from orchestrix.core.eventsourcing.event_log import (
    START,
    Checkpoint,
    RecordedEvent,
    close_reader,
    each_event,
)
from orchestrix.core.eventsourcing.projection import ProjectionEngine
from orchestrix.core.eventsourcing.projection_error_policy import ErrorPolicy, OnFailure
from orchestrix.core.eventsourcing.projection_errors import ProjectionStoppedError
from orchestrix.core.eventsourcing.subscription import ProjectionRunner

PROGRESS_INTERVAL = 0.1
"""Seconds between two progress reports."""


class CountingLog:
    """The store's log as the runner reads it, counting the events the runner commits."""

    def __init__(self, log: ReadableStore) -> None:
        self.log = log
        self.committed = 0
        self._read: deque[Checkpoint] = deque()  # read, not yet committed, in log order

    def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        return each_event(self.read_batches(after, batch_size))

    async def read_batches(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[Sequence[RecordedEvent]]:
        while self._read and self._read[-1] > after:  # read again after a restart
            self._read.pop()
        batches = self.log.read_batches(after, batch_size)
        try:
            async for batch in batches:
                self._read.extend(recorded.checkpoint for recorded in batch)
                yield batch
        finally:
            await close_reader(batches)

    def committed_up_to(self, checkpoint: Checkpoint) -> int:
        """How many events the runner has committed, given its committed checkpoint."""
        while self._read and self._read[0] <= checkpoint:
            self._read.popleft()
            self.committed += 1
        return self.committed


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """The outcome: events replayed, how long it took, the checkpoint reached, dead letters."""

    events: int
    seconds: float
    checkpoint: Checkpoint
    dead_letters: int


type Report = Callable[[int, int], None]
"""Called with (events replayed, events in the log) as the rebuild goes."""


async def rebuild(
    projections: Projections,
    engine: ProjectionEngine,
    *,
    batch_size: int,
    skip_failures: bool,
    confirm: Callable[[int], None],
    report: Report,
) -> Rebuilt:
    """Reset `engine`'s projection and replay the log; `confirm(total)` may abort first."""
    checkpoints = projections.checkpoints
    name = engine.projection_id
    if checkpoints is None or await checkpoints.load_state(name) is None:
        raise CliError(
            f"Projection {name!r} has no checkpoint in the {projections.where}: a rebuild "
            "starts over a projection that has run there; check the name, or --checkpoints"
        )
    lock = checkpoints.lock(name)
    if not await lock.acquire():
        raise CliError(
            f"Projection {name!r} is being run by another process, which holds its lock: "
            "stop it, then rebuild"
        )
    try:
        total = (await projections.head.backlog(START)).count
        confirm(total)
        log = CountingLog(projections.log)
        policy = ErrorPolicy(on_failure=OnFailure.SKIP if skip_failures else OnFailure.STOP)
        runner = ProjectionRunner(
            engine,
            log,
            checkpoints=checkpoints,
            batch_size=batch_size,
            error_policy=policy,
            head=projections.head,
            lock=lock,
        )
        started = asyncio.get_running_loop().time()
        try:
            await runner.reset()
        except Exception as error:  # the user's reset hook failed; nothing was reset
            raise CliError(
                f"Resetting projection {name!r} failed, so nothing changed: "
                f"{type(error).__name__}: {error}"
            ) from error
        await _catch_up(runner, log, total, report)
        state = runner.state
        assert state is not None, "a runner that caught up has a state"
        return Rebuilt(
            log.committed,
            asyncio.get_running_loop().time() - started,
            state.checkpoint,
            len(await checkpoints.dead_letters(name)),
        )
    finally:
        await lock.release()


async def _catch_up(runner: ProjectionRunner, log: CountingLog, total: int, report: Report) -> None:
    def progress() -> None:
        state = runner.state
        done = 0 if state is None else log.committed_up_to(state.checkpoint)
        report(done, max(total, done))

    task = asyncio.create_task(runner.catch_up())
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=PROGRESS_INTERVAL)
            progress()
        task.result()
    except ProjectionStoppedError as stopped:
        cause = stopped.__cause__
        raise CliError(
            f"{stopped}: {type(cause).__name__}: {cause}. It is rebuilt up to the event before; "
            "fix the handler and rebuild again, or pass --skip-failures to dead-letter such "
            "events"
        ) from stopped
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


__all__ = ["CountingLog", "Rebuilt", "rebuild"]
