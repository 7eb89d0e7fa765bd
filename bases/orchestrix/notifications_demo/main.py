"""Notifications demo, top to bottom: club events become e-mails through a flaky mail server.

Run it with `python -m orchestrix.notifications_demo`. The retry policy is exponential backoff;
`--max-retries`, `--initial-delay`, `--multiplier`, `--max-delay` and `--jitter` change it.
`--jitter` alone spreads the waits by fixed factors (x1.0, x1.1, x0.9 in turn, as the first
release did); `--jitter 0.25` draws each wait at random within +-25 %.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from orchestrix.core.common.retry import ExponentialBackoff, RetryPolicy
from orchestrix.core.messaging.dead_letter_queue import (
    DeadLetteredMessage,
    InMemoryDeadLetterQueue,
)
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from orchestrix.notifications_demo.handlers import (
    MemberDirectory,
    MembershipModule,
    Notifier,
    replay_dead_letters,
)
from orchestrix.notifications_demo.mail import FlakyMailServer
from orchestrix.notifications_demo.models import (
    ChangeEmail,
    JoinClub,
    Notification,
    RenewMembership,
)


@dataclass(frozen=True)
class Outcome:
    """What the demo ends with: what was parked, what is still parked, every e-mail sent."""

    parked: list[DeadLetteredMessage]
    still_parked: int
    delivered: list[Notification]
    store: InMemoryEventStore


def waits(policy: RetryPolicy) -> list[float]:
    """The wait before each retry `policy` allows a delivery that keeps failing, in order."""
    delays: list[float] = []
    attempt = 1  # the attempt that just failed: policies count from 1
    while policy.should_retry(attempt):
        delays.append(policy.get_delay(attempt))
        attempt += 1
    return delays


def run(policy: RetryPolicy) -> Outcome:
    """Play the story with `policy` for every retry; returns how it ended."""
    # 1. Wire it up. Commands fail loudly; the news (events) is retried, then parked.
    store = InMemoryEventStore()
    dead_letters = InMemoryDeadLetterQueue()
    commands = InMemoryMessageBus()
    events = InMemoryMessageBus(retry_policy=policy, dead_letter_queue=dead_letters)
    mail = FlakyMailServer(say=print)
    directory = MemberDirectory()
    notifier = Notifier(mail, directory)
    MembershipModule(events).register(commands, store)
    directory.register(events)
    notifier.register(events)  # after the directory: it reads the addresses the directory keeps
    delays = waits(policy)
    waiting = ", ".join(f"{delay:.2f}s" for delay in delays) or "nothing"
    print("Notifications demo: club events become e-mails through a flaky mail server.")
    print(f"Retry policy: {len(delays)} retries, waiting {waiting}")

    # 2. The server greylists: each first attempt is refused, the retry gets through.
    print("\nAda joins and renews; the mail server greylists every new message:")
    commands.publish(JoinClub(member_id="M-1", name="Ada", email="ada@example.org"))
    commands.publish(RenewMembership(member_id="M-1", months=12))

    # 3. The server goes down. The commands still succeed: only the e-mails wait.
    mail.go_down()
    print("\nThe mail server goes down; Grace joins and Ada changes her address:")
    commands.publish(JoinClub(member_id="M-2", name="Grace", email="grace@example.org"))
    commands.publish(ChangeEmail(member_id="M-1", new_email="ada@lovelace.example"))
    print(
        f"Both changes are stored: M-1 has {len(store.load('M-1'))} events, "
        f"M-2 has {len(store.load('M-2'))}"
    )

    # 4. Nothing was lost: the undelivered events wait in the dead-letter queue. Looking at
    # them (`peek_all`) leaves them there; `dequeue_all` takes them out.
    print(f"\nDead letters ({dead_letters.count()}):")
    for entry in dead_letters.peek_all():
        member = getattr(entry.message, "member_id", "?")
        times = "once" if entry.failure_count == 1 else f"{entry.failure_count} times"
        print(
            f"  {entry.message.type} of {member}: handler '{entry.handler_name}' failed {times} "
            f"({entry.error_type}: {entry.error_message})"
        )

    # 5. The server is back: replay the parked events to the notifier, with the same retries.
    mail.come_back()
    print("\nThe mail server is back; replaying the dead letters:")
    parked = dead_letters.dequeue_all()
    replayed = replay_dead_letters(parked, notifier, policy, dead_letters)
    print(f"Replayed {replayed} of {len(parked)}; dead letters left: {dead_letters.count()}")

    attempts = sum(mail.attempts.values())
    print(f"\nSent {len(mail.delivered)} e-mails in {attempts} attempts:")
    for notification in mail.delivered:
        print(f"  {notification.to}: {notification.subject}")
    return Outcome(parked, dead_letters.count(), list(mail.delivered), store)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-retries", type=int, default=3, help="retries per delivery")
    parser.add_argument("--initial-delay", type=float, default=0.05, help="seconds, first wait")
    parser.add_argument("--multiplier", type=float, default=2.0, help="each wait times this")
    parser.add_argument("--max-delay", type=float, default=1.0, help="longest wait, seconds")
    parser.add_argument(
        "--jitter",
        nargs="?",
        const=True,
        default=False,
        type=float,
        metavar="FRACTION",
        help="alone: fixed spread x1.0, x1.1, x0.9; a fraction: random, e.g. 0.25 for +-25%%",
    )
    arguments = parser.parse_args()
    try:
        policy = ExponentialBackoff(
            max_retries=arguments.max_retries,
            initial_delay=arguments.initial_delay,
            max_delay=arguments.max_delay,
            multiplier=arguments.multiplier,
            jitter=arguments.jitter,
        )
    except ValueError as error:
        parser.error(str(error))
    run(policy)


if __name__ == "__main__":
    main()
