"""The user's projections and sagas, named `MODULE:OBJECT` on the command line.

A projection's handlers and a saga's steps are the user's code, so commands that run them
(`projection rebuild`, `dlq replay`, `saga resume`) import it. OBJECT is either the thing
itself (a `ProjectionEngine`, a `Saga`) or a factory: a function, sync or async, that takes the
store the command opened (the checkpoint store, the saga state store) and returns one. A
factory is what an application usually has already, since both objects are built on a store.
"""

from __future__ import annotations

import inspect
from typing import Any

from orchestrix.cli.errors import CliError
from orchestrix.cli.user_code import load_object


async def definition[T](spec: str, kind: type[T], store: Any) -> T:
    """The `kind` named by `spec`: the object itself, or what its factory makes of `store`."""
    found = load_object(spec)
    if isinstance(found, kind):
        return found
    wanted = kind.__name__
    if not callable(found):
        raise CliError(
            f"{spec} is a {type(found).__name__}, not a {wanted} or a function returning one"
        )
    try:
        made = found(store)
        if inspect.isawaitable(made):
            made = await made
    except Exception as error:  # the user's factory failed
        raise CliError(f"{spec}(store) failed: {type(error).__name__}: {error}") from error
    if not isinstance(made, kind):
        raise CliError(f"{spec}(store) returned a {type(made).__name__}, not a {wanted}")
    return made


__all__ = ["definition"]
