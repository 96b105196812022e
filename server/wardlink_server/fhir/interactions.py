"""The FHIR interactions: read, vread, history (of one resource) and search, for every type.

Each runs its queries on one read connection, then audits what it served in a short write
transaction of its own before answering (`access.record_read`): nothing is answered that was
not audited. What the caller may not see answers 404 exactly as what does not exist.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Final

from wardlink.core.fhir import Json, is_fhir_id
from wardlink_server import events
from wardlink_server.auth import Caller
from wardlink_server.errors import ApiError
from wardlink_server.fhir import bundles
from wardlink_server.fhir.access import Served, record_read, scope_of
from wardlink_server.fhir.context import Context, ResourceKind
from wardlink_server.fhir.notes import Provenances, QuestionnaireResponses
from wardlink_server.fhir.paging import PageState, seal, unseal
from wardlink_server.fhir.patients import Patients
from wardlink_server.fhir.photos import Binaries, DocumentReferences
from wardlink_server.fhir.questionnaires import Questionnaires
from wardlink_server.fhir.search import COUNT, DEFAULT_COUNT, PAGE, parse_count, parse_search
from wardlink_server.fhir.state import state_of
from wardlink_server.services import Services

KINDS: Final[dict[str, ResourceKind]] = {
    kind.name: kind
    for kind in (
        Patients(),
        QuestionnaireResponses(),
        Questionnaires(),
        DocumentReferences(),
        Binaries(),
        Provenances(),
    )
}
Pairs = Sequence[tuple[str, str]]


def kind_of(type_name: str) -> ResourceKind:
    kind = KINDS.get(type_name)
    if kind is None:
        raise ApiError("not_found", "This server does not serve that type of resource.")
    return kind


def _not_found() -> ApiError:
    return ApiError("not_found", "There is no such resource that you can see.")


@contextlib.contextmanager
def _context(services: Services, caller: Caller, bound: int | None = None) -> Iterator[Context]:
    state = state_of(services)
    with services.engine.connect() as conn:
        scope = scope_of(conn, caller)
        yield Context(conn, services, state, scope, events.head(conn) if bound is None else bound)


def read(
    services: Services, caller: Caller, type_name: str, rid: str, version: str | None = None
) -> Served:
    """`GET /fhir/<type>/<id>` (the latest version), or with `version` the vread."""
    kind = kind_of(type_name)
    if not is_fhir_id(rid) or (version is not None and not is_fhir_id(version)):
        raise _not_found()
    with _context(services, caller) as ctx:
        served = kind.read(ctx, rid, version)
    if served is None:
        raise _not_found()
    subject = f"{type_name}/{rid}" + (f"/_history/{version}" if version else "")
    interaction = "read" if version is None else "vread"
    record_read(
        services, caller, "fhir.read", subject, [served], detail={"interaction": interaction}
    )
    return served


def search(services: Services, caller: Caller, type_name: str, pairs: Pairs, base: str) -> Json:
    """A searchset: the first page of a search, or the page a `_page` token names."""
    kind = kind_of(type_name)
    state = state_of(services)
    page = _page_of(state.page_key, caller, pairs)
    if page is not None:
        if page.type != type_name or page.id is not None:
            raise _bad_page()
        request = parse_search(kind.params, [*page.pairs, (COUNT, str(page.count))])
    else:
        request = parse_search(kind.params, pairs)
    offset = 0 if page is None else page.offset
    with _context(services, caller, None if page is None else page.bound) as ctx:
        total, served = kind.search(ctx, request, offset)
        named = ctx.named_patients(request.criteria)
        bound = ctx.bound
    record_read(
        services, caller, "fhir.search", type_name, served, named=named,
        detail={"interaction": "search-type", "total": total, "offset": offset},
    )  # fmt: skip
    current = PageState(type_name, None, request.pairs, offset, request.count, bound)

    def url_of(at: PageState) -> str:
        return f"{base}/{type_name}?{PAGE}={seal(state.page_key, caller.staff_id, at)}"

    return bundles.searchset(base, total, served, bundles.page_links(current, total, url_of))


def history(
    services: Services, caller: Caller, type_name: str, rid: str, pairs: Pairs, base: str
) -> Json:
    """`GET /fhir/<type>/<id>/_history`: every version, newest first (`_count` to page)."""
    kind = kind_of(type_name)
    if not is_fhir_id(rid):
        raise _not_found()
    state = state_of(services)
    page = _page_of(state.page_key, caller, pairs)
    if page is not None and (page.type != type_name or page.id != rid):
        raise _bad_page()
    if page is None:
        page = PageState(type_name, rid, (), 0, _history_count(pairs), 0)
    with _context(services, caller, page.bound or None) as ctx:
        found = kind.history(ctx, rid, page.offset, page.count)
        bound = ctx.bound
    if found is None:
        raise _not_found()
    total, served = found
    record_read(
        services, caller, "fhir.read", f"{type_name}/{rid}/_history", served,
        detail={"interaction": "history-instance", "offset": page.offset},
    )  # fmt: skip
    current = PageState(type_name, rid, (), page.offset, page.count, bound)

    def url_of(at: PageState) -> str:
        token = seal(state.page_key, caller.staff_id, at)
        return f"{base}/{type_name}/{rid}/_history?{PAGE}={token}"

    return bundles.history(base, total, served, bundles.page_links(current, total, url_of))


def _page_of(key: bytes, caller: Caller, pairs: Pairs) -> PageState | None:
    tokens = [value for name, value in pairs if name == PAGE]
    if not tokens:
        return None
    if len(pairs) != 1:
        raise ApiError(
            "invalid", "A page link is used on its own, without other parameters.", field=PAGE
        )
    return unseal(key, caller.staff_id, tokens[0])


def _history_count(pairs: Pairs) -> int:
    found = DEFAULT_COUNT
    for name, value in pairs:
        if name != COUNT:
            raise ApiError("invalid", "History takes only the _count parameter.")
        found = parse_count(value)
    return found


def _bad_page() -> ApiError:
    return ApiError(
        "invalid", "That page link is not valid here. Run the search again.", field=PAGE
    )
