"""The message whose handler is running, so that log records can name what they serve.

The buses' instrumented handlers set it around each handler call; it follows the call into
coroutines, tasks and (where the store copies the context) worker threads, like any context
variable. It is only kept while something wants it: see `log_context.install_log_context`.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestrix.core.messaging.message import Message

handled_message: ContextVar[Message | None] = ContextVar("orchestrix_handled_message", default=None)


def current_message() -> Message | None:
    """The message being handled here, or None outside a handler (or with nothing listening)."""
    return handled_message.get()


__all__ = ["current_message", "handled_message"]
