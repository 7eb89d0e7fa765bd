"""Topics: dotted names derived from where a message class is defined, and patterns over them.

Orkestra's rule: the module path and the class name, every word in snake case, with the
application's own package prefix stripped: `my_app.orders.events.OrderPlaced` is
`orders.events.order_placed` when the prefix is `my_app`. A class may pin its topic with a
`__topic__` class attribute (useful when it moves to another module). Patterns follow AMQP
topic exchanges: lower-case words separated by dots, `*` stands for exactly one word and `#`
for zero or more, so the same pattern works in memory and on a broker. A topic is at most 255
bytes, the limit of an AMQP routing key.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from orchestrix.core.common.naming import snake_case
from orchestrix.core.common.validation import ValidationError

MAX_TOPIC_BYTES = 255
_WORD = re.compile(r"[a-z0-9_-]+")
_NAME = re.compile(r"[A-Za-z0-9_]+")


def _words(dotted: str) -> list[str]:
    """The words of a module path or qualified name, without `<locals>` and the like."""
    return [snake_case(word) for word in dotted.split(".") if _NAME.fullmatch(word)]


def validate_topic(topic: object, *, pattern: bool = False) -> str:
    """`topic` if it is a valid topic (or, with `pattern=True`, topic pattern); else a
    `ValidationError` naming what is wrong."""
    field = "pattern" if pattern else "topic"
    if not isinstance(topic, str) or not topic:
        raise ValidationError("must be a non-empty string", field, topic)
    if len(topic.encode()) > MAX_TOPIC_BYTES:
        raise ValidationError(f"must be at most {MAX_TOPIC_BYTES} bytes", field, topic)
    for word in topic.split("."):
        if pattern and word in ("*", "#"):
            continue
        if not _WORD.fullmatch(word):
            wildcards = ", or a lone * or #" if pattern else ""
            message = f"must be lower-case words (a-z, 0-9, _, -) separated by dots{wildcards}"
            raise ValidationError(message, field, topic)
    return topic


@dataclass(frozen=True, slots=True)
class TopicNaming:
    """Derives topics from classes; `app_prefix` is the application's package, stripped."""

    app_prefix: str | None = None

    def __post_init__(self) -> None:
        if self.app_prefix is not None and not _words(self.app_prefix):
            raise ValidationError("must be a dotted package name", "app_prefix", self.app_prefix)

    def topic(self, cls: type) -> str:
        """The topic of messages of class `cls`."""
        return _topic(cls, self.app_prefix)


@functools.cache
def _topic(cls: type, app_prefix: str | None) -> str:
    pinned = cls.__dict__.get("__topic__")
    if pinned is not None:
        return validate_topic(pinned)
    module = cls.__module__
    if app_prefix is not None:
        if module == app_prefix:
            module = ""
        elif module.startswith(app_prefix + "."):
            module = module[len(app_prefix) + 1 :]
    words = [*_words(module), *_words(cls.__qualname__)]
    return validate_topic(".".join(words))


def topic_of(cls: type, app_prefix: str | None = None) -> str:
    """The topic of messages of class `cls` (see the module docstring for the rule)."""
    return _topic(cls, app_prefix)


def topic_matches(pattern: str, topic: str) -> bool:
    """Whether `topic` matches `pattern` (`*` one word, `#` zero or more words)."""
    validate_topic(pattern, pattern=True)
    return _matches(tuple(pattern.split(".")), tuple(topic.split(".")))


def _matches(pattern: tuple[str, ...], words: tuple[str, ...]) -> bool:
    # reachable[j]: the pattern so far can consume exactly the first j words
    reachable = [True] + [False] * len(words)
    for token in pattern:
        if token == "#":
            for j in range(1, len(words) + 1):
                reachable[j] = reachable[j] or reachable[j - 1]
        else:
            for j in range(len(words), 0, -1):
                reachable[j] = reachable[j - 1] and (token == "*" or token == words[j - 1])
            reachable[0] = False
    return reachable[-1]


__all__ = [
    "MAX_TOPIC_BYTES",
    "TopicNaming",
    "topic_matches",
    "topic_of",
    "validate_topic",
]
