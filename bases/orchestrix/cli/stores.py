"""Opening the chosen store for the commands, without creating or migrating anything.

The stores migrate their schema when they open, which suits applications; a command that only
reads must not turn a mistyped path or database into an empty event store. So it checks first
that the database exists and is at the schema version this Orchestrix writes, and otherwise
says to run `orchestrix db migrate`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from orchestrix.cli.backends import Projections, ReadableStore, backend_of
from orchestrix.cli.errors import CliError
from orchestrix.cli.store_choice import StoreChoice
from orchestrix.core.execution.saga_state import SagaStateStore


@asynccontextmanager
async def open_for_reading(store: StoreChoice) -> AsyncIterator[ReadableStore]:
    """The chosen store, open, on an existing and up-to-date schema; closed afterwards."""
    await _require_current_schema(store)
    async with backend_of(store).open_event_store(store) as opened:
        yield opened


@asynccontextmanager
async def open_projections(
    store: StoreChoice, checkpoints: str | None = None
) -> AsyncIterator[Projections]:
    """The chosen event store with its projections' checkpoints (see `Projections`)."""
    await _require_current_schema(store)
    async with backend_of(store).open_projections(store, checkpoints) as opened:
        yield opened


@asynccontextmanager
async def open_sagas(store: StoreChoice) -> AsyncIterator[SagaStateStore | None]:
    """The chosen store's sagas (None where none was ever stored). A SQLite file may hold
    sagas only, so only PostgreSQL's schema is checked here."""
    if store.backend == "postgres":
        await _require_current_schema(store)
    async with backend_of(store).open_sagas(store) as opened:
        yield opened


async def _require_current_schema(store: StoreChoice) -> None:
    _require_sqlite_file(store)
    plan = await backend_of(store).schema_plan(store)
    plan.require_known(store.describe())
    if not plan.up_to_date:
        raise CliError(
            f"The {store.describe()} is at schema version {plan.current} of {plan.latest}: "
            "run 'orchestrix db migrate' first"
        )


def _require_sqlite_file(store: StoreChoice) -> None:
    if store.backend == "sqlite" and not Path(store.dsn).exists():
        raise CliError(
            f"No SQLite event store at {store.dsn!r}: pass --dsn, or create it with "
            "'orchestrix db migrate'"
        )


__all__ = ["open_for_reading", "open_projections", "open_sagas"]
