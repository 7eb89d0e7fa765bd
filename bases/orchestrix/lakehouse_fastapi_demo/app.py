"""The FastAPI application: the API, the signed file URLs, the page, docs, metrics, health.

`create_app(settings)` builds it; the lifespan opens the backend, starts the read model and
resumes interrupted erasure runs, and closes everything at shutdown. Errors of the service map
to statuses in one place (`ERRORS`). The OpenAPI docs are served with the Swagger UI files of
the `swagger-ui-bundle` package, never from a CDN; without that package, or with
`docs=False`, `/docs` is simply absent and `/openapi.json` still describes the API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route

from orchestrix.core.common.exceptions import ConcurrencyError, SubjectErasedError
from orchestrix.core.common.observability import (
    get_observability,
    init_observability,
    set_observability,
)
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.projection_errors import ProjectionWaitTimeoutError
from orchestrix.lakehouse_fastapi_demo.api import api, files
from orchestrix.lakehouse_fastapi_demo.errors import (
    AlreadyExistsError,
    ErasureRunError,
    IllegalTransitionError,
    NotFoundError,
    SignatureError,
    UploadRejectedError,
    UploadTooLargeError,
)
from orchestrix.lakehouse_fastapi_demo.service import Lakehouse, checkpoint_token
from orchestrix.lakehouse_fastapi_demo.settings import Settings

STATIC = Path(__file__).parent / "static"

type Reply = Callable[[Request, Any], Awaitable[Response]]


def _reply(status: int, body: Callable[[Any], dict[str, Any]]) -> Reply:
    async def reply(_request: Request, error: Any) -> Response:
        return JSONResponse(body(error), status_code=status)

    return reply


def _field_error(error: ValidationError) -> dict[str, Any]:
    location = ["body", *(error.field or "").split(".")] if error.field else ["body"]
    return {"detail": [{"loc": location, "msg": error.message, "type": "value_error"}]}


ERRORS: dict[type[Exception], Reply] = {
    ValidationError: _reply(422, _field_error),
    NotFoundError: _reply(404, lambda e: {"detail": str(e), "kind": e.kind, "id": e.key}),
    IllegalTransitionError: _reply(
        409,
        lambda e: {"detail": str(e), "state": e.state, "action": e.action, "allowed": e.allowed},
    ),
    AlreadyExistsError: _reply(409, lambda e: {"detail": str(e)}),
    ConcurrencyError: _reply(409, lambda e: {"detail": "changed concurrently: read and retry"}),
    SignatureError: _reply(403, lambda e: {"detail": str(e)}),
    ErasureRunError: _reply(503, lambda e: {"detail": str(e), "request_id": e.request_id}),
    SubjectErasedError: _reply(409, lambda e: {"detail": str(e), "state": "erased"}),
    UploadRejectedError: _reply(400, lambda e: {"detail": str(e)}),
    UploadTooLargeError: _reply(413, lambda e: {"detail": str(e), "limit": e.limit}),
    ProjectionWaitTimeoutError: _reply(
        202, lambda e: {"detail": str(e), "checkpoint": checkpoint_token(e.checkpoint)}
    ),
}


class _AsgiEndpoint:
    """An ASGI application as a route's endpoint (Starlette passes it the raw scope), so
    `/metrics` answers at its own path instead of redirecting to `/metrics/` as a mount does."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def _metrics() -> Any:
    """Prometheus metrics when the observability extra is installed, else None."""
    from orchestrix.infrastructure.observability import HAS_PROMETHEUS, PrometheusMetrics

    return PrometheusMetrics() if HAS_PROMETHEUS else None


def create_app(settings: Settings | None = None, lakehouse: Lakehouse | None = None) -> FastAPI:
    """The service; give `lakehouse` to share one (tests), else it is built from `settings`."""
    settings = Settings.from_environment() if settings is None else settings
    service = Lakehouse(settings) if lakehouse is None else lakehouse
    metrics = _metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        previous = get_observability()
        if metrics is not None:
            init_observability(metrics_provider=metrics)
        await service.start()
        try:
            yield
        finally:
            await service.stop()
            set_observability(previous)

    docs = settings.docs and _swagger_assets() is not None
    app = FastAPI(
        title="Orchestrix lakehouse",
        summary="A data-lake control plane: every step a command, every read a projection.",
        version="1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.lakehouse = service
    for error_type, reply in ERRORS.items():
        app.add_exception_handler(error_type, reply)
    app.include_router(api)
    app.include_router(files)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if metrics is not None:
        app.router.routes.append(Route("/metrics", _AsgiEndpoint(metrics.asgi_app())))
    if docs:
        _add_docs(app)

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/healthz", tags=["operations"])
    async def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
    async def ready() -> JSONResponse:
        """Readiness: the database answers and the read model is healthy."""
        runner = service.backend.runner
        ok = await service.backend.ready()
        body = {
            "status": "ready" if ok else "not ready",
            "backend": service.backend.description,
            "projection": runner.status.value,
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    return app


def _swagger_assets() -> Path | None:
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    return Path(swagger_ui_bundle.swagger_ui_path)


def _add_docs(app: FastAPI) -> None:
    assets = _swagger_assets()
    app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Orchestrix lakehouse API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )


__all__ = ["ERRORS", "create_app"]
