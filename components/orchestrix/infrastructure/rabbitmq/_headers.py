"""The AMQP headers Orchestrix reads and writes beyond the message's own.

Retries are counted in `x-retry-count`, set on each retry copy; a message the broker
dead-lettered back into a queue (no such header) is counted from the `x-death` entries the
broker keeps for that queue. `x-max-retries` on a message overrides the bus's retry policy
for it (Orkestra's header). A dead letter keeps why and where it failed in `x-orchestrix-*`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RETRY_COUNT = "x-retry-count"
MAX_RETRIES = "x-max-retries"
REASON = "x-orchestrix-reason"
ERROR = "x-orchestrix-error"
QUEUE = "x-orchestrix-queue"
FAILURE_COUNT = "x-orchestrix-failure-count"
ORIGINAL_EXCHANGE = "x-orchestrix-original-exchange"
ORIGINAL_ROUTING_KEY = "x-orchestrix-original-routing-key"
DEAD_LETTERED_AT = "x-orchestrix-dead-lettered-at"
DEAD_LETTER_HEADERS = (
    REASON,
    ERROR,
    QUEUE,
    FAILURE_COUNT,
    ORIGINAL_EXCHANGE,
    ORIGINAL_ROUTING_KEY,
    DEAD_LETTERED_AT,
)
MAX_ERROR_TEXT = 2000


def _int(value: Any) -> int | None:
    return value if type(value) is int and value >= 0 else None


def retries_so_far(headers: Mapping[str, Any] | None, queue: str) -> int:
    """How often a message was retried for `queue` already."""
    headers = headers or {}
    counted = _int(headers.get(RETRY_COUNT))
    if counted is not None:
        return counted
    deaths = headers.get("x-death")
    if not isinstance(deaths, list):
        return 0
    return sum(
        _int(death.get("count")) or 0
        for death in deaths
        if isinstance(death, Mapping)
        and death.get("queue") == queue
        and death.get("reason") in ("rejected", b"rejected")
    )


def max_retries(headers: Mapping[str, Any] | None) -> int | None:
    """The message's own retry limit, if it carries one."""
    return _int((headers or {}).get(MAX_RETRIES))


def broker_reason(headers: Mapping[str, Any] | None) -> str | None:
    """Why the broker dead-lettered a message (`rejected`, `expired`, ...), from `x-death`."""
    deaths = (headers or {}).get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], Mapping):
        reason = deaths[0].get("reason")
        return reason.decode() if isinstance(reason, bytes) else str(reason)
    return None


def without_delivery_state(headers: Mapping[str, Any] | None) -> dict[str, Any]:
    """The message's headers without retry and dead-letter bookkeeping: for a fresh start."""
    dropped = {RETRY_COUNT, "x-death", "x-first-death-exchange", "x-first-death-queue"}
    dropped.update(DEAD_LETTER_HEADERS, {"x-first-death-reason"})
    return {name: value for name, value in (headers or {}).items() if name not in dropped}


__all__ = [
    "DEAD_LETTERED_AT",
    "ERROR",
    "FAILURE_COUNT",
    "MAX_ERROR_TEXT",
    "MAX_RETRIES",
    "ORIGINAL_EXCHANGE",
    "ORIGINAL_ROUTING_KEY",
    "QUEUE",
    "REASON",
    "RETRY_COUNT",
    "broker_reason",
    "max_retries",
    "retries_so_far",
    "without_delivery_state",
]
