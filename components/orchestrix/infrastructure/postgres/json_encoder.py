"""`OrchestrixJSONEncoder`, kept for code written against the first release.

That release's PostgreSQL store encoded event data with it; this store uses the codec instead
(classes, Decimals, datetimes and UUIDs load back as they were saved). The encoder remains for
applications that used it for JSON of their own.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID


class OrchestrixJSONEncoder(json.JSONEncoder):
    """`json.JSONEncoder` that writes a Decimal, datetime or UUID as `str(value)` (so a
    datetime has a space between date and time) and a dataclass instance as its
    `dataclasses.asdict`; anything else unsupported raises `TypeError` as usual."""

    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal | datetime | UUID):
            return str(o)
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        return super().default(o)


__all__ = ["OrchestrixJSONEncoder"]
