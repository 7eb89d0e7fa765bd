"""Replaying dead-lettered events once the handler that failed on them is fixed.

Each event is read again from the log at its checkpoint and handed to the projection's
handlers; in the same transaction its dead letter is resolved (exactly-once stores commit
the read-model writes with it). An event that fails again stays dead-lettered, with the new
error and one more attempt counted. The checkpoint does not move: the projection is already
past these events, so a replayed event lands after events that followed it in the log.
"""

from __future__ import annotations

from orchestrix.core.common.exceptions import StoreError
from orchestrix.core.eventsourcing.checkpoint import CheckpointStore
from orchestrix.core.eventsourcing.event_log import Checkpoint
from orchestrix.core.eventsourcing.projection import ProjectionEngine
from orchestrix.core.eventsourcing.projection_dead_letters import DeadLetteredEvent
from orchestrix.core.eventsourcing.subscription_reader import AnyEventLog, read_page


async def replay_dead_letters(
    engine: ProjectionEngine, log: AnyEventLog, checkpoints: CheckpointStore
) -> list[DeadLetteredEvent]:
    """Replay every dead letter of `engine`'s projection; returns those that failed again."""
    still_failing = []
    for entry in await checkpoints.dead_letters(engine.projection_id):
        before = Checkpoint(entry.checkpoint.tx_id, entry.checkpoint.position - 1)
        page = await read_page(log, before, 1)
        if not page or page[0].event.id != entry.event_id:
            raise StoreError(
                f"Dead-lettered event {entry.event_id!r} is no longer in the log at "
                f"{entry.checkpoint}; is this the log the projection read?"
            )
        recorded = page[0]
        try:
            async with checkpoints.transaction() as transaction:
                await engine.dispatch(recorded.event, recorded, transaction.connection)
                await transaction.resolve_dead_letter(entry.projection_id, entry.event_id)
        except StoreError:
            raise
        except Exception as error:
            again = DeadLetteredEvent.of(entry.projection_id, recorded, error, entry.attempts + 1)
            async with checkpoints.transaction() as transaction:
                await transaction.dead_letter(again)
            still_failing.append(again)
    return still_failing


__all__ = ["replay_dead_letters"]
