"""Bundles: a search's `searchset` and a resource's `history`, with `total` and page links.

Page links (`self`, `next`, `previous`) are opaque `_page` tokens (see `paging`); FHIR arrays
are never empty, so a Bundle without entries has no `entry` at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from wardlink.core.fhir import Json
from wardlink_server.fhir.access import Served
from wardlink_server.fhir.paging import PageState


def page_links(state: PageState, total: int, url_of: Callable[[PageState], str]) -> list[Json]:
    links: list[Json] = [{"relation": "self", "url": url_of(state)}]
    if state.count > 0 and state.offset + state.count < total:
        links.append({"relation": "next", "url": url_of(state.at(state.offset + state.count))})
    if state.count > 0 and state.offset > 0:
        previous = max(0, min(state.offset, total) - state.count)
        links.append({"relation": "previous", "url": url_of(state.at(previous))})
    return links


def searchset(base: str, total: int, served: Sequence[Served], links: list[Json]) -> Json:
    bundle: Json = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    if served:
        bundle["entry"] = [
            {"fullUrl": f"{base}/{item.reference}", "resource": item.resource,
             "search": {"mode": "match"}}
            for item in served
        ]  # fmt: skip
    return bundle


def history(base: str, total: int, served: Sequence[Served], links: list[Json]) -> Json:
    """Versions newest first; each says how it came about (FHIR wants `request` and `response`
    in every history entry): a first version was created, a later one updated the resource."""
    bundle: Json = {"resourceType": "Bundle", "type": "history", "total": total, "link": links}
    entries: list[Json] = []
    for item in served:
        resource_meta = item.resource["meta"]
        assert isinstance(resource_meta, dict)
        version, updated = resource_meta["versionId"], resource_meta["lastUpdated"]
        resource_type = str(item.resource["resourceType"])
        entries.append(
            {
                "fullUrl": f"{base}/{item.reference}",
                "resource": item.resource,
                "request": {
                    "method": "POST" if item.created else "PUT",
                    "url": resource_type if item.created else item.reference,
                },
                "response": {
                    "status": "201 Created" if item.created else "200 OK",
                    "etag": f'W/"{version}"',
                    "lastModified": updated,
                },
            }
        )
    if entries:
        bundle["entry"] = entries
    return bundle
