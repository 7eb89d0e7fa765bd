"""The demos the command line knows: one line each in `DEMOS`.

A demo is a base that runs as `python -m <module>`; `orchestrix demo run NAME` runs exactly
that, in this process, with the arguments after the name. Demos ship in packages of their own,
so a registered demo may be missing where only the library is installed.
"""

from __future__ import annotations

import runpy
import sys
from dataclasses import dataclass
from importlib.util import find_spec


@dataclass(frozen=True, slots=True)
class Demo:
    """A runnable demo: its short name, the module `python -m` runs, and what it shows."""

    name: str
    module: str
    summary: str

    def installed(self) -> bool:
        """Whether the demo's package can be imported here."""
        try:
            return find_spec(self.module) is not None
        except ModuleNotFoundError:  # a missing parent package
            return False

    def run(self, arguments: list[str]) -> None:
        """Run the demo as `python -m` would, with `arguments` as its command line."""
        saved = sys.argv
        sys.argv = [f"orchestrix demo run {self.name}", *arguments]
        try:
            runpy.run_module(self.module, run_name="__main__")  # keeps sys.argv[0]
        finally:
            sys.argv = saved


DEMOS: tuple[Demo, ...] = (
    Demo("banking", "orchestrix.banking_demo", "Accounts, transfers, a projected read model"),
    Demo("ecommerce", "orchestrix.ecommerce_demo", "Order state machine, saga refund, deadline"),
    Demo("notifications", "orchestrix.notifications_demo", "Retries, backoff, dead letters"),
    Demo("events-and-commands", "orchestrix.events_and_commands_demo", "Causation chains, buses"),
    Demo("lakehouse", "orchestrix.lakehouse_fastapi_demo", "FastAPI service and page (--port N)"),
    Demo("validation", "orchestrix.validation_demo", "Errors naming field and value"),
    Demo("versioning", "orchestrix.versioning_demo", "Upcasting v1 → v2 → v3 on SQLite"),
    Demo("projection", "orchestrix.projection_demo", "Catch-up, lag, rebuild, blue/green swap"),
    Demo("tracing", "orchestrix.tracing_demo", "Spans from command to event handler, log ids"),
)


def find_demo(name: str) -> Demo | None:
    """The registered demo called `name`, if any."""
    return next((demo for demo in DEMOS if demo.name == name), None)


__all__ = ["DEMOS", "Demo", "find_demo"]
