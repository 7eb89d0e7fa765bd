"""Words of a type name, for the names derived from it (`_when_` methods, topics).

It sits in `common`, below both the aggregates and the messaging package, so either can derive
names without importing the other.
"""

from __future__ import annotations

import re

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(type_name: str) -> str:
    """`OrderCreated` → `order_created`, `HTTPRequestSent` → `http_request_sent`."""
    return _WORD_BOUNDARY.sub("_", type_name).replace(".", "_").lower()


__all__ = ["snake_case"]
