"""DEBUG logging on the buses' publish path, with a level check cheap enough for every message.

`Logger.isEnabledFor` is a Python call that costs about as much as dispatching a message to a
no-op handler. CPython memoises its answers per level in the logger's `_cache` dict and empties
that dict in place on every level change (`setLevel`, `logging.disable`, `dictConfig`), so the
buses read the memo first and ask `isEnabledFor` only on a miss:

    try:
        debug = levels[DEBUG]
    except KeyError:
        debug = logger.isEnabledFor(DEBUG)

A stale True is harmless (`logger.debug` checks again); where the memo does not exist the dict
stays empty and every check falls through to `isEnabledFor`.
"""

from __future__ import annotations

import logging

from orchestrix.core.common.logging import with_context


def level_cache(logger: logging.Logger) -> dict[int, bool]:
    """The memo of `logger.isEnabledFor` answers by level, or an empty dict if it has none."""
    cache = getattr(logger, "_cache", None)
    return cache if isinstance(cache, dict) else {}


def log_debug(logger: logging.Logger, message: str, **context: object) -> None:
    """Log `message [key=value, ...]` at DEBUG, with the context also as `record.context`;
    nothing is formatted while DEBUG is off."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(with_context(message, context), extra={"context": context}, stacklevel=2)


__all__ = ["level_cache", "log_debug"]
