"""The app's frame: health, the one error shape, size limits, docs off, schema migrations."""

from __future__ import annotations

import dataclasses

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from wardlink_server.app import create_app
from wardlink_server.database import schema_is_current
from wardlink_server.schema import metadata
from wardlink_server.services import Services


def test_healthz_is_public(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_unknown_route_uses_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here?nhs=9434765919")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "There is nothing at that address."}
    }


def test_docs_are_off_unless_configured(client: TestClient, services: Services) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/openapi.json").status_code == 404
    services.config = dataclasses.replace(services.config, docs_enabled=True)
    with TestClient(create_app(services)) as docs_client:
        assert docs_client.get("/openapi.json").status_code == 200


def test_migrated_schema_matches_the_tables_in_code(services: Services) -> None:
    assert schema_is_current(services.engine)
    with services.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    assert "events" in inspect(services.engine).get_table_names()


def test_lone_surrogates_are_refused_on_any_route(client: TestClient) -> None:
    raw = b'{"ops": [{"\\ud800": 1}], "x": "\\udfff"}'
    response = client.post("/api/v1/sessions", content=raw)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["field"] == "ops[0]"


def test_nan_and_infinity_are_not_json(client: TestClient) -> None:
    for raw in (b'{"x": NaN}', b'{"x": Infinity}', b'{"x": -Infinity}'):
        response = client.post("/api/v1/sessions", content=raw)
        assert response.status_code == 400
        assert response.json()["error"]["message"] == "The request body is not valid JSON."


def test_healthz_offers_the_lease_key_for_trust_on_first_use(
    client: TestClient, services: Services
) -> None:
    assert client.get("/healthz").json()["lease_key"] == services.public_key_b64
