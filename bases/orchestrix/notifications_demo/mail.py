"""The outside world: a mail server that greylists new mail and sometimes goes down.

Greylisting is what many real mail servers do against spam: the first attempt at each new
message is refused with "try again later", and a retry is accepted. So a notifier that never
retries loses mail even when the server is up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from orchestrix.notifications_demo.models import Notification


class MailServer(Protocol):
    """Where notifications go; `send` raises when the server does not take the message."""

    def send(self, notification: Notification) -> None: ...


class MailDeliveryError(Exception):
    """The mail server did not accept a message."""


class GreylistedError(MailDeliveryError):
    """A first attempt, refused on principle: retrying later works."""


class ServerUnreachableError(MailDeliveryError, ConnectionError):
    """The server is down: every attempt fails until it is back."""


class FlakyMailServer:
    """Accepts a message on its second attempt; refuses everything while down.

    `say` receives one line per attempt, so the demo can show what the server saw.
    """

    def __init__(self, say: Callable[[str], None] = print) -> None:
        self.say = say
        self.delivered: list[Notification] = []
        self.attempts: dict[str, int] = {}  # per notification key
        self._seen: set[str] = set()  # keys it refused once while up
        self._up = True

    def go_down(self) -> None:
        self._up = False

    def come_back(self) -> None:
        self._up = True

    def send(self, notification: Notification) -> None:
        """Deliver `notification`, or raise a `MailDeliveryError` saying why not."""
        attempt = self.attempts[notification.key] = self.attempts.get(notification.key, 0) + 1
        line = f"  attempt {attempt}: {notification.to:<21} {notification.subject!r:<35}"
        if not self._up:
            self.say(f"{line} unreachable")
            raise ServerUnreachableError("connection refused")
        if notification.key not in self._seen:
            self._seen.add(notification.key)
            self.say(f"{line} greylisted")
            raise GreylistedError(f"{notification.to}: greylisted, try again later")
        self.delivered.append(notification)
        self.say(f"{line} delivered")
