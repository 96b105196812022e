"""The CapabilityStatement (`GET /fhir/metadata`, public): exactly what this API serves.

It is made from the same lists the searches are checked against, so it cannot claim a
parameter the server refuses, or leave out one it takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from wardlink.core.fhir import Json
from wardlink_server import __version__
from wardlink_server.fhir.context import ResourceKind
from wardlink_server.fhir.search import MAX_COUNT, Param

# When what this API serves last changed: a new parameter or resource means a new date.
CAPABILITY_DATE: Final = "2026-11-28"
INTERACTIONS: Final = ("read", "vread", "history-instance", "search-type")


def capability_statement(kinds: Iterable[ResourceKind], base: str) -> Json:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": CAPABILITY_DATE,
        "publisher": "Wardlink",
        "kind": "instance",
        "software": {"name": "Wardlink record server", "version": __version__},
        "implementation": {
            "description": "Wardlink record server: the team's FHIR record",
            "url": base,
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read-only. Searches take their parameters in the URL or in a "
                    "POST <type>/_search form body; unknown parameters are refused (400). "
                    f"_count is 0 to {MAX_COUNT}, default 50; page links are opaque."
                ),
                "security": {
                    "cors": False,
                    "description": (
                        "Every request but this one needs Authorization: Bearer <token>. "
                        "Staff read the records of their own teams; integration accounts read "
                        "all, and every read is audited."
                    ),
                },
                "resource": [_resource(kind) for kind in kinds],
            }
        ],
    }


def _resource(kind: ResourceKind) -> Json:
    resource: Json = {
        "type": kind.name,
        "interaction": [{"code": code} for code in INTERACTIONS],
        "versioning": "versioned",
        "readHistory": True,
        "updateCreate": False,
    }
    params = [_param(param) for param in kind.params]
    if params:
        resource["searchParam"] = params
    return resource


def _param(param: Param) -> Json:
    name, _, modifier = param.name.partition(":")
    documentation = param.documentation
    if modifier:  # `subject:identifier`: the parameter is `subject`, taken with this modifier only
        documentation = f"Only as {param.name}: {documentation}"
    return {
        "name": name,
        "type": "reference" if modifier else param.type,
        "documentation": documentation,
    }
