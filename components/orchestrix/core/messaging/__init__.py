"""Messages, their codec and registry, the bus protocols, the dead-letter queue, topics, and the
outbox and inbox ports with the outbox relay, and the personal-field marker."""

from orchestrix.core.messaging.command_handler import CommandHandler
from orchestrix.core.messaging.dead_letter_queue import (
    DeadLetteredMessage,
    DeadLetterQueue,
    DeadLetterReason,
    InMemoryDeadLetterQueue,
)
from orchestrix.core.messaging.inbox import Inbox, InboxReceipt, deduplicated
from orchestrix.core.messaging.message import Command, Event, Message
from orchestrix.core.messaging.message_bus import (
    AsyncMessageBus,
    AsyncMessageHandler,
    MessageBus,
    MessageHandler,
)
from orchestrix.core.messaging.outbox import Outbox, OutboxBatch, OutboxEntry
from orchestrix.core.messaging.outbox_relay import OutboxRelay
from orchestrix.core.messaging.personal import REDACTED, Personal, Redacted, is_redacted
from orchestrix.core.messaging.topics import TopicNaming, topic_matches, topic_of, validate_topic

__all__ = [
    "REDACTED",
    "AsyncMessageBus",
    "AsyncMessageHandler",
    "Command",
    "CommandHandler",
    "DeadLetterQueue",
    "DeadLetterReason",
    "DeadLetteredMessage",
    "Event",
    "InMemoryDeadLetterQueue",
    "Inbox",
    "InboxReceipt",
    "Message",
    "MessageBus",
    "MessageHandler",
    "Outbox",
    "OutboxBatch",
    "OutboxEntry",
    "OutboxRelay",
    "Personal",
    "Redacted",
    "TopicNaming",
    "deduplicated",
    "is_redacted",
    "topic_matches",
    "topic_of",
    "validate_topic",
]
