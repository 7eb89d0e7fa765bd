"""What `projection list` and `projection status` show of a projection.

A report is read from the checkpoint store (the state, the dead letters) and the event store's
head (the lag: events stored after the checkpoint, and the age of the oldest of them), as a
worker would report it, without running the projection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestrix.cli.backends import Projections
from orchestrix.cli.checkpoints import format_checkpoint
from orchestrix.cli.errors import CliError
from orchestrix.core.eventsourcing.projection_dead_letters import DeadLetteredEvent
from orchestrix.core.eventsourcing.projection_state import ProjectionState
from orchestrix.core.eventsourcing.subscription_lag import Lag

_NAMES_SHOWN = 10


@dataclass(frozen=True, slots=True)
class ProjectionReport:
    """One projection's state, its dead letters and its lag behind the log's head."""

    state: ProjectionState
    dead_letters: list[DeadLetteredEvent]
    lag: Lag

    @property
    def health(self) -> str:
        return "healthy" if self.state.is_healthy else "failing"

    def as_json(self) -> dict[str, Any]:
        state = self.state
        return {
            "name": state.projection_id,
            "checkpoint": format_checkpoint(state.checkpoint),
            "last_event_id": state.last_processed_event_id,
            "updated_at": state.updated_at.isoformat(),
            "healthy": state.is_healthy,
            "error_count": state.error_count,
            "dead_letters": len(self.dead_letters),
            "lag_events": self.lag.events,
            "lag_seconds": round(self.lag.seconds, 3),
        }


async def report(projections: Projections, state: ProjectionState) -> ProjectionReport:
    assert projections.checkpoints is not None, "a state was read from the checkpoint store"
    dead = await projections.checkpoints.dead_letters(state.projection_id)
    backlog = await projections.head.backlog(state.checkpoint)
    return ProjectionReport(state, dead, backlog.lag())


async def all_states(projections: Projections) -> list[ProjectionState]:
    """Every projection's state (none where no projection has kept a checkpoint)."""
    if projections.checkpoints is None:
        return []
    return await projections.checkpoints.states()


async def known_state(projections: Projections, name: str) -> ProjectionState:
    """The state of projection `name`; a `CliError` naming the known ones if there is none."""
    state = None
    if projections.checkpoints is not None:
        state = await projections.checkpoints.load_state(name)
    if state is not None:
        return state
    known = [state.projection_id for state in await all_states(projections)]
    listed = ", ".join(repr(name) for name in known[:_NAMES_SHOWN])
    if len(known) > _NAMES_SHOWN:
        listed += f" and {len(known) - _NAMES_SHOWN} more"
    hint = f"the projections are: {listed}" if known else "no projection has a checkpoint there"
    raise CliError(f"Unknown projection {name!r} in the {projections.where}; {hint}")


def format_age(seconds: float) -> str:
    """A duration as people read it: `0 s`, `42 s`, `3 min`, `5 h 20 min`, `2 d 3 h`."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, hours, days = whole // 60, whole // 3600, whole // 86400
    if hours == 0:
        return f"{minutes} min"
    if days == 0:
        return f"{hours} h {minutes % 60} min"
    return f"{days} d {hours % 24} h"


__all__ = ["ProjectionReport", "all_states", "format_age", "known_state", "report"]
