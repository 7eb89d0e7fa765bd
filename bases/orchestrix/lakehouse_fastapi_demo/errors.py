"""The service's errors, each mapped to one HTTP status by the app.

Bad input is refused before anything is stored: a core `ValidationError` (422, naming the
field), an unknown dataset, batch or request (404), a step the current state does not allow
(409, with that state), a signature that is forged or expired (403), an upload whose name or
size is refused (400/413).
"""

from __future__ import annotations

from collections.abc import Sequence

from orchestrix.core.common.exceptions import OrchestrixError


class LakehouseError(OrchestrixError):
    """Base of the errors the lakehouse raises on purpose."""


class NotFoundError(LakehouseError, LookupError):
    """No dataset, batch or erasure request has that id."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} {key!r}")


class IllegalTransitionError(LakehouseError):
    """The action is not allowed in the current state; `allowed` lists what is."""

    def __init__(self, kind: str, key: str, state: str, action: str, allowed: Sequence[str]):
        self.kind = kind
        self.key = key
        self.state = state
        self.action = action
        self.allowed = tuple(allowed)
        super().__init__(f"cannot {action} {kind} {key!r}: it is {state}")


class AlreadyExistsError(LakehouseError):
    """A dataset or request with that id exists already."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} exists already")


class SignatureError(LakehouseError):
    """A signed URL was forged, altered or has expired."""


class UploadRejectedError(LakehouseError):
    """An upload's name is not acceptable (a path, say); nothing was stored."""


class ErasureRunError(LakehouseError):
    """An erasure run failed; its saga undid the file changes, the request stays approved."""

    def __init__(self, request_id: str, cause: Exception) -> None:
        self.request_id = request_id
        super().__init__(f"erasure {request_id} failed and was rolled back: {cause}")


class UploadTooLargeError(LakehouseError):
    """An upload exceeded the size limit; nothing was stored."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"uploads are limited to {limit} bytes")


__all__ = [
    "AlreadyExistsError",
    "ErasureRunError",
    "IllegalTransitionError",
    "LakehouseError",
    "NotFoundError",
    "SignatureError",
    "UploadRejectedError",
    "UploadTooLargeError",
]
