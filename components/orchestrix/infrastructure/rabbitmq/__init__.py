"""RabbitMQ: the message bus across processes and machines, on aio-pika.

Commands and events travel as CloudEvents JSON with publisher confirms; each command type has
a queue shared by its workers, each event handler a queue of its own; failures are retried
with backoff and then dead-lettered, where `DeadLetters` lists and re-publishes them.
aio-pika is imported only inside this package (the `rabbitmq` extra).
"""

from orchestrix.infrastructure.rabbitmq.bus import DEFAULT_URL, RabbitMQMessageBus
from orchestrix.infrastructure.rabbitmq.dead_letters import DeadLetter, DeadLetters
from orchestrix.infrastructure.rabbitmq.delivery import MALFORMED_MESSAGE, UNKNOWN_MESSAGE_TYPE
from orchestrix.infrastructure.rabbitmq.envelope import UnknownMessageTypeError
from orchestrix.infrastructure.rabbitmq.topology import Topology

__all__ = [
    "DEFAULT_URL",
    "MALFORMED_MESSAGE",
    "UNKNOWN_MESSAGE_TYPE",
    "DeadLetter",
    "DeadLetters",
    "RabbitMQMessageBus",
    "Topology",
    "UnknownMessageTypeError",
]
