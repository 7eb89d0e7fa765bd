"""The switch between plain and instrumented methods, flipped when observability changes.

A publish on the in-memory bus takes about as long as a handful of attribute lookups, so the
instrumentation cannot even test a flag on every call without showing in the benchmarks.
Instead each instrumented class registers its methods here, once, with their instrumented
twins; whenever the process-wide hooks change, `refresh` works out whether anyone listens and
puts the plain or the instrumented functions on the classes. Off, the classes run exactly the
code that was written; on, the twins open spans, time calls and report metrics.

Route tables (the buses' caches of resolved handlers) are emptied at each flip, so that
handlers resolved while observability was off get wrapped once it is on, and the reverse.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from orchestrix.core.common.metrics import NoOpMetricsProvider
from orchestrix.core.common.observability import get_observability, watch_observability
from orchestrix.core.common.tracing import NoOpTracingProvider

type Method = Callable[..., Any]
type Probe = Callable[[Method], Method]
"""Builds the instrumented twin of a plain method."""


class State:
    """What the instrumented twins do: all False while nobody listens."""

    __slots__ = ("context", "on", "reports", "tracing")

    def __init__(self) -> None:
        self.on = False
        self.tracing = False
        self.reports = False
        self.context = False


class RouteTable(Protocol):
    """A cache of resolved handlers that must be rebuilt when the switch flips."""

    def forget_routes(self) -> None: ...


@dataclass(frozen=True, slots=True)
class _Site:
    owner: type
    name: str
    plain: Method
    observed: Method


state = State()
_sites: list[_Site] = []
_route_tables: weakref.WeakSet[Any] = weakref.WeakSet()
_context_wanted = False
_lock = threading.RLock()


def instrument[C: type](owner: C, probes: Mapping[str, Probe]) -> C:
    """Register the methods of `owner` named in `probes` with their instrumented twins.

    Only methods defined on `owner` itself count; a method bound under two names (an alias
    such as `save_async = save`) gets one twin, installed under both.
    """
    twins: dict[int, Method] = {}
    with _lock:
        for name, probe in probes.items():
            plain = owner.__dict__.get(name)
            if plain is None:
                continue
            observed = twins.get(id(plain))
            if observed is None:
                observed = twins[id(plain)] = probe(plain)
            _sites.append(_Site(owner, name, plain, observed))
            if state.on:
                setattr(owner, name, observed)
    return owner


def track_routes(table: RouteTable) -> None:
    """Empty `table` at every flip of the switch (held weakly)."""
    _route_tables.add(table)


def want_message_context(wanted: bool = True) -> None:
    """Keep the message being handled in context, for log records (see `log_context`)."""
    global _context_wanted  # noqa: PLW0603 - switched by the log-context installer
    _context_wanted = wanted
    refresh()


def refresh() -> None:
    """Read the process-wide hooks and put the matching methods on every registered class."""
    with _lock:
        hooks = get_observability()
        state.tracing = type(hooks.tracing) is not NoOpTracingProvider
        state.reports = type(hooks.metrics) is not NoOpMetricsProvider or hooks.has_callbacks
        state.context = _context_wanted
        on = state.tracing or state.reports or state.context
        if on == state.on:
            return
        state.on = on  # before the tables empty, so that a resolution racing the flip wraps
        for site in _sites:
            setattr(site.owner, site.name, site.observed if on else site.plain)
        for table in list(_route_tables):
            table.forget_routes()


watch_observability(refresh)
refresh()

__all__ = ["Method", "Probe", "RouteTable", "State", "instrument", "refresh", "state"]
