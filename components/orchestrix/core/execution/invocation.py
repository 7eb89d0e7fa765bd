"""Calling user callables the way sagas do: with the keyword arguments their signature
accepts, sync or async, under an optional timeout, retried as a policy allows.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from orchestrix.core.common.retry import NoRetry, RetryPolicy, retry_async
from orchestrix.core.execution.errors import StepTimeoutError

type Accepted = frozenset[str] | None
"""The keyword names a callable accepts; None when it takes `**kwargs` (so, every name)."""

_NO_RETRY = NoRetry()


def accepted_names(function: Callable[..., Any]) -> Accepted:
    """The names `function` can receive as keywords, read once from its signature.

    A callable whose signature cannot be read (some builtins) is offered every argument.
    """
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
        return None
    keywords = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return frozenset(parameter.name for parameter in parameters if parameter.kind in keywords)


def select(arguments: Mapping[str, Any], accepted: Accepted) -> dict[str, Any]:
    """The subset of `arguments` a callable with `accepted` names takes."""
    if accepted is None:
        return dict(arguments)
    return {name: value for name, value in arguments.items() if name in accepted}


async def call_once(
    function: Callable[..., Any], arguments: dict[str, Any], seconds: float | None, name: str
) -> Any:
    """`function(**arguments)`, awaited if it returns an awaitable.

    With a limit of `seconds`, a plain function runs in a worker thread so the event loop can
    stop waiting for it; the thread itself cannot be stopped and runs on to its end.
    """
    if seconds is None:
        result = function(**arguments)
        return await result if inspect.isawaitable(result) else result
    try:
        async with asyncio.timeout(seconds):
            if inspect.iscoroutinefunction(function):
                return await function(**arguments)
            result = await asyncio.to_thread(function, **arguments)
            return await result if inspect.isawaitable(result) else result
    except TimeoutError as error:
        raise StepTimeoutError(name, seconds) from error


async def call(
    function: Callable[..., Any],
    arguments: dict[str, Any],
    *,
    retry: RetryPolicy | None,
    seconds: float | None,
    name: str,
) -> Any:
    """`call_once`, retried on any `Exception` (a timeout included) as `retry` allows."""
    return await retry_async(
        call_once, function, arguments, seconds, name, policy=retry or _NO_RETRY
    )


__all__ = ["Accepted", "accepted_names", "call", "call_once", "select"]
