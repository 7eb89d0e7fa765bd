"""Comparing events as a test means them: same class, same fields, except generated metadata.

Every new event gets a fresh `id` and `timestamp`, and `caused_by` copies the correlation,
causation, trace and actor ids of its cause, so an event written by hand in a test never equals
the one the code produced on those fields. They are left out of comparisons by default
(`GENERATED_METADATA`); pass `ignoring=` to choose (`()` compares every field). When the events
differ, the error shows both lists as a diff, then the fields that differ.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from orchestrix.core.messaging.message import Message
from orchestrix.testing.errors import ScenarioAssertionError

GENERATED_METADATA: tuple[str, ...] = (
    "id",
    "timestamp",
    "correlation_id",
    "causation_id",
    "trace_id",
    "actor_id",
)
"""The fields left out of comparisons by default: set by the library, not by the domain."""

_ENVELOPE = {field.name: field for field in dataclasses.fields(Message)}


class _Compared:
    """A message seen through the fields a comparison looks at; equal when those are equal.

    Hashed by class only, so field values need not be hashable; `difflib` aligns two lists with
    this equality.
    """

    __slots__ = ("fields", "message")

    def __init__(self, message: Message, ignored: frozenset[str]) -> None:
        self.message = message
        self.fields = {
            field.name: getattr(message, field.name)
            for field in dataclasses.fields(message)
            if field.name not in ignored
        }

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Compared)
            and type(self.message) is type(other.message)
            and self.fields == other.fields
        )

    def __hash__(self) -> int:
        return hash(type(self.message))

    def render(self) -> str:
        """`Name(field=value, ...)`: its own fields, and envelope fields not at their default."""
        shown = ", ".join(
            f"{name}={value!r}"
            for name, value in self.fields.items()
            if name not in _ENVELOPE or not _is_default(self.message, name, value)
        )
        return f"{type(self.message).__name__}({shown})"


def _is_default(message: Message, name: str, value: object) -> bool:
    if name == "type":
        return value == type(message).__type_name__
    default = _ENVELOPE[name].default
    return default is not dataclasses.MISSING and value == default


def describe_events(
    messages: Sequence[Message], ignoring: Iterable[str] = GENERATED_METADATA
) -> str:
    """One message per line, indented, as comparisons show them; `(none)` for none."""
    ignored = frozenset(ignoring)
    return "\n".join(f"  {_Compared(message, ignored).render()}" for message in messages) or (
        "  (none)"
    )


def events_difference(
    expected: Sequence[Message],
    actual: Sequence[Message],
    ignoring: Iterable[str] = GENERATED_METADATA,
    *,
    noun: str = "event",
) -> str | None:
    """Why `actual` does not match `expected`, as a readable text; None when they match."""
    ignored = tuple(dict.fromkeys(ignoring))
    wanted = [_Compared(message, frozenset(ignored)) for message in expected]
    got = [_Compared(message, frozenset(ignored)) for message in actual]
    if wanted == got:
        return None
    diff: list[str] = []
    details: list[str] = []
    matcher = SequenceMatcher(a=wanted, b=got, autojunk=False)
    for operation, w1, w2, g1, g2 in matcher.get_opcodes():
        if operation == "equal":
            diff.extend(f"  {item.render()}" for item in wanted[w1:w2])
            continue
        diff.extend(f"- {item.render()}" for item in wanted[w1:w2])
        diff.extend(f"+ {item.render()}" for item in got[g1:g2])
        details.extend(
            _field_differences(wanted[w], got[g], w, g, noun)
            for w, g in zip(range(w1, w2), range(g1, g2), strict=False)
        )
    lines = [
        f"{noun.capitalize()}s differ: expected {count(len(expected), noun)}, "
        f"got {count(len(actual), noun)}.",
        "(- expected but missing, + recorded but not expected)",
        *diff,
    ]
    if details:
        lines += ["Field by field:", *details]
    lines.append(f"Not compared: {', '.join(ignored)}." if ignored else "Every field compared.")
    return "\n".join(lines)


def _field_differences(wanted: _Compared, got: _Compared, w: int, g: int, noun: str) -> str:
    where = f"{noun} {w + 1}" if w == g else f"expected {noun} {w + 1} / recorded {noun} {g + 1}"
    expected_type, actual_type = type(wanted.message).__name__, type(got.message).__name__
    if type(wanted.message) is not type(got.message):
        return f"  {where}: expected a {expected_type}, got a {actual_type}"
    changes = "; ".join(
        f"{name}: expected {value!r}, got {got.fields[name]!r}"
        for name, value in wanted.fields.items()
        if got.fields[name] != value
    )
    return f"  {where} ({expected_type}): {changes}"


def count(number: int, noun: str = "event") -> str:
    """`no events`, `1 event`, `3 events`."""
    if number == 0:
        return f"no {noun}s"
    return f"1 {noun}" if number == 1 else f"{number} {noun}s"


def assert_events_equal(
    expected: Sequence[Message],
    actual: Sequence[Message],
    *,
    ignoring: Iterable[str] = GENERATED_METADATA,
) -> None:
    """Raise `ScenarioAssertionError` with a diff unless the events match, in order."""
    __tracebackhide__ = True
    difference = events_difference(expected, actual, ignoring)
    if difference is not None:
        raise ScenarioAssertionError(difference)


__all__ = [
    "GENERATED_METADATA",
    "assert_events_equal",
    "count",
    "describe_events",
    "events_difference",
]
