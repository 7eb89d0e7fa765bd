"""The names and arguments of every exchange and queue, after Orkestra's RabbitMQ adapter.

| what | name | kind |
|---|---|---|
| commands | `<ns>.commands` | durable topic exchange; routing key = the command's topic |
| events | `<ns>.events` | durable topic exchange; routing key = the event's topic |
| dead letters | `<ns>.deadletter` | durable topic exchange, catch-all queue `<ns>.deadletter` |
| a command type | `<ns>.command.<topic>` | durable queue, competing consumers |
| an event handler | `<ns>.handler.<name>` | durable queue bound to each topic it handles |
| its retries | `<queue>.retry` | durable queue; expired messages go back to `<queue>` |

Every work queue names the dead-letter exchange (`x-dead-letter-exchange`), so a message the
broker itself gives up on (rejected, expired, over a length limit) lands with the others.
A retry is a copy published to `<queue>.retry` with a per-message expiry (the backoff
delay); on expiry the broker dead-letters it to the default exchange with the work queue's name
as routing key: back to the queue, with no consumer waiting in the meantime.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.topics import validate_topic

_NAME = re.compile(r"[A-Za-z0-9_.:-]+")
MAX_NAME_BYTES = 255


def check_name(name: str, field: str) -> str:
    """An exchange or queue name: printable, no spaces, at most 255 bytes."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValidationError("must be letters, digits and . _ : - only", field, name)
    if len(name.encode()) > MAX_NAME_BYTES:
        raise ValidationError(f"must be at most {MAX_NAME_BYTES} bytes", field, name)
    return name


@dataclass(frozen=True, slots=True)
class Topology:
    """Exchange and queue names under one namespace (`orchestrix` by default)."""

    namespace: str = "orchestrix"

    def __post_init__(self) -> None:
        check_name(self.namespace, "namespace")

    @property
    def commands(self) -> str:
        return f"{self.namespace}.commands"

    @property
    def events(self) -> str:
        return f"{self.namespace}.events"

    @property
    def deadletter(self) -> str:
        """The dead-letter exchange, and its catch-all queue of the same name."""
        return f"{self.namespace}.deadletter"

    def command_queue(self, topic: str) -> str:
        return check_name(f"{self.namespace}.command.{validate_topic(topic)}", "queue")

    def handler_queue(self, handler_name: str) -> str:
        return check_name(f"{self.namespace}.handler.{handler_name}", "handler name")

    @staticmethod
    def retry_queue(queue: str) -> str:
        return check_name(f"{queue}.retry", "queue")

    def work_queue_arguments(self) -> dict[str, Any]:
        return {"x-dead-letter-exchange": self.deadletter}

    @staticmethod
    def retry_queue_arguments(queue: str) -> dict[str, Any]:
        return {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue}


__all__ = ["MAX_NAME_BYTES", "Topology", "check_name"]
