"""HTTP routes, one module per area; each exposes `router`."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from wardlink_server.api import admin, blobs, sessions, sync
    from wardlink_server.fhir import routes as fhir

    return [sessions.router, sync.router, blobs.router, admin.router, fhir.router]
