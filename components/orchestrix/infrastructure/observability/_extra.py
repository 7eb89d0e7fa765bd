"""The install hint every missing-dependency error of this package gives."""

from __future__ import annotations

INSTALL_HINT = "Install with: pip install 'orchestrix[observability]'"

__all__ = ["INSTALL_HINT"]
