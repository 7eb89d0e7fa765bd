"""Registry of message classes by type name and schema version.

Stores keep a type name, a schema version and a class hint (the class's qualified name,
`module:qualname`) with each event; this registry turns them back into the exact class.
Classes register themselves when they are defined (see `Message.__init_subclass__`).

A class's identity is its qualified name, so `Order.Created` and `Invoice.Created`, or the
`OrderCreated` of two test modules, are distinct entries even when they share a type name:
defining them is never an error. Ambiguity only matters when a stored name must become a class
again: the hint picks the class when it names a live one; otherwise a type name claimed by
several classes raises `MessageTypeError` naming them, and a type name claimed by one (say, a
class whose module was renamed) resolves to it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from orchestrix.core.common.exceptions import MessageTypeError

if TYPE_CHECKING:
    from orchestrix.core.messaging.message import Message

_lock = threading.Lock()
_classes: dict[tuple[str, int], list[type[Message]]] = {}
_newest: dict[str, int] = {}
_resolved: dict[tuple[str, int | None, str | None], type[Message] | None] = {}
_generation = [0]


def registry_generation() -> int:
    """A number that changes whenever a class is registered or forgotten: caches of resolved
    names (the codec's decoders) are valid while it stays the same."""
    return _generation[0]


def class_hint(cls: type) -> str:
    """The qualified name stored beside the type name: `module:qualname`."""
    return f"{cls.__module__}:{cls.__qualname__}"


def register_message_class(cls: type[Message], type_name: str, schema_version: int) -> None:
    """Record `cls` under `(type_name, schema_version)`, beside any other class of that name.

    Redefining the same class (same qualified name, e.g. a reloaded module, or a dataclass
    rebuilt with slots, which shares the original's annotations) replaces the entry.
    """
    key = (type_name, schema_version)
    with _lock:
        kept = [other for other in _classes.get(key, ()) if not _same_definition(other, cls)]
        _classes[key] = [*kept, cls]
        _newest[type_name] = max(schema_version, _newest.get(type_name, schema_version))
        _resolved.clear()
        _generation[0] += 1


def forget_message_class(cls: type[Message]) -> None:
    """Remove `cls` from the registry (a class defined only for a test or a notebook cell)."""
    with _lock:
        for key, found in list(_classes.items()):
            if cls in found:
                _classes[key] = [other for other in found if other is not cls]
        _resolved.clear()
        _generation[0] += 1


def _same_definition(a: type, b: type) -> bool:
    if a.__module__ != b.__module__:
        return False
    if a.__qualname__ == b.__qualname__:
        return True
    # A slots dataclass is rebuilt from a copy of the original's namespace: same annotations.
    annotations = a.__dict__.get("__annotations__")  # noqa: RUF063 - identity, not contents
    return annotations is not None and annotations is b.__dict__.get("__annotations__")  # noqa: RUF063


def message_class(
    type_name: str, schema_version: int | None = None, hint: str | None = None
) -> type[Message] | None:
    """The class registered for a stored type name, or None when no live class claims it.

    `schema_version` None means the newest version. Raises `MessageTypeError` when several
    classes claim the name and `hint` names none of them.
    """
    key = (type_name, schema_version, hint)
    try:
        return _resolved[key]
    except KeyError:
        pass
    with _lock:
        found = _resolve(type_name, schema_version, hint)
        _resolved[key] = found
    return found


def _resolve(type_name: str, schema_version: int | None, hint: str | None) -> type[Message] | None:
    if schema_version is None:
        schema_version = _newest.get(type_name)
        if schema_version is None:
            return None
    candidates = _classes.get((type_name, schema_version), [])
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    for cls in candidates:
        if class_hint(cls) == hint:
            return cls
    names = ", ".join(class_hint(cls) for cls in candidates)
    raise MessageTypeError(
        f"Stored type name {type_name!r} (schema version {schema_version}) is claimed by "
        f"several classes: {names}; give each its own name with "
        f"`class ...(Event, type_name='...')`, or define only one of them in this process"
    )


def latest_schema_version(type_name: str) -> int | None:
    """The newest schema version registered for a type name, if any."""
    return _newest.get(type_name)


__all__ = [
    "class_hint",
    "forget_message_class",
    "latest_schema_version",
    "message_class",
    "register_message_class",
    "registry_generation",
]
