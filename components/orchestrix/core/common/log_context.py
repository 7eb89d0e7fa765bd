"""Log records that say which message they serve and which trace they belong to.

`install_log_context()` (one line, after logging is configured) gives every record that
reaches the root logger's handlers the attributes `correlation_id`, `causation_id`,
`actor_id`, `message_id`, `message_type`, `trace_id` and `span_id` (None outside a handler or
a trace), so a format string or a JSON formatter can show them. It works through a filter on
the handlers, not a record factory: a factory's attributes would make `extra=` with the same
names raise.

The correlation id of a message that starts a chain is its own id, as for the messages it
causes (`Message.caused_by`).
"""

from __future__ import annotations

import logging

from orchestrix.core.common._observation import want_message_context
from orchestrix.core.common.message_context import current_message
from orchestrix.core.common.propagation import current_trace_context

FIELDS = (
    "correlation_id",
    "causation_id",
    "actor_id",
    "message_id",
    "message_type",
    "trace_id",
    "span_id",
)


def message_log_context() -> dict[str, str | None]:
    """The fields as they stand here and now."""
    message = current_message()
    trace = current_trace_context()
    fields: dict[str, str | None] = dict.fromkeys(FIELDS)
    if message is not None:
        fields["correlation_id"] = message.correlation_id or message.id
        fields["causation_id"] = message.causation_id
        fields["actor_id"] = message.actor_id
        fields["message_id"] = message.id
        fields["message_type"] = message.type
    if trace is not None:
        fields["trace_id"] = trace.trace_id
        fields["span_id"] = trace.span_id
    return fields


class MessageContextFilter(logging.Filter):
    """Adds the message and trace fields to each record passing through (never drops one).

    Fields the record already has (passed in `extra`) are kept. Creating the filter keeps
    the message being handled in context from then on, so `dictConfig` can create it too.
    """

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        want_message_context()

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in message_log_context().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def install_log_context(handler: logging.Handler | None = None) -> None:
    """Add the fields to the records of `handler`, or of every handler of the root logger.

    Call it after configuring logging (`logging.basicConfig(...)`); installing twice adds
    the fields once.
    """
    handlers = [handler] if handler is not None else logging.getLogger().handlers
    if not handlers:
        raise ValueError(
            "No handler to add the log context to: configure logging first "
            "(logging.basicConfig()) or pass a handler"
        )
    for target in handlers:
        if not any(isinstance(known, MessageContextFilter) for known in target.filters):
            target.addFilter(MessageContextFilter())


def remove_log_context(handler: logging.Handler | None = None) -> None:
    """Undo `install_log_context` (same argument); the message is no longer kept in context."""
    handlers = [handler] if handler is not None else logging.getLogger().handlers
    for target in handlers:
        for known in [f for f in target.filters if isinstance(f, MessageContextFilter)]:
            target.removeFilter(known)
    want_message_context(False)


__all__ = [
    "FIELDS",
    "MessageContextFilter",
    "install_log_context",
    "message_log_context",
    "remove_log_context",
]
