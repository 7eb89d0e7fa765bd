"""Ready `/metrics` applications for services: one WSGI, one ASGI, for any registry.

Both answer `GET /metrics` (and `HEAD`) in the format the scraper asks for (Prometheus text,
or OpenMetrics when its `Accept` header prefers it), 404 elsewhere, 405 for other methods.
Mounted under a prefix (`app.mount("/metrics", ...)`), they also answer at the mount point.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

type WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
type AsgiApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]

PATH = "/metrics"
_TEXT = "text/plain; charset=utf-8"


def _respond(
    registry: CollectorRegistry, method: str, path: str, root: str, accept: str
) -> tuple[int, str, bytes]:
    """Status, content type and body of the answer to `method path`."""
    if not _serves(path, root):
        return 404, _TEXT, b"Not Found\n"
    if method not in ("GET", "HEAD"):
        return 405, _TEXT, b"Method Not Allowed\n"
    encoder, content_type = choose_encoder(accept)
    body = encoder(registry)
    return 200, content_type, b"" if method == "HEAD" else body


def _serves(path: str, root: str) -> bool:
    """`/metrics` below the mount point (`root`), or the mount point itself."""
    relative = path.removeprefix(root) if root and path.startswith(root) else path
    return relative == PATH or (bool(root) and relative in ("", "/"))


_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}


def metrics_wsgi_app(registry: CollectorRegistry) -> WsgiApp:
    """A WSGI application exposing `registry` at `/metrics`."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        status, content_type, body = _respond(
            registry,
            environ.get("REQUEST_METHOD", "GET"),
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
            environ.get("SCRIPT_NAME", ""),
            environ.get("HTTP_ACCEPT", ""),
        )
        start_response(
            f"{status} {_REASONS[status]}",
            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        )
        return [body]

    return app


def metrics_asgi_app(registry: CollectorRegistry) -> AsgiApp:
    """An ASGI application exposing `registry` at `/metrics` (lifespan events accepted)."""

    async def app(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            raise ValueError(f"the metrics application serves HTTP, not {scope['type']!r}")
        headers = dict(scope.get("headers") or [])
        status, content_type, body = _respond(
            registry,
            scope.get("method", "GET"),
            scope.get("path", ""),
            scope.get("root_path", ""),
            headers.get(b"accept", b"").decode("latin-1"),
        )
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type.encode("latin-1")),
                    (b"content-length", str(len(body)).encode("ascii")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


__all__ = ["PATH", "AsgiApp", "WsgiApp", "metrics_asgi_app", "metrics_wsgi_app"]
