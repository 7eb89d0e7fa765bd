"""Messages, their codec and registry, the bus protocols and the dead-letter queue."""

from orchestrix.core.messaging.command_handler import CommandHandler
from orchestrix.core.messaging.dead_letter_queue import (
    DeadLetteredMessage,
    DeadLetterQueue,
    DeadLetterReason,
    InMemoryDeadLetterQueue,
)
from orchestrix.core.messaging.message import Command, Event, Message
from orchestrix.core.messaging.message_bus import (
    AsyncMessageBus,
    AsyncMessageHandler,
    MessageBus,
    MessageHandler,
)

__all__ = [
    "AsyncMessageBus",
    "AsyncMessageHandler",
    "Command",
    "CommandHandler",
    "DeadLetterQueue",
    "DeadLetterReason",
    "DeadLetteredMessage",
    "Event",
    "InMemoryDeadLetterQueue",
    "Message",
    "MessageBus",
    "MessageHandler",
]
