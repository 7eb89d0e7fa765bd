"""Blue/green rebuilds: a new version of a projection builds beside the live one.

The new version has its own projection id, checkpoint and tables, and its runner catches up
from the origin while the old version keeps serving reads. Readers find the version to use
with `CheckpointStore.live(name)`; `promote_when_caught_up` switches `name` to the new
version only once it has reached the end of the log, in one transaction that may also swap
what readers query (a view, say), so a reader never sees an empty or half-built model.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from orchestrix.core.eventsourcing.subscription import ProjectionRunner

type PromoteHook = Callable[[Any], Any]
"""Called with the transaction's connection (None for at-least-once stores), sync or async."""


async def promote_when_caught_up(
    candidate: ProjectionRunner,
    name: str,
    *,
    on_promote: PromoteHook | None = None,
) -> None:
    """Wait until the running `candidate` has caught up, then make it the live `name`.

    Bound the wait with `asyncio.timeout`: if it expires, the live version stays as it was.
    """
    await candidate.wait_caught_up()
    async with candidate.checkpoints.transaction() as transaction:
        if on_promote is not None:
            result = on_promote(transaction.connection)
            if inspect.isawaitable(result):
                await result
        await transaction.set_live(name, candidate.projection_id)


__all__ = ["promote_when_caught_up"]
