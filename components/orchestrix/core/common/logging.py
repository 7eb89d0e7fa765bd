"""Logging for Orchestrix: stdlib loggers under `orchestrix`, with context in two forms.

The library never configures logging (no `basicConfig`); applications choose handlers and
formats. A `StructuredLogger` writes its context into the message as the first release did
(`Event processed [event_type=UserCreated, version=1]`), so plain-text logs stay readable, and
also attaches it to the record as the `context` attribute (a dict), so a JSON formatter can
emit it as fields.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

ROOT_LOGGER_NAME = "orchestrix"

# Without a handler, records from an unconfigured application would reach Python's
# "last resort" stderr handler; the NullHandler keeps the library silent until the app decides.
logging.getLogger(ROOT_LOGGER_NAME).addHandler(logging.NullHandler())

# Frames between the user's call and the logger: StructuredLogger.<level> and `_log`.
_STACKLEVEL = 3


def get_logger(name: str) -> logging.Logger:
    """The stdlib logger `orchestrix.<name>`; a name already under `orchestrix` is kept.

    So `get_logger("billing")` is `orchestrix.billing` and `get_logger(__name__)` in a library
    module is that module's own name, never `orchestrix.orchestrix.<...>`.
    """
    if name != ROOT_LOGGER_NAME and not name.startswith(f"{ROOT_LOGGER_NAME}."):
        name = f"{ROOT_LOGGER_NAME}.{name}"
    return logging.getLogger(name)


def with_context(message: str, context: Mapping[str, object]) -> str:
    """`message [key=value, ...]`, values formatted with `str()`; the message alone if none."""
    if not context:
        return message
    pairs = ", ".join(f"{key}={value}" for key, value in context.items())
    return f"{message} [{pairs}]"


class StructuredLogger:
    """Wraps a logger: `info("Saved", stream="ACC-1")` logs `Saved [stream=ACC-1]`.

    Each method calls the wrapped logger's method of the same name with the formatted text as
    its only positional argument and the context as `extra={"context": {...}}`. The level is
    checked first, so a disabled DEBUG call formats nothing.
    """

    __slots__ = ("logger",)

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def debug(self, message: str, **context: object) -> None:
        self._log(logging.DEBUG, "debug", message, context)

    def info(self, message: str, **context: object) -> None:
        self._log(logging.INFO, "info", message, context)

    def warning(self, message: str, **context: object) -> None:
        self._log(logging.WARNING, "warning", message, context)

    def error(self, message: str, **context: object) -> None:
        self._log(logging.ERROR, "error", message, context)

    def exception(self, message: str, **context: object) -> None:
        """Log at ERROR with the exception being handled attached."""
        self._log(logging.ERROR, "exception", message, context)

    @staticmethod
    def _format_context(**context: object) -> str:
        """The suffix the release appended: ` [key=value, ...]`, or `""` without context."""
        return with_context("", context)

    def _log(self, level: int, method: str, message: str, context: dict[str, object]) -> None:
        if self.logger.isEnabledFor(level):
            getattr(self.logger, method)(
                with_context(message, context),
                extra={"context": context},
                stacklevel=_STACKLEVEL,
            )


__all__ = ["ROOT_LOGGER_NAME", "StructuredLogger", "get_logger", "with_context"]
