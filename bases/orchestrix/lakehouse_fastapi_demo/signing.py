"""Signed URLs: a path, an expiry and an HMAC over both, checked by the app that serves them.

A URL is `<path>?expires=<unix seconds>&signature=<hex>`; the signature is HMAC-SHA256 of the
method, the path and the expiry under the service's secret, so a URL works only for the one
operation it was made for, until it expires. Checks compare in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

from orchestrix.lakehouse_fastapi_demo.errors import SignatureError


class UrlSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the signing secret must be at least 16 bytes")
        self._secret = secret

    def _signature(self, method: str, path: str, expires: int) -> str:
        message = f"{method}\n{path}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def sign(self, method: str, path: str, expires: int) -> str:
        """`path` with its expiry and signature as query parameters."""
        signature = self._signature(method, path, expires)
        return f"{path}?{urlencode({'expires': expires, 'signature': signature})}"

    def verify(self, method: str, path: str, expires: str | None, signature: str | None) -> int:
        """The expiry, if the signature is genuine and not expired; `SignatureError` if not."""
        if not expires or not signature or not expires.isdigit() or len(expires) > 12:
            raise SignatureError("the URL carries no valid signature")
        expected = self._signature(method, path, int(expires))
        if not hmac.compare_digest(expected, signature):
            raise SignatureError("the URL's signature does not match")
        if int(expires) < time.time():
            raise SignatureError("the URL has expired")
        return int(expires)


__all__ = ["UrlSigner"]
