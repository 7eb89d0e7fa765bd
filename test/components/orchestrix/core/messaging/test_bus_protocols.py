"""The messaging Protocols are structural: the type checker decides who satisfies them.

They are not runtime-checkable on purpose (an isinstance check cannot tell a sync `publish`
from an async one), so these tests run mypy on small programs: the in-memory implementations
must satisfy their Protocol, and the wrong pairings must be rejected.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from mypy import api

PYPROJECT = Path(__file__).parents[5] / "pyproject.toml"

PROGRAM = """
from orchestrix.core.eventsourcing.event_store import EventStore
from orchestrix.core.messaging.command_handler import CommandHandler
from orchestrix.core.messaging.dead_letter_queue import DeadLetterQueue, InMemoryDeadLetterQueue
from orchestrix.core.messaging.message import Command, Event
from orchestrix.core.messaging.message_bus import (
    AsyncMessageBus,
    AsyncMessageHandler,
    MessageBus,
    MessageHandler,
)
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus


class CreateUser(Command):
    user_id: str


class UserCreated(Event):
    user_id: str


class CreateUserHandler:
    def __init__(self, bus: MessageBus, store: EventStore) -> None:
        self.bus = bus
        self.store = store

    def handle(self, command: CreateUser) -> None: ...

    def _persist_and_publish(self, aggregate_id: str, events: list[Event]) -> None: ...


class NoPublish:
    def subscribe(self, message_type: type[Event], handler: MessageHandler[Event]) -> None: ...


def send_email(event: UserCreated) -> None: ...


async def index_user(event: UserCreated) -> None: ...


def build(store: EventStore) -> None:
    bus: MessageBus = InMemoryMessageBus()
    async_bus: AsyncMessageBus = InMemoryAsyncMessageBus()
    queue: DeadLetterQueue = InMemoryDeadLetterQueue()
    handler: CommandHandler[CreateUser] = CreateUserHandler(bus, store)
    plain: MessageHandler[UserCreated] = send_email
    coroutine: AsyncMessageHandler[UserCreated] = index_user
    bus.subscribe(UserCreated, send_email)
    async_bus.subscribe(UserCreated, index_user)
    async_bus.subscribe(UserCreated, send_email)

    wrong_async: AsyncMessageBus = InMemoryMessageBus()  # error: assignment
    wrong_sync: MessageBus = InMemoryAsyncMessageBus()  # error: assignment
    incomplete: MessageBus = NoPublish()  # error: assignment
    bus.subscribe(UserCreated, index_user)  # error: arg-type
    bus.subscribe(Event, send_email)  # error: arg-type
    wrong_command: CommandHandler[Command] = CreateUserHandler(bus, store)  # error: assignment
"""


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    program = tmp_path_factory.mktemp("protocols") / "program.py"
    program.write_text(textwrap.dedent(PROGRAM))
    stdout, stderr, _ = api.run(["--config-file", str(PYPROJECT), str(program)])
    assert not stderr, stderr
    errors: dict[int, str] = {}
    for line in stdout.splitlines():
        # Match by file name: mypy's cache may report an identical program under its old path.
        found = re.match(r".*program\.py:(\d+): error: .*\[([a-z-]+)\]$", line)
        if found:
            errors[int(found[1])] = found[2]
    return errors


def expected_errors() -> dict[int, str]:
    return {
        number: line.rsplit("# error: ", 1)[1]
        for number, line in enumerate(textwrap.dedent(PROGRAM).splitlines(), start=1)
        if "# error: " in line
    }


def test_the_in_memory_implementations_satisfy_their_protocols(
    mypy_errors: dict[int, str],
) -> None:
    unexpected = {line: code for line, code in mypy_errors.items() if line not in expected_errors()}
    assert unexpected == {}


def test_wrong_pairings_are_rejected_by_the_type_checker(mypy_errors: dict[int, str]) -> None:
    assert {line: mypy_errors.get(line) for line in expected_errors()} == expected_errors()
