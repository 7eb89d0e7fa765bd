"""Loading the user's own objects named `MODULE:OBJECT` (a projection, a saga definition).

The module is imported as `import MODULE` would from the current folder: the console script,
unlike `python -m`, does not put the current folder on the import path, so it is added first.
OBJECT may be dotted (`MODULE:factories.orders`). Every failure (a malformed name, a module
that cannot be found or fails while importing, a missing attribute) is one line naming it.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from orchestrix.cli.errors import CliError

_IDENTIFIER_PARTS = "MODULE:OBJECT, such as shop.projections:order_totals"


def load_object(spec: str) -> Any:
    """The object `spec` (`MODULE:OBJECT`) names."""
    module_name, colon, attributes = spec.partition(":")
    names = attributes.split(".")
    if not colon or not _dotted(module_name) or not all(name.isidentifier() for name in names):
        raise CliError(f"{spec!r} is not a name of the form {_IDENTIFIER_PARTS}")
    if sys.path[:1] != [os.getcwd()]:
        sys.path.insert(0, os.getcwd())
    try:
        found: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name is not None and f"{module_name}.".startswith(f"{error.name}."):
            raise CliError(
                f"No module named {module_name!r} (looked in the current folder and the "
                "installed packages)"
            ) from error
        raise CliError(f"Cannot import {module_name!r}: {error}") from error
    except Exception as error:  # the user's module failed while it ran
        raise CliError(f"Cannot import {module_name!r}: {type(error).__name__}: {error}") from error
    for depth, name in enumerate(names):
        try:
            found = getattr(found, name)
        except AttributeError:
            owner = ".".join([module_name, *names[:depth]])
            raise CliError(f"{owner!r} has no attribute {name!r}") from None
    return found


def _dotted(name: str) -> bool:
    return bool(name) and all(part.isidentifier() for part in name.split("."))


__all__ = ["load_object"]
