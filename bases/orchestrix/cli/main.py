"""The console script's entry point.

The `orchestrix` script is installed with the library, but click and rich only come with the
`cli` extra: without them the user gets the install command instead of an import traceback.
"""

from __future__ import annotations

import sys

_EXTRA_PACKAGES = frozenset({"click", "rich"})


def main() -> None:
    """Run the `orchestrix` command line with the process arguments."""
    try:
        from orchestrix.cli.app import cli
    except ModuleNotFoundError as error:
        missing = (error.name or "").partition(".")[0]
        if missing not in _EXTRA_PACKAGES:
            raise
        sys.exit(
            f"orchestrix: the command line needs the 'cli' extra ({missing} is missing): "
            "pip install 'orchestrix[cli]'"
        )
    cli(prog_name="orchestrix")


__all__ = ["main"]
