"""Time columns of the SQLite feature tables: UTC ISO text with microseconds.

Fixed-width UTC text compares as the times do, so `ORDER BY` and `<` on the column are time
order.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_text(moment: datetime | None) -> str | None:
    """`moment` as UTC ISO text with microseconds (None stays None)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(text: str | None) -> datetime | None:
    """The time `utc_text` wrote (None stays None)."""
    return None if text is None else datetime.fromisoformat(text)


__all__ = ["parse_time", "utc_text"]
