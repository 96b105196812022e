"""Server policy from IT's TOML file: checked strictly, sent to clients at sign-in, and announced
once with `policy.updated` when it changes between runs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.server.conftest import Directory, auth
from tests.server.direct_sign_in import token_for
from wardlink.core.policy import PolicyError
from wardlink_server import cli, schema, server_policy
from wardlink_server.app import create_app
from wardlink_server.services import Services, build_services


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "server-policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file_gives_the_server_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'idle_lock_minutes = 2\nhistory_days = 14\nhospital_number_pattern = "RX\\\\d{7}"\n',
    )
    assert server_policy.read_policy_file(path) == {
        "idle_lock_minutes": 2,
        "history_days": 14,
        "hospital_number_pattern": r"RX\d{7}",
    }


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("idle_lock_minuts = 2\n", "idle_lock_minuts"),  # a typo is not silently ignored
        ('server_url = "https://records.example.nhs.uk"\n', "server_url"),  # machine only
        ("allow_pdf_export = true\n", "allow_pdf_export"),
        ("idle_lock_minutes = 0\n", "idle_lock_minutes"),
        ('hospital_number_pattern = "("\n', "hospital_number_pattern"),
        ("wipe_after_days = -1\n", "wipe_after_days"),
    ],
)
def test_every_bad_key_or_value_is_refused_by_name(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(PolicyError) as refused:
        server_policy.read_policy_file(write(tmp_path, text))
    assert refused.value.key == key
    assert key in str(refused.value)


def test_a_named_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="does not exist"):
        server_policy.read_policy_file(tmp_path / "nowhere.toml")


@pytest.fixture
def with_policy(services: Services) -> Iterator[Services]:
    """The same database, served again with IT's new policy (a restart)."""
    again = build_services(
        dataclasses.replace(services.config, policy={"idle_lock_minutes": 2, "history_days": 7})
    )
    yield again
    again.engine.dispose()


def policy_events(services: Services) -> list[dict[str, object]]:
    e = schema.events
    with services.engine.connect() as conn:
        rows = conn.execute(select(e.c.data).where(e.c.type == "policy.updated").order_by(e.c.seq))
        return [json.loads(row[0]) for row in rows]


def test_a_changed_policy_is_announced_once_and_reaches_clients(
    services: Services, with_policy: Services, board: Directory
) -> None:
    assert server_policy.publish(services) is False  # defaults: clients assume them already
    assert policy_events(services) == []

    assert server_policy.publish(with_policy) is True
    assert server_policy.publish(with_policy) is False  # the next restart says nothing new
    (announced,) = policy_events(services)
    assert announced["policy"]["idle_lock_minutes"] == 2  # type: ignore[index]
    assert announced["policy"]["history_days"] == 7  # type: ignore[index]

    with TestClient(create_app(with_policy)) as client:
        token = token_for(with_policy, board.staff["dave"])  # in no team: global events still
        page = client.get("/api/v1/sync/pull?since=0&limit=1000", headers=auth(token)).json()
    updates = [e for e in page["events"] if e["type"] == "policy.updated"]
    assert [u["data"]["policy"]["idle_lock_minutes"] for u in updates] == [2]

    assert server_policy.publish(services) is True  # back to the defaults: announced too
    assert policy_events(services)[-1]["policy"]["idle_lock_minutes"] == 5  # type: ignore[index]


def test_serve_refuses_to_start_with_a_bad_policy_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "lock_after_hours = 0\n")
    database = f"sqlite:///{tmp_path / 'records.db'}"
    status = cli.main(["serve", "--database", database, "--policy", str(path), "--port", "0"])
    assert status == 1
    err = capsys.readouterr().err
    assert "lock_after_hours" in err and "server policy is not valid" in err
