"""Messages: immutable CloudEvents-style commands and events.

Every concrete subclass registers itself by type name (its class name unless it passes
`type_name=`) and schema version (`schema_version=`, default 1), so stores can rebuild the exact
class from what they stored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from orchestrix.core.common.propagation import current_trace_id
from orchestrix.core.messaging.registry import register_message_class


def _new_id() -> str:
    """A random (version 4) UUID in its canonical text form: `str(uuid.uuid4())` without the
    `UUID` object, which costs more than half of building a small event."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
    digits = raw.hex()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Message:
    """Base of every command and event; the fields are CloudEvents attributes."""

    __type_name__: ClassVar[str] = "Message"
    __schema_version__: ClassVar[int] = 1
    __schema_version_declared__: ClassVar[bool] = False

    id: str = field(default_factory=_new_id)
    specversion: str = "1.0"
    type: str = ""
    source: str = "orchestrix"
    timestamp: datetime = field(default_factory=_now)
    subject: str | None = None
    data: Any = None
    datacontenttype: str | None = None
    dataschema: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    trace_id: str | None = field(default_factory=current_trace_id)
    actor_id: str | None = None

    def __init_subclass__(
        cls, *, type_name: str | None = None, schema_version: int | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if type_name is not None:
            cls.__type_name__ = type_name
        elif "__type_name__" not in cls.__dict__:
            cls.__type_name__ = cls.__name__
        cls.__schema_version_declared__ = (
            schema_version is not None or "__schema_version__" in cls.__dict__
        )
        if schema_version is not None:
            if schema_version < 1:
                raise ValueError("schema_version must be 1 or greater")
            cls.__schema_version__ = schema_version
        elif "__schema_version__" not in cls.__dict__:
            cls.__schema_version__ = 1
        _keep_type_defaulting(cls)
        register_message_class(cls, cls.__type_name__, cls.__schema_version__)

    def __post_init__(self) -> None:
        if not self.type:
            object.__setattr__(self, "type", self.__type_name__)

    @classmethod
    def caused_by(cls, parent: Message, **fields: Any) -> Self:
        """A new message caused by `parent`: same correlation, trace and actor.

        The correlation id is the parent's, or the parent's id when it starts a chain; the
        causation id is the parent's id.
        """
        fields.setdefault("correlation_id", parent.correlation_id or parent.id)
        fields.setdefault("causation_id", parent.id)
        fields.setdefault("trace_id", parent.trace_id or current_trace_id())
        fields.setdefault("actor_id", parent.actor_id)
        return cls(**fields)


def _keep_type_defaulting(cls: type[Message]) -> None:
    """Make a subclass's own `__post_init__` fill in `type` first, even without `super()`."""
    own = cls.__dict__.get("__post_init__")
    if own is None or getattr(own, "__orchestrix_wrapped__", False):
        return

    def __post_init__(self: Message) -> None:
        if not self.type:
            object.__setattr__(self, "type", self.__type_name__)
        own(self)

    __post_init__.__orchestrix_wrapped__ = True  # type: ignore[attr-defined]
    __post_init__.__wrapped__ = own  # type: ignore[attr-defined]
    cls.__post_init__ = __post_init__  # type: ignore[method-assign]


@dataclass(frozen=True, kw_only=True)
class Command(Message):
    """An intent to change state, handled by exactly one command handler."""


@dataclass(frozen=True, kw_only=True)
class Event(Message):
    """A fact that has happened; the unit stored in event streams."""


__all__ = ["Command", "Event", "Message"]
