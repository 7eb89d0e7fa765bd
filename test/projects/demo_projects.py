"""The demo projects under test: their distribution, console script and what a run prints."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoProject:
    folder: str  # under projects/
    distribution: str  # `uv build --package` takes this name
    script: str
    module: str  # the base the project ships
    cli_name: str  # `orchestrix demo run NAME`
    arguments: tuple[str, ...]  # fast, deterministic options for a test run
    prints: str  # a line a successful run prints
    needs: tuple[str, ...] = ()  # distributions a run needs besides the wheel


DEMO_PROJECTS = (
    DemoProject(
        "banking_demo",
        "orchestrix-banking-demo",
        "orchestrix-banking-demo",
        "orchestrix.banking_demo",
        "banking",
        (),
        "  Every balance equals its account's own, rebuilt from its events: True",
    ),
    DemoProject(
        "notifications_demo",
        "orchestrix-notifications-demo",
        "orchestrix-notifications-demo",
        "orchestrix.notifications_demo",
        "notifications",
        ("--initial-delay", "0.001", "--max-delay", "0.001"),
        "Replayed 2 of 2; dead letters left: 0",
    ),
    DemoProject(
        "events_and_commands_demo",
        "orchestrix-events-and-commands-demo",
        "orchestrix-events-and-commands-demo",
        "orchestrix.events_and_commands_demo",
        "events-and-commands",
        (),
        "The log, subscribed to each of the four classes, saw 4 messages.",
    ),
    DemoProject(
        "validation_demo",
        "orchestrix-validation-demo",
        "orchestrix-validation-demo",
        "orchestrix.validation_demo",
        "validation",
        (),
        "The store holds 1 event for PYCON-42: the valid registration.",
    ),
    DemoProject(
        "versioning_demo",
        "orchestrix-versioning-demo",
        "orchestrix-versioning-demo",
        "orchestrix.versioning_demo",
        "versioning",
        (),
        "read_all (what projections read) gives version 3 too: True",
    ),
    DemoProject(
        "ecommerce_demo",
        "orchestrix-ecommerce-demo",
        "orchestrix-ecommerce-demo",
        "orchestrix.ecommerce_demo",
        "ecommerce",
        (),
        "  payment-deadline processes: 3 of 3 completed; deadlines left: 0",
    ),
    DemoProject(
        "projection_demo",
        "orchestrix-projection-demo",
        "orchestrix-projection-demo",
        "orchestrix.projection_demo",
        "projection",
        (),
        "  rebuilt from the whole log: the same rows again: True",
    ),
    DemoProject(
        "tracing_demo",
        "orchestrix-tracing-demo",
        "orchestrix-tracing-demo",
        "orchestrix.tracing_demo",
        "tracing",
        (),
        "    command.dispatch PlaceOrder",
        needs=(
            "opentelemetry-api",
            "opentelemetry-sdk",
            "opentelemetry-semantic-conventions",
            "typing-extensions",
        ),
    ),
)
