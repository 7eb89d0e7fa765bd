"""Process instances and deadlines as the rows durable stores keep, written once for all.

JSON columns hold text: the state (codec data), the handled message ids, the active deadlines
by name, and the pending decisions (`{"send": [...], "schedule": [...], "cancel": [...]}`).
Messages travel as tagged values, so they come back as their registered classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from orchestrix.core.common.exceptions import EventDecodingError
from orchestrix.core.execution.deadline import Deadline
from orchestrix.core.execution.process_instance import ProcessInstance, ProcessStatus
from orchestrix.core.execution.value_codec import check_text, decode_value, dump_data, encode_value
from orchestrix.core.messaging.jsonio import load_json
from orchestrix.core.messaging.message import Message

DEADLINE_COLUMNS = ("deadline_id", "owner_type", "owner_id", "name", "due_at", "message")
"""The deadline row's columns, in the order of `deadline_values`; `due_at` is a time."""

INSTANCE_COLUMNS = (
    "process_type",
    "process_id",
    "status",
    "version",
    "state",
    "handled",
    "deadlines",
    "pending",
    "has_pending",
    "created_at",
    "updated_at",
)
"""The instance row's columns, in the order of `instance_values`; the last two are times."""


def deadline_values(deadline: Deadline) -> tuple[Any, ...]:
    """The column values of `deadline`; `StateEncodingError` if its message cannot be kept."""
    for name in ("deadline_id", "owner_type", "owner_id", "name"):
        check_text(getattr(deadline, name), name)
    return (
        deadline.deadline_id,
        deadline.owner_type,
        deadline.owner_id,
        deadline.name,
        deadline.due_at,
        dump_data(encode_value(deadline.message)).decode(),
    )


def deadline_from_row(row: Sequence[Any]) -> Deadline:
    deadline_id, owner_type, owner_id, name, due_at, message = row
    return Deadline(
        deadline_id=deadline_id,
        owner_type=owner_type,
        owner_id=owner_id,
        name=name,
        due_at=due_at,
        message=_message(load_json(message)),
    )


def _message(data: Any) -> Message:
    message = decode_value(data)
    if not isinstance(message, Message):
        raise EventDecodingError(f"Stored message is not a message: {data!r:.80}")
    return message


def _deadline_data(deadline: Deadline) -> dict[str, Any]:
    return {
        "deadline_id": deadline.deadline_id,
        "owner_type": deadline.owner_type,
        "owner_id": deadline.owner_id,
        "name": deadline.name,
        "due_at": deadline.due_at.isoformat(),
        "message": encode_value(deadline.message),
    }


def _deadline_from_data(data: dict[str, Any]) -> Deadline:
    return Deadline(
        deadline_id=data["deadline_id"],
        owner_type=data["owner_type"],
        owner_id=data["owner_id"],
        name=data["name"],
        due_at=datetime.fromisoformat(data["due_at"]),
        message=_message(data["message"]),
    )


def instance_values(instance: ProcessInstance) -> tuple[Any, ...]:
    """The column values of `instance`; `StateEncodingError` if something cannot be kept."""
    check_text(instance.process_type, "process_type")
    check_text(instance.process_id, "process_id")
    pending = {
        "send": [encode_value(message) for message in instance.outbox],
        "schedule": [_deadline_data(deadline) for deadline in instance.to_schedule],
        "cancel": list(instance.to_cancel),
    }
    return (
        instance.process_type,
        instance.process_id,
        instance.status.value,
        instance.version,
        dump_data(instance.state).decode(),
        dump_data(list(instance.handled)).decode(),
        dump_data(instance.deadlines).decode(),
        dump_data(pending).decode(),
        instance.has_pending,
        instance.created_at,
        instance.updated_at,
    )


def instance_from_row(row: Sequence[Any]) -> ProcessInstance:
    """The instance whose `instance_values` (times as datetimes) are `row`."""
    (process_type, process_id, status, version, state, handled, deadlines, pending, _, *times) = row
    created, updated = times
    try:
        decisions = load_json(pending)
        return ProcessInstance(
            process_type=process_type,
            process_id=process_id,
            status=ProcessStatus(status),
            state=load_json(state),
            handled=tuple(load_json(handled)),
            deadlines=load_json(deadlines),
            outbox=tuple(_message(message) for message in decisions["send"]),
            to_schedule=tuple(_deadline_from_data(item) for item in decisions["schedule"]),
            to_cancel=tuple(decisions["cancel"]),
            version=version,
            created_at=created,
            updated_at=updated,
        )
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, EventDecodingError):
            raise
        message = f"Stored process instance {process_type}/{process_id} is malformed: {error!r}"
        raise EventDecodingError(message) from error


__all__ = [
    "DEADLINE_COLUMNS",
    "INSTANCE_COLUMNS",
    "deadline_from_row",
    "deadline_values",
    "instance_from_row",
    "instance_values",
]
