"""Registry of message classes by type name and schema version.

Stores keep only a type name and a schema version with each event; this registry turns them
back into the exact class. Classes register themselves when they are defined (see
`Message.__init_subclass__`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from orchestrix.core.common.exceptions import MessageTypeError

if TYPE_CHECKING:
    from orchestrix.core.messaging.message import Message

_lock = threading.Lock()
_classes: dict[tuple[str, int], type[Message]] = {}
_latest: dict[str, type[Message]] = {}


def register_message_class(cls: type[Message], type_name: str, schema_version: int) -> None:
    """Record `cls` under `(type_name, schema_version)`.

    Redefining the same class (same module and name, e.g. a reloaded module or a dataclass
    rebuilt with slots, which gets its qualified name only afterwards) replaces the entry; a
    different class under a taken name is an error: stores could no longer tell them apart.
    """
    key = (type_name, schema_version)
    with _lock:
        existing = _classes.get(key)
        if existing is not None and not _same_definition(existing, cls):
            raise MessageTypeError(
                f"Message type {type_name!r} (schema version {schema_version}) is already "
                f"registered by {existing.__module__}.{existing.__qualname__}; give "
                f"{cls.__module__}.{cls.__qualname__} its own name with "
                f"`class {cls.__name__}(..., type_name='...')`"
            )
        _classes[key] = cls
        latest = _latest.get(type_name)
        if (
            latest is None
            or _same_definition(latest, cls)
            or (latest.__schema_version__ <= schema_version)
        ):
            _latest[type_name] = cls


def _same_definition(a: type, b: type) -> bool:
    return a.__module__ == b.__module__ and a.__name__ == b.__name__


def message_class(type_name: str, schema_version: int | None = None) -> type[Message] | None:
    """The class registered for a type name: the given schema version, or the newest one."""
    if schema_version is None:
        return _latest.get(type_name)
    return _classes.get((type_name, schema_version))


def latest_schema_version(type_name: str) -> int | None:
    """The newest schema version registered for a type name, if any."""
    cls = _latest.get(type_name)
    return None if cls is None else cls.__schema_version__
