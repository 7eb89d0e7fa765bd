"""Translation of asyncpg's errors into the Orchestrix error tree, at the driver boundary.

Callers catch `StoreUnavailableError` to retry later (server down, restarting, connections
exhausted or cut) and `StoreError` for anything else the server refused; the driver's error is
always kept as `__cause__`. Constraint violations are translated where their meaning is known
(the event store turns them into `ConcurrencyError` / `DuplicateEventError`).
"""

from __future__ import annotations

from typing import NoReturn

import asyncpg

from orchestrix.core.common.exceptions import StoreError, StoreUnavailableError

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable, and TimeoutError
    asyncpg.PostgresConnectionError,  # includes ConnectionDoesNotExistError
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


def raise_translated(error: BaseException, operation: str) -> NoReturn:
    """Raise the Orchestrix error for a driver `error`, chained to it; re-raise anything else.

    Our own errors pass through, and errors that are not the driver's (bugs, cancellation)
    surface unchanged.
    """
    if isinstance(error, _UNAVAILABLE):
        message = f"PostgreSQL is unavailable while {operation}: {error!r}"
        raise StoreUnavailableError(message) from error
    if isinstance(error, asyncpg.PostgresError | asyncpg.InterfaceError):
        raise StoreError(f"PostgreSQL refused {operation}: {error!r}") from error
    raise error


__all__ = ["raise_translated"]
