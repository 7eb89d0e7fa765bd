"""Opening the chosen event store for reading, without creating or migrating anything.

The stores migrate their schema when they open, which suits applications; a command that only
reads must not turn a mistyped path or database into an empty event store. So it checks first
that the database exists and is at the schema version this Orchestrix writes, and otherwise
says to run `orchestrix db migrate`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from orchestrix.cli.backends import ReadableStore, backend_of
from orchestrix.cli.errors import CliError
from orchestrix.cli.store_choice import StoreChoice


@asynccontextmanager
async def open_for_reading(store: StoreChoice) -> AsyncIterator[ReadableStore]:
    """The chosen store, open, on an existing and up-to-date schema; closed afterwards."""
    _require_sqlite_file(store)
    backend = backend_of(store)
    plan = await backend.schema_plan(store)
    plan.require_known(store.describe())
    if not plan.up_to_date:
        raise CliError(
            f"The {store.describe()} is at schema version {plan.current} of {plan.latest}: "
            "run 'orchestrix db migrate' first"
        )
    async with backend.open_event_store(store) as opened:
        yield opened


def _require_sqlite_file(store: StoreChoice) -> None:
    if store.backend == "sqlite" and not Path(store.dsn).exists():
        raise CliError(
            f"No SQLite event store at {store.dsn!r}: pass --dsn, or create it with "
            "'orchestrix db migrate'"
        )


__all__ = ["open_for_reading"]
