"""Running a projection as a subscription: catch up from the checkpoint, then follow the log.

`ProjectionRunner` reads any store's global log (memory, SQLite, PostgreSQL; sync or async)
in batches after the projection's checkpoint. Each batch is one transaction of the
`CheckpointStore`: the handlers' read-model writes (through `context.connection` when the
store is `exactly_once`) and the new checkpoint commit together, guarded by a compare-and-set
on the checkpoint, so two instances can never both apply an event. With a `ProjectionLock`
only one instance projects; the others wait as standbys and take over when it dies.

A failing handler goes through the `ErrorPolicy` (retries, then stop or dead-letter). Store
outages are retried without end (with backoff); anything else stops the runner as FAILED.
While observability is on, each batch runs in a `projection.batch` span and the lag is
reported after each batch or poll (see `orchestrix.core.common.instrumentation`): 0 at the end
of the log, unless the store held committed events back there.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from enum import StrEnum
from typing import cast

from orchestrix.core.common.exceptions import OrchestrixError, StoreError
from orchestrix.core.common.instrumentation import (
    is_observed,
    projection_batch,
    record_projection_lag,
)
from orchestrix.core.common.logging import StructuredLogger, get_logger
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.checkpoint import CheckpointStore, ProjectionLock
from orchestrix.core.eventsourcing.dead_letter_replay import replay_dead_letters
from orchestrix.core.eventsourcing.event_log import START, Checkpoint, RecordedEvent
from orchestrix.core.eventsourcing.projection import ProjectionEngine
from orchestrix.core.eventsourcing.projection_dead_letters import DeadLetteredEvent
from orchestrix.core.eventsourcing.projection_error_policy import ErrorPolicy, OnFailure
from orchestrix.core.eventsourcing.projection_errors import (
    CheckpointConflictError,
    ProjectionLockedError,
    ProjectionStoppedError,
    ProjectionWaitTimeoutError,
)
from orchestrix.core.eventsourcing.projection_state import ProjectionState
from orchestrix.core.eventsourcing.subscription_lag import Lag, LogHead, ScanningLogHead
from orchestrix.core.eventsourcing.subscription_reader import AnyEventLog, LogFollower
from orchestrix.core.eventsourcing.subscription_wake_up import LocalWakeUp, WakeUp

_log = StructuredLogger(get_logger(__name__))

OUTAGE_BACKOFF = (0.1, 10.0)
"""First and longest pause before a runner retries after its store failed."""

LAG_REPORT_INTERVAL = 1.0
"""Seconds between two measures of the lag reported while catching up (each is a query)."""


class RunnerStatus(StrEnum):
    """What a runner is doing."""

    STOPPED = "stopped"
    STANDBY = "standby"  # waiting for the lock held by another instance
    CATCHING_UP = "catching_up"
    LIVE = "live"  # reached the end of the log; following it
    PAUSED = "paused"
    FAILED = "failed"  # stopped by the error policy or an unexpected error (see `error`)


class StartFrom(StrEnum):
    """Where a projection without a checkpoint starts (a stored checkpoint always wins)."""

    ORIGIN = "origin"
    HEAD = "head"  # only events stored from now on


class _Restart(Exception):
    """Reload the checkpoint and read again: lost the lock, another instance moved on."""


class _Undo(Exception):
    """Roll the batch back: a handler failed inside an exactly-once transaction."""

    def __init__(self, done: int, error: Exception) -> None:
        self.done = done
        self.error = error


class _Stopping(Exception):
    """Stop was asked while retrying an event: leave it for the next start."""


class ProjectionRunner:
    """Feeds a `ProjectionEngine` from a store's log and keeps its checkpoint."""

    def __init__(
        self,
        engine: ProjectionEngine,
        log: AnyEventLog,
        *,
        checkpoints: CheckpointStore | None = None,
        start_from: StartFrom | Checkpoint = StartFrom.ORIGIN,
        batch_size: int = 500,
        error_policy: ErrorPolicy | None = None,
        wake_up: WakeUp | None = None,
        lock: ProjectionLock | None = None,
        head: LogHead | None = None,
        standby_interval: float = 1.0,
    ) -> None:
        if type(batch_size) is not int or batch_size < 1:
            raise ValidationError("must be a positive integer", "batch_size", batch_size)
        store = engine.state_store if checkpoints is None else checkpoints
        if not callable(getattr(store, "transaction", None)):
            raise ValidationError(
                "must be a CheckpointStore (the engine's state store is not one)",
                "checkpoints",
                store,
            )
        self.engine = engine
        self.log: AnyEventLog = log
        self.checkpoints = cast(CheckpointStore, store)
        self.start_from = start_from
        self.batch_size = batch_size
        self.error_policy = ErrorPolicy() if error_policy is None else error_policy
        self.wake_up: WakeUp = LocalWakeUp() if wake_up is None else wake_up
        self.lock = lock
        self.head: LogHead = ScanningLogHead(self.log) if head is None else head
        self.standby_interval = standby_interval
        self.error: BaseException | None = None
        self._status = RunnerStatus.STOPPED
        self._state: ProjectionState | None = None
        self._task: asyncio.Task[None] | None = None
        self._follower: LogFollower | None = None
        self._stop = asyncio.Event()
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._nudged = asyncio.Event()  # a paused loop looks again: resumed, reset or stopping
        self._progress = asyncio.Event()
        self._caught_up = asyncio.Event()
        self._resets: list[asyncio.Future[None]] = []
        self._lock_lost = False
        self._outage_pause = OUTAGE_BACKOFF[0]  # doubles per failed attempt, reset by progress
        self._next_lag_report = 0.0  # event-loop time

    @property
    def projection_id(self) -> str:
        return self.engine.projection_id

    @property
    def status(self) -> RunnerStatus:
        return self._status

    @property
    def state(self) -> ProjectionState | None:
        """The last committed state (None before the runner loaded it)."""
        return self._state

    def is_healthy(self) -> bool:
        """Running or stopped cleanly, and the projection's last event succeeded."""
        healthy_state = self._state is None or self._state.is_healthy
        return self._status is not RunnerStatus.FAILED and healthy_state

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Run in a background task until `stop()`; failures end up in `error`/`status`."""
        if self._task is not None and not self._task.done():
            return
        self._stop.clear()
        self._task = asyncio.create_task(self._run_in_background(), name=self.projection_id)

    async def run(self) -> None:
        """Run until `stop()`; raises `ProjectionStoppedError` if the error policy stops."""
        self._stop.clear()
        await self._run(until_caught_up=False)

    async def catch_up(self) -> None:
        """Process every event up to the end of the log, then return (rebuilds, scripts).

        With a lock, raises `ProjectionLockedError` if another instance holds it.
        """
        self._stop.clear()
        await self._run(until_caught_up=True)

    async def stop(self) -> None:
        """Finish the batch in progress, commit it and stop (a retry in progress is left
        for the next start)."""
        self._stop.set()
        self._resumed.set()
        self._nudged.set()
        self._interrupt()
        task, self._task = self._task, None
        if task is not None:
            with contextlib.suppress(Exception):
                await task

    def pause(self) -> None:
        """Stop taking new batches (the batch in progress completes) until `resume()`."""
        self._resumed.clear()
        self._interrupt()

    def resume(self) -> None:
        self._resumed.set()
        self._nudged.set()

    def wake(self) -> None:
        """Read the log now instead of at the next poll (call it after a save)."""
        self.wake_up.notify()

    async def _run_in_background(self) -> None:
        with contextlib.suppress(Exception):  # kept in `error` and `status`
            await self._run(until_caught_up=False)

    async def _run(self, until_caught_up: bool) -> None:
        self.error = None
        await self.wake_up.open()
        try:
            while not self._stop.is_set():
                if not await self._lead(wait=not until_caught_up):
                    return
                heartbeat = self._start_heartbeat()
                try:
                    await self._project(until_caught_up)
                    return
                except _Stopping:
                    return
                except (_Restart, CheckpointConflictError) as reason:
                    _log.warning("projection restarts", projection=self.projection_id, why=reason)
                except StoreError as outage:
                    pause = self._outage_pause
                    _log.warning(
                        "projection store failed; retrying",
                        projection=self.projection_id,
                        error=repr(outage),
                        retry_in=pause,
                    )
                    await self._sleep(pause)
                    self._outage_pause = min(pause * 2, OUTAGE_BACKOFF[1])
                finally:
                    if heartbeat is not None:
                        heartbeat.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await heartbeat
                    await self._release()
        except ProjectionLockedError:
            raise  # not a failure of this projection: another instance runs it
        except Exception as error:
            self.error = error
            self._status = RunnerStatus.FAILED
            _log.error("projection failed", projection=self.projection_id, error=repr(error))
            raise
        finally:
            self._settle_resets(OrchestrixError("The runner stopped before the reset was done"))
            await self.wake_up.close()
            if self._status is not RunnerStatus.FAILED:
                self._status = RunnerStatus.STOPPED

    # --- leadership -----------------------------------------------------------------------

    async def _lead(self, wait: bool) -> bool:
        """Take the lock (waiting as a standby when `wait`); False once stop is asked."""
        if self.lock is None:
            return True
        self._status = RunnerStatus.STANDBY
        while not self._stop.is_set():
            try:
                if await self.lock.acquire():
                    self._lock_lost = False
                    _log.info("projection lock taken", projection=self.projection_id)
                    return True
            except StoreError as error:
                _log.warning(
                    "projection lock unavailable", projection=self.projection_id, error=repr(error)
                )
            if not wait:
                raise ProjectionLockedError(self.projection_id)
            await self._sleep(self.standby_interval)
        return False

    def _start_heartbeat(self) -> asyncio.Task[None] | None:
        if self.lock is None:
            return None
        return asyncio.create_task(self._heartbeat(self.lock))

    async def _heartbeat(self, lock: ProjectionLock) -> None:
        while True:
            await asyncio.sleep(lock.renew_interval)
            try:
                held = await lock.renew()
            except Exception as error:
                _log.warning(
                    "projection lock renewal failed",
                    projection=self.projection_id,
                    error=repr(error),
                )
                held = False
            if not held:
                self._lock_lost = True
                self._interrupt()
                return

    async def _release(self) -> None:
        if self.lock is not None:
            try:
                await self.lock.release()
            except Exception as error:
                _log.warning(
                    "projection lock release failed",
                    projection=self.projection_id,
                    error=repr(error),
                )

    # --- the loop ---------------------------------------------------------------------------

    async def _project(self, until_caught_up: bool) -> None:
        state = await self._initial_state()
        follower = self._follower = LogFollower(self.log, self.batch_size, self.wake_up)
        follower.start(state.checkpoint)
        self._status = RunnerStatus.CATCHING_UP
        try:
            while not self._stop.is_set():
                if self._lock_lost:
                    raise _Restart("the projection lock was lost")
                if self._resets:
                    state = await self._reset_now(state)
                    await follower.close()
                    follower.start(state.checkpoint)
                    self._status = RunnerStatus.CATCHING_UP
                    continue
                if not self._resumed.is_set():
                    await self._paused()
                    continue
                batch = await follower.take()
                if batch:
                    state = await self._process(batch, state)
                    await self._report_lag()
                elif follower.at_end:
                    self._status = RunnerStatus.LIVE
                    self._caught_up.set()
                    await self._report_end_of_log()
                    if until_caught_up:
                        return
        finally:
            self._follower = None
            await follower.close()

    async def _paused(self) -> None:
        """Wait until resumed, or until a reset is asked (it runs paused: a reset of a paused
        runner empties the model now and leaves the rebuild for `resume()`)."""
        status, self._status = self._status, RunnerStatus.PAUSED
        while not self._resumed.is_set() and not self._resets:
            self._nudged.clear()
            await self._nudged.wait()
        self._status = status

    async def _initial_state(self) -> ProjectionState:
        state = await self.checkpoints.load_state(self.projection_id)
        if state is None:
            start = await self._start_checkpoint()
            state = ProjectionState(
                projection_id=self.projection_id,
                last_processed_tx_id=start.tx_id,
                last_processed_position=start.position,
            )
            async with self.checkpoints.transaction() as transaction:
                await transaction.save_state(state, START)
        self._publish(state)
        return state

    async def _start_checkpoint(self) -> Checkpoint:
        if isinstance(self.start_from, Checkpoint):
            return self.start_from
        if self.start_from is StartFrom.HEAD:
            return await self.head.head()
        return START

    async def _process(
        self, batch: Sequence[RecordedEvent], state: ProjectionState
    ) -> ProjectionState:
        with projection_batch(self.projection_id, len(batch)):
            while batch:
                state, done, error = await self._apply(batch, state)
                if error is not None:
                    state = await self._handle_failure(batch[done], error, state)
                    done += 1
                batch = batch[done:]
        _log.debug(
            "projection batch committed", projection=self.projection_id, checkpoint=state.checkpoint
        )
        return state

    async def _apply(
        self, events: Sequence[RecordedEvent], state: ProjectionState
    ) -> tuple[ProjectionState, int, Exception | None]:
        """Apply `events` in one transaction up to the first failure and commit those before
        it; returns the state, how many were committed and the error of the next one."""
        dispatch, done, error = self.engine.dispatch, 0, None
        try:
            async with self.checkpoints.transaction() as transaction:
                connection = transaction.connection
                try:
                    for recorded in events:
                        await dispatch(recorded.event, recorded, connection)
                        done += 1
                except Exception as failure:
                    if self.checkpoints.exactly_once:
                        raise _Undo(done, failure) from failure
                    error = failure
                if done:
                    last = events[done - 1]
                    advanced = state.advanced(last.event.id, last.checkpoint)
                    await transaction.save_state(advanced, state.checkpoint)
                    state = advanced
        except _Undo as undo:
            # Everything was rolled back, the failed event's writes too: redo the events
            # before it on their own.
            if not undo.done:
                return state, 0, undo.error
            state, done, error = await self._apply(events[: undo.done], state)
            return state, done, undo.error if error is None else error
        self._publish(state)
        return state, done, error

    async def _handle_failure(
        self, recorded: RecordedEvent, error: Exception, state: ProjectionState
    ) -> ProjectionState:
        """Retry the event as the policy says, then dead-letter it or stop."""
        retry, attempt = self.error_policy.retry, 1  # the attempt that just failed
        while True:
            _log.warning(
                "projection handler failed",
                projection=self.projection_id,
                event_id=recorded.event.id,
                event_type=recorded.event.type,
                attempt=attempt,
                error=repr(error),
            )
            if not retry.should_retry(attempt):
                break
            await self._sleep(retry.get_delay(attempt))
            if self._stop.is_set():
                raise _Stopping
            attempt += 1
            state, _, failure = await self._apply([recorded], state)
            if failure is None:
                return state
            error = failure
        if self.error_policy.on_failure is OnFailure.SKIP:
            return await self._dead_letter(recorded, error, attempt, state)
        failed = state.failed()
        async with self.checkpoints.transaction() as transaction:
            await transaction.save_state(failed, state.checkpoint)
        self._publish(failed)
        raise ProjectionStoppedError(
            self.projection_id, recorded.event.id, recorded.checkpoint
        ) from error

    async def _dead_letter(
        self, recorded: RecordedEvent, error: Exception, attempts: int, state: ProjectionState
    ) -> ProjectionState:
        entry = DeadLetteredEvent.of(self.projection_id, recorded, error, attempts)
        skipped = state.skipped(recorded.event.id, recorded.checkpoint)
        async with self.checkpoints.transaction() as transaction:
            await transaction.dead_letter(entry)
            await transaction.save_state(skipped, state.checkpoint)
        _log.warning(
            "projection dead-lettered an event",
            projection=self.projection_id,
            event_id=entry.event_id,
            attempts=attempts,
        )
        self._publish(skipped)
        return skipped

    async def _report_lag(self) -> None:
        """Measure the lag for the observability hooks, while they listen, at most once per
        `LAG_REPORT_INTERVAL`; a failed measure is logged, never raised."""
        now = asyncio.get_running_loop().time()
        if not is_observed() or now < self._next_lag_report:
            return
        self._next_lag_report = now + LAG_REPORT_INTERVAL
        try:
            lag = await self.lag()
        except Exception as error:
            _log.warning(
                "projection lag not measured", projection=self.projection_id, error=repr(error)
            )
            return
        record_projection_lag(self.projection_id, lag.events)

    async def _report_end_of_log(self) -> None:
        """At the end of the log the lag is 0, unless the store held committed events back
        (on PostgreSQL, behind a writer still in flight: its `last_holdback`); then it is
        measured, so the lag figure shows the stall instead of hiding it."""
        if getattr(self.log, "last_holdback", None) is None:
            record_projection_lag(self.projection_id, 0)
        else:
            await self._report_lag()

    def _publish(self, state: ProjectionState) -> None:
        """Make a committed state current and wake whoever waits for progress."""
        self._state = state
        self._outage_pause = OUTAGE_BACKOFF[0]
        self.engine.adopt_state(state)
        progress, self._progress = self._progress, asyncio.Event()
        progress.set()

    def _interrupt(self) -> None:
        if self._follower is not None:
            self._follower.interrupt()

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when stop is asked."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stop.wait()

    # --- rebuild, waiting, lag, dead letters ------------------------------------------------

    async def reset(self) -> None:
        """Empty the read model (the engine's reset hooks), forget the dead letters and set
        the checkpoint back to the origin, in one transaction; a running runner then
        rebuilds from the origin, a paused one once resumed, a stopped one when next started
        or caught up."""
        if self._follower is None:
            state = await self.checkpoints.load_state(self.projection_id)
            await self._reset_now(state)
            return
        done = asyncio.get_running_loop().create_future()
        self._resets.append(done)
        self._nudged.set()
        self._interrupt()
        await done

    async def _reset_now(self, state: ProjectionState | None) -> ProjectionState:
        fresh = ProjectionState(projection_id=self.projection_id)
        try:
            async with self.checkpoints.transaction() as transaction:
                await self.engine.reset_read_model(transaction.connection)
                await transaction.discard_dead_letters(self.projection_id)
                await transaction.save_state(fresh, START if state is None else state.checkpoint)
        except BaseException as error:
            self._settle_resets(error)
            raise
        self._caught_up.clear()
        self._publish(fresh)
        self._settle_resets(None)
        return fresh

    def _settle_resets(self, error: BaseException | None) -> None:
        resets, self._resets = self._resets, []
        for done in resets:
            if not done.done():
                if error is None:
                    done.set_result(None)
                else:
                    done.set_exception(error)

    async def wait_for(
        self,
        checkpoint: Checkpoint,
        timeout: float = 5.0,  # noqa: ASYNC109 - the error says the write succeeded
    ) -> None:
        """Return once this projection has processed the log up to `checkpoint` (what a
        save returned); raise `ProjectionWaitTimeoutError` after `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    progress = self._progress
                    if self._state is not None and self._state.checkpoint >= checkpoint:
                        return
                    self.wake()
                    await progress.wait()
        except TimeoutError:
            reached = None if self._state is None else self._state.checkpoint
            raise ProjectionWaitTimeoutError(
                checkpoint, {self.projection_id: reached}, timeout
            ) from None

    async def wait_caught_up(self) -> None:
        """Return once the runner has reached the end of the log (since start or reset)."""
        await self._caught_up.wait()

    async def lag(self) -> Lag:
        """Events stored after the checkpoint, and the age of the oldest of them."""
        state = self._state or await self.checkpoints.load_state(self.projection_id)
        backlog = await self.head.backlog(START if state is None else state.checkpoint)
        return backlog.lag()

    async def dead_letters(self) -> list[DeadLetteredEvent]:
        """This projection's dead-lettered events, in log order."""
        return await self.checkpoints.dead_letters(self.projection_id)

    async def replay_dead_letters(self) -> list[DeadLetteredEvent]:
        """Apply the dead-lettered events again (after a fix); returns those still failing."""
        return await replay_dead_letters(self.engine, self.log, self.checkpoints)


__all__ = ["ProjectionRunner", "RunnerStatus", "StartFrom"]
