"""Read your writes: wait until projections have processed what a save stored.

`save` returns the `Checkpoint` of its last event; `wait_for_projections` polls the
checkpoint store (so it works whichever process runs the projections) until every named
projection has reached it. A runner in the same process answers sooner:
`ProjectionRunner.wait_for`. A timeout raises `ProjectionWaitTimeoutError`, whose message
says that the write succeeded, so a caller does not repeat it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from orchestrix.core.eventsourcing.event_log import Checkpoint
from orchestrix.core.eventsourcing.projection_errors import ProjectionWaitTimeoutError
from orchestrix.core.eventsourcing.projection_state import ProjectionStateStore

FIRST_POLL = 0.002
LAST_POLL = 0.1


async def wait_for_projections(
    checkpoints: ProjectionStateStore,
    projection_ids: Iterable[str],
    checkpoint: Checkpoint,
    *,
    timeout: float = 5.0,  # noqa: ASYNC109 - the error says the write succeeded
) -> None:
    """Return once each projection's checkpoint is at or past `checkpoint`."""
    waiting = list(projection_ids)
    reached: dict[str, Checkpoint | None] = dict.fromkeys(waiting)
    deadline, pause = time.monotonic() + timeout, FIRST_POLL
    while True:
        for projection_id in list(waiting):
            state = await checkpoints.load_state(projection_id)
            reached[projection_id] = None if state is None else state.checkpoint
            if state is not None and state.checkpoint >= checkpoint:
                waiting.remove(projection_id)
        if not waiting:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            behind = {projection_id: reached[projection_id] for projection_id in waiting}
            raise ProjectionWaitTimeoutError(checkpoint, behind, timeout)
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, LAST_POLL)


__all__ = ["wait_for_projections"]
