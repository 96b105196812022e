"""Answers in FHIR's media type, and errors in the shape the caller can read.

A FHIR client says so: it asks for `application/fhir+json` in `Accept`. It gets its errors as
an OperationOutcome, the issue's `details.coding` carrying the same error code as DESIGN.md §4's
`{"error": {...}}` (system `ERROR_CODES`), its `details.text` the same plain message. Any
other caller (the Wardlink client, curl, the tests that walk every route) gets the §4 shape, as
on every other route of the server. Paths no route matches, and methods no route takes, are
answered by the app itself, in the §4 shape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any, Final

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from wardlink.core.fhir import WARDLINK_FHIR, Json
from wardlink_server.errors import ApiError

log = logging.getLogger("wardlink_server.fhir")

FHIR_JSON: Final = "application/fhir+json"
ERROR_CODES: Final = f"{WARDLINK_FHIR}/CodeSystem/error"
ISSUE_TYPES: Final = {
    "invalid": "invalid",
    "unauthenticated": "login",
    "device_revoked": "security",
    "account_disabled": "security",
    "forbidden": "forbidden",
    "not_found": "not-found",
    "too_large": "too-long",
    "throttled": "throttled",
    "internal": "exception",
}
NO_STORE: Final = {"Cache-Control": "no-store"}


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


def wants_fhir(request: Request) -> bool:
    """True when the caller asked for FHIR's JSON media type (or its older spelling)."""
    accept = request.headers.get("accept", "").lower()
    return "application/fhir+json" in accept or "application/json+fhir" in accept


def operation_outcome(code: str, message: str, **details: object) -> Json:
    issue: Json = {
        "severity": "error",
        "code": ISSUE_TYPES.get(code, "processing"),
        "details": {"coding": [{"system": ERROR_CODES, "code": code}], "text": message},
    }
    field = details.get("field")
    if isinstance(field, str) and field:
        issue["diagnostics"] = f"field: {field}"
    return {"resourceType": "OperationOutcome", "issue": [issue]}


class FhirRoute(APIRoute):
    """A route whose errors (its own, and those of its dependencies, such as sign-in) reach a
    FHIR client as an OperationOutcome."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as exc:
                if not wants_fhir(request):
                    raise
                return FhirResponse(
                    operation_outcome(exc.code, exc.message, **exc.details),
                    status_code=exc.status,
                    headers=exc.headers,
                )
            except Exception as exc:
                if not wants_fhir(request):
                    raise
                log.error("unexpected %s while handling a FHIR request", type(exc).__name__)
                message = "Something went wrong on the record server."
                return FhirResponse(operation_outcome("internal", message), status_code=500)

        return route
