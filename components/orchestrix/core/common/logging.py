"""Logging for Orchestrix: stdlib loggers, with context passed as structured data.

The library never configures logging (no `basicConfig`); applications choose handlers and
formats. Context travels on the record as its `context` attribute, never formatted into the
message, so a JSON formatter can emit it as fields and messages stay greppable.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

ROOT_LOGGER_NAME = "orchestrix"

# Without a handler, records from an unconfigured application would reach Python's
# "last resort" stderr handler; the NullHandler keeps the library silent until the app decides.
logging.getLogger(ROOT_LOGGER_NAME).addHandler(logging.NullHandler())

# Frames between the user's call and `Logger.log`: StructuredLogger.<level> and `_log`.
_STACKLEVEL = 3


def get_logger(name: str) -> logging.Logger:
    """Return the stdlib logger `name` (pass `__name__`); handlers are the application's job."""
    return logging.getLogger(name)


class StructuredLogger:
    """Wraps a logger so that `**context` lands in `record.context` as a dict.

    The level is checked before anything is built, so a disabled DEBUG call costs one
    `isEnabledFor` lookup.
    """

    __slots__ = ("logger",)

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def debug(self, message: str, **context: object) -> None:
        self._log(logging.DEBUG, message, context)

    def info(self, message: str, **context: object) -> None:
        self._log(logging.INFO, message, context)

    def warning(self, message: str, **context: object) -> None:
        self._log(logging.WARNING, message, context)

    def error(self, message: str, **context: object) -> None:
        self._log(logging.ERROR, message, context)

    def exception(self, message: str, **context: object) -> None:
        """Log at ERROR with the exception being handled attached."""
        self._log(logging.ERROR, message, context, exc_info=True)

    def _log(
        self, level: int, message: str, context: dict[str, object], exc_info: bool = False
    ) -> None:
        if self.logger.isEnabledFor(level):
            self.logger.log(
                level,
                message,
                exc_info=exc_info,
                extra={"context": context},
                stacklevel=_STACKLEVEL,
            )


class ContextFormatter(logging.Formatter):
    """A formatter that appends a record's context as ` key=value` pairs, values as repr.

    The pairs go on the message line, before any traceback the base class adds.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        context = getattr(record, "context", None)
        if not isinstance(context, Mapping) or not context:
            return text
        pairs = " ".join(f"{key}={value!r}" for key, value in context.items())
        return f"{text} {pairs}"


__all__ = ["ROOT_LOGGER_NAME", "ContextFormatter", "StructuredLogger", "get_logger"]
