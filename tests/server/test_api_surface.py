"""The whole HTTP surface, walked from the OpenAPI schema: nothing but the public allow-list
answers without a token, and no input at all makes the server fail (no 5xx).

The schema is read in-process (`app.openapi()`), since the served docs are off by default.
"""

from __future__ import annotations

import dataclasses
import re
import string
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wardlink_server.app import PUBLIC_ROUTES, create_app
from wardlink_server.services import Services

from .conftest import Directory, auth

PARAM = re.compile(r"\{([^}]+)\}")


def operations(services: Services) -> list[tuple[str, str, dict[str, Any]]]:
    spec = create_app(services).openapi()
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method.upper() in ("GET", "POST", "PUT", "DELETE", "PATCH"):
                found.append((method.upper(), path, operation))
    return sorted(found, key=lambda op: (op[1], op[0]))


def fill(path: str, value: str) -> str:
    return PARAM.sub(lambda _m: value, path)


def test_the_schema_lists_the_protocol_routes(services: Services) -> None:
    listed = {(m, p) for m, p, _ in operations(services)}
    assert ("POST", "/api/v1/sessions") in listed
    assert ("GET", "/healthz") in listed
    assert len(listed) >= 5


def test_every_route_but_the_public_ones_refuses_an_unauthenticated_request(
    client: TestClient, services: Services
) -> None:
    checked = 0
    for method, path, _ in operations(services):
        if (method, path) in PUBLIC_ROUTES:
            continue
        url = fill(path, str(uuid.uuid4()) if "sha" not in path else "0" * 64)
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
            response = client.request(method, url, headers=headers, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"]["code"] == "unauthenticated", (method, path)
        checked += 1
    assert checked >= 4


json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=25,
)
segment = st.one_of(
    st.uuids().map(str),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.~%", min_size=1, max_size=70),
    st.just("0" * 64),
)
query = st.dictionaries(
    st.sampled_from(["since", "limit", "wait", "before", "username"]),
    st.one_of(st.integers(min_value=-5, max_value=10**12).map(str), st.text(max_size=12)),
    max_size=3,
)


@pytest.fixture
def signed_in(client: TestClient, board: Directory, services: Services) -> dict[str, str]:
    # A long-poll drawn by the fuzzer must not make it wait: cut the most a pull may wait.
    services.config = dataclasses.replace(services.config, max_wait_s=0.01)
    return {
        "staff": board.sign_in(client, "alice"),
        "admin": board.sign_in(client, "admin"),
        "none": "",
    }


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_input_makes_the_server_fail(
    client: TestClient, services: Services, signed_in: dict[str, str], data: st.DataObject
) -> None:
    method, path, _ = data.draw(st.sampled_from(operations(services)))
    url = fill(path, data.draw(segment))
    who = data.draw(st.sampled_from(sorted(signed_in)))
    headers = auth(signed_in[who]) if signed_in[who] else {}
    params = data.draw(query)
    if method in ("POST", "PUT", "PATCH"):
        if data.draw(st.booleans()):
            response = client.request(
                method, url, headers=headers, params=params, json=data.draw(json_value)
            )
        else:
            response = client.request(
                method,
                url,
                headers=headers,
                params=params,
                content=data.draw(st.binary(max_size=200)),
            )
    else:
        response = client.request(method, url, headers=headers, params=params)
    assert response.status_code < 500, (method, path, response.status_code, response.text)
    assert "error" in response.json() if response.status_code >= 400 else True
