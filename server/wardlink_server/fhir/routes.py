"""Routes: the read-only FHIR R4 API (DESIGN.md §5). The rules live in `interactions`."""

from __future__ import annotations

import urllib.parse
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from wardlink_server.auth import Caller, current_caller, services_of
from wardlink_server.errors import ApiError
from wardlink_server.fhir import interactions
from wardlink_server.fhir.access import Served
from wardlink_server.fhir.capability import capability_statement
from wardlink_server.fhir.outcome import NO_STORE, FhirResponse, FhirRoute, wants_fhir
from wardlink_server.fhir.search import MAX_PARAMETERS

router = APIRouter(prefix="/fhir", tags=["fhir"], route_class=FhirRoute)

CurrentCaller = Annotated[Caller, Depends(current_caller)]
MAX_FORM_BYTES: Final = 16 * 1024
FORM: Final = "application/x-www-form-urlencoded"


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def _query(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


@router.get("/metadata")
def metadata(request: Request) -> FhirResponse:
    """The CapabilityStatement: what this API serves (public)."""
    return FhirResponse(capability_statement(interactions.KINDS.values(), base_url(request)))


@router.get("/{resource_type}")
def search(resource_type: str, request: Request, caller: CurrentCaller) -> FhirResponse:
    """Search: a Bundle searchset with `total` and opaque page links."""
    bundle = interactions.search(
        services_of(request), caller, resource_type, _query(request), base_url(request)
    )
    return FhirResponse(bundle, headers=NO_STORE)


@router.post("/{resource_type}/_search")
async def search_by_form(
    resource_type: str, request: Request, caller: CurrentCaller
) -> FhirResponse:
    """Search with the parameters in a form body, so that NHS numbers stay out of URLs."""
    pairs = _query(request) + await _form(request)
    bundle = await run_in_threadpool(
        interactions.search, services_of(request), caller, resource_type, pairs, base_url(request)
    )
    return FhirResponse(bundle, headers=NO_STORE)


@router.get("/{resource_type}/{resource_id}")
def read(resource_type: str, resource_id: str, request: Request, caller: CurrentCaller) -> Response:
    """The resource's latest version (a Binary as its bytes, unless FHIR JSON is asked for)."""
    served = interactions.read(services_of(request), caller, resource_type, resource_id)
    return _answer(served, request)


@router.get("/{resource_type}/{resource_id}/_history")
def history(
    resource_type: str, resource_id: str, request: Request, caller: CurrentCaller
) -> FhirResponse:
    """Every version of the resource, newest first: a Bundle of type history."""
    bundle = interactions.history(
        services_of(request), caller, resource_type, resource_id, _query(request),
        base_url(request),
    )  # fmt: skip
    return FhirResponse(bundle, headers=NO_STORE)


@router.get("/{resource_type}/{resource_id}/_history/{version_id}")
def vread(
    resource_type: str, resource_id: str, version_id: str, request: Request, caller: CurrentCaller
) -> Response:
    """One version of the resource."""
    served = interactions.read(services_of(request), caller, resource_type, resource_id, version_id)
    return _answer(served, request)


def _answer(served: Served, request: Request) -> Response:
    """The resource, with its version as the ETag; a Binary's own bytes unless the caller asked
    for FHIR JSON."""
    meta = served.resource["meta"]
    assert isinstance(meta, dict)
    headers = {**NO_STORE, "ETag": f'W/"{meta["versionId"]}"'}
    if served.raw is not None and not wants_fhir(request):
        content_type, data = served.raw
        headers["X-Content-Type-Options"] = "nosniff"
        return Response(data, media_type=content_type, headers=headers)
    return FhirResponse(served.resource, headers=headers)


async def _form(request: Request) -> list[tuple[str, str]]:
    """The form body's parameters; anything but a form, or too large, is refused."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != FORM:
        raise ApiError("invalid", f"Send the search parameters as {FORM}.", status=415)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise ApiError("too_large", "The search is too large.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_FORM_BYTES:
            raise ApiError("too_large", "The search is too large.")
    try:
        return urllib.parse.parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
            errors="strict", max_num_fields=MAX_PARAMETERS,
        )  # fmt: skip
    except (UnicodeDecodeError, ValueError):
        raise ApiError("invalid", "The search parameters are not a valid form body.") from None
