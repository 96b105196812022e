"""The FastAPI application factory: routes, the one error shape, size limits, quiet logs."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wardlink.core.protocol import ProtocolError
from wardlink_server import __version__
from wardlink_server.errors import ApiError
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


def create_app(services: Services) -> FastAPI:
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

    @app.middleware("http")
    async def access_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # The path only: query strings may carry identifiers and never reach the logs.
        start = time.perf_counter()
        response = await call_next(request)
        log.info(
            "%s %s %d %.1fms",
            request.method,
            request.url.path,
            response.status_code,
            (time.perf_counter() - start) * 1000,
        )
        return response

    @app.get("/healthz", tags=["public"])
    async def healthz() -> dict[str, str]:
        # The lease key lets a client without a pinned key trust it on first use (DESIGN §7).
        return {"status": "ok", "version": __version__, "lease_key": services.public_key_b64}

    from wardlink_server.api import routers

    for router in routers():
        app.include_router(router)
    return app
