"""The FastAPI application factory: routes, the one error shape, size limits, quiet logs."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wardlink.core.protocol import ProtocolError
from wardlink_server import __version__
from wardlink_server.errors import ApiError
from wardlink_server.metrics import Metrics, MetricsMiddleware
from wardlink_server.services import Services

log = logging.getLogger("wardlink_server.access")

PUBLIC_ROUTES = frozenset(
    {("POST", "/api/v1/sessions"), ("GET", "/healthz"), ("GET", "/fhir/metadata")}
)


def _error(status: int, code: str, message: str, **details: object) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, **details}}, status_code=status
    )


async def read_json(request: Request, *, max_bytes: int) -> object:
    """The request body as JSON, refusing oversized or malformed bodies in the one shape."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise ApiError("too_large", "The request is too large.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise ApiError("too_large", "The request is too large.")
    try:
        # NaN and Infinity are not JSON, though Python's parser takes them; refuse them here,
        # or a stored value would break every later answer that carries it.
        value = json.loads(body, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError):
        raise ApiError("invalid", "The request body is not valid JSON.") from None
    # JSON may spell lone surrogates ("\ud800"); no text of ours can hold one, so refuse them
    # here, for every route, rather than fail deep inside hashing or the database.
    bad = _not_unicode(value, "")
    if bad is not None:
        raise ApiError("invalid", "The request holds text that is not valid Unicode.", field=bad)
    return value


def _refuse_constant(name: str) -> object:
    raise ValueError(name)


def _not_unicode(value: object, path: str) -> str | None:
    """The path of the first string (key or value) that cannot be UTF-8 encoded, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "body"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if _not_unicode(key, path) is not None:
                return path or "body"  # never echo the broken key itself
            found = _not_unicode(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _not_unicode(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def parse(parser: Callable[[object], Any], value: object) -> Any:
    """Run a protocol parser, turning its refusal into a 400 that names the field."""
    try:
        return parser(value)
    except ProtocolError as exc:
        raise ApiError("invalid", f"The request is not valid: {exc}.", field=exc.path) from None


class AccessLog:
    """One access-log line per request: method, route, status and duration.

    The route is its template (`/api/v1/teams/{team_id}/history`), or the path when no route
    matched; never the query string: paths and queries may carry identifiers. The line goes
    through the log's redaction like any other (`logs`). A plain ASGI middleware: Starlette's
    `BaseHTTPMiddleware` costs a task group and a response stream per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # unless the app starts a response

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except Exception:
            _log_request(scope, status, start)
            raise
        _log_request(scope, status, start)


def _log_request(scope: Scope, status: int, start: float) -> None:
    log.info(
        "%s %s %d %.1fms",
        scope["method"],
        _route_of(scope),
        status,
        (time.perf_counter() - start) * 1000,
    )


def _route_of(scope: Scope) -> str:
    """The matched route's template, with a FHIR resource type filled in (a type name is a word,
    never an identifier: `/fhir/Patient/{resource_id}`); the path when no route matched."""
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str):
        return str(scope["path"])
    kind = scope.get("path_params", {}).get("resource_type")
    if isinstance(kind, str) and kind.isascii() and kind.isalpha() and len(kind) <= 64:
        return template.replace("{resource_type}", kind)
    return template


def create_app(services: Services, *, metrics: Metrics | None = None) -> FastAPI:
    """The app; `metrics`, where given, counts every request (published by `metrics_export`,
    never on this app's own port)."""
    docs = services.config.docs_enabled
    app = FastAPI(
        title="Wardlink record server",
        version=__version__,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.services = services

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            ".".join(str(p) for p in err.get("loc", ()) if p != "query") for err in exc.errors()
        ]
        return _error(400, "invalid", "The request is not valid.", fields=fields)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return _error(404, "not_found", "There is nothing at that address.")
        if exc.status_code == 405:
            return _error(405, "invalid", "That method is not allowed here.")
        return _error(exc.status_code, "invalid", "The request could not be handled.")

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # Never a stack trace or a database message (it could hold patient data) to the caller.
        log.error("unexpected %s while handling a request", type(exc).__name__)
        return _error(500, "internal", "Something went wrong on the record server.")

    app.add_middleware(AccessLog)
    if metrics is not None:
        app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.get("/healthz", tags=["public"])
    async def healthz() -> dict[str, str]:
        # The lease key lets a client without a pinned key trust it on first use (DESIGN §7).
        return {"status": "ok", "version": __version__, "lease_key": services.public_key_b64}

    from wardlink_server.api import routers

    for router in routers():
        app.include_router(router)
    return app
