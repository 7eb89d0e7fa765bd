"""Where "now" comes from, so deadlines and staleness checks can be driven in tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from orchestrix.core.common.validation import ValidationError


class Clock(Protocol):
    """Tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to: `advance(timedelta(minutes=15))`."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = require_aware(start, "start") if start is not None else datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` (never backwards) and return the new time."""
        if delta < timedelta(0):
            raise ValidationError("must not be negative", "delta", delta)
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        """Jump to `moment` (an aware datetime, not earlier than now)."""
        moment = require_aware(moment, "moment")
        if moment < self._now:
            raise ValidationError("must not be earlier than the clock's time", "moment", moment)
        self._now = moment


def require_aware(moment: object, field: str) -> datetime:
    """`moment` in UTC; a naive datetime (or anything else) is a `ValidationError`."""
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValidationError("must be a timezone-aware datetime", field, moment)
    return moment.astimezone(UTC)


SYSTEM_CLOCK = SystemClock()

__all__ = ["SYSTEM_CLOCK", "Clock", "ManualClock", "SystemClock", "require_aware"]
