"""Each self-test check on its own: what passes, what warns, what fails and how it is said."""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import keyring.backends.fail
import pytest

from tests.keyring_doubles import DictBackend, named_backend
from tests.sync.live_server import LiveServer
from wardlink.core.policy import Policy, TomlPolicyFile, merge
from wardlink.selftest import sqlcipher_check
from wardlink.selftest.data_folder_check import check_data_folder
from wardlink.selftest.keyring_check import SELF_TEST_SERVICE, check_keyring
from wardlink.selftest.policy_check import check_policy
from wardlink.selftest.qt_check import check_qt, judge_plugins
from wardlink.selftest.report import CheckResult, Status
from wardlink.selftest.server_check import ServerTimeouts, check_server
from wardlink.selftest.sqlcipher_check import check_sqlcipher
from wardlink.store.device_secrets import SERVICE

from .tls_server import CertificateAuthority, HealthzServer

FAST = ServerTimeouts(connect=2.0, read=5.0)
OTHER_KEY = base64.b64encode(bytes(range(32))).decode("ascii")


def policy_file(tmp_path: Path, text: str) -> TomlPolicyFile:
    path = tmp_path / "policy.toml"
    path.write_text(text, "utf-8")
    return TomlPolicyFile(path)


def closed_port_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- policy -------------------------------------------------------------------------------------


def test_a_valid_policy_passes_showing_its_source_and_server(tmp_path: Path) -> None:
    source = policy_file(tmp_path, 'server_url = "https://records.example.nhs.uk"\n')
    outcome = check_policy(source)
    assert outcome.result.status is Status.PASS
    assert str(source.path) in outcome.result.detail
    assert "https://records.example.nhs.uk" in outcome.result.detail
    assert outcome.policy is not None
    assert outcome.policy.server_url == "https://records.example.nhs.uk"


def test_no_policy_passes_with_the_defaults(tmp_path: Path) -> None:
    outcome = check_policy(TomlPolicyFile(tmp_path / "absent.toml"))
    assert outcome.result.status is Status.PASS
    assert "defaults apply" in outcome.result.detail
    assert "asked for it at sign-in" in outcome.result.detail
    assert outcome.policy == Policy()


def test_an_invalid_policy_fails_naming_the_key(tmp_path: Path) -> None:
    outcome = check_policy(policy_file(tmp_path, "idle_lock_minutes = 9000\n"))
    assert outcome.result.status is Status.FAIL
    assert "idle_lock_minutes: must be a whole number of minutes between 1 and 480" in (
        outcome.result.detail
    )
    assert "will not start" in outcome.result.detail
    assert outcome.policy is None


# --- keyring ------------------------------------------------------------------------------------


def test_an_allowed_key_store_passes_and_profiles_entries_are_untouched(
    allowed_keyring: DictBackend,
) -> None:
    allowed_keyring.set_password(SERVICE, "a-profile", "its secret")
    result = check_keyring(allowed_keyring)
    assert result.status is Status.PASS
    assert "Secret Service" in result.detail
    assert allowed_keyring.entries == {(SERVICE, "a-profile"): "its secret"}


def test_the_self_test_entry_is_its_own(allowed_keyring: DictBackend) -> None:
    seen: list[tuple[str, str]] = []
    real_set = allowed_keyring.set_password

    def spy(service: str, username: str, password: str) -> None:
        seen.append((service, username))
        real_set(service, username, password)

    allowed_keyring.set_password = spy  # type: ignore[method-assign]
    assert check_keyring(allowed_keyring).status is Status.PASS
    assert [service for service, _ in seen] == [SELF_TEST_SERVICE]
    assert SERVICE not in {service for service, _ in seen}


@pytest.mark.parametrize(
    "backend",
    [
        named_backend("keyrings.alt.file", "PlaintextKeyring"),
        keyring.backends.fail.Keyring(),
    ],
    ids=["plaintext", "fail"],
)
def test_a_key_store_off_the_allow_list_fails(backend: Any) -> None:
    result = check_keyring(backend)
    assert result.status is Status.FAIL
    assert "Ask IT" in result.detail


def test_a_key_store_that_errors_fails_without_its_message() -> None:
    class Broken(DictBackend):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise RuntimeError("secret detail from the backend")

    Broken.__module__, Broken.__qualname__ = "keyring.backends.SecretService", "Keyring"
    result = check_keyring(Broken())
    assert result.status is Status.FAIL
    assert "storing a test entry (RuntimeError)" in result.detail
    assert "secret detail" not in result.detail


def test_a_key_store_that_gives_back_something_else_fails() -> None:
    class Forgetful(DictBackend):
        def get_password(self, service: str, username: str) -> str | None:
            return None

    Forgetful.__module__, Forgetful.__qualname__ = "keyring.backends.macOS", "Keyring"
    result = check_keyring(Forgetful())
    assert result.status is Status.FAIL
    assert "macOS Keychain gave back something other" in result.detail


# --- SQLCipher ----------------------------------------------------------------------------------


def test_sqlcipher_really_encrypts_and_leaves_nothing_behind(
    isolated_environment: Path,
) -> None:
    result = check_sqlcipher()
    assert result.status is Status.PASS, result.detail
    assert result.detail.startswith("SQLCipher 4.")
    assert list((isolated_environment / "tmp").iterdir()) == []


def test_plain_sqlite_would_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """A build whose database ignores the key: the check must notice, not pass."""

    def plain(path: Path, dek: bytes, *, migrate_schema: bool = True) -> sqlite3.Connection:
        conn = sqlite3.connect(str(path), isolation_level=None)
        return _FakeCipher(conn)  # type: ignore[return-value]

    monkeypatch.setattr("wardlink.store.connection.open_database", plain)
    result = sqlcipher_check.check_sqlcipher()
    assert result.status is Status.FAIL
    assert "not encrypted" in result.detail


class _FakeCipher:
    """Plain SQLite pretending to answer `PRAGMA cipher_version`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "PRAGMA cipher_version":
            return self.conn.execute("SELECT '4.0 pretend'")
        return self.conn.execute(sql, *args)

    def close(self) -> None:
        self.conn.close()


# --- the data folder ----------------------------------------------------------------------------


def test_a_private_local_folder_passes(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    result = check_data_folder(folder, platform="linux")
    assert result.status is Status.PASS, result.detail
    assert "on a local disk" in result.detail
    assert list(folder.iterdir()) == []  # the probe file is gone


def test_a_missing_folder_can_be_created_and_is_not_left_behind(tmp_path: Path) -> None:
    folder = tmp_path / "not" / "yet" / "data"
    result = check_data_folder(folder, platform="linux")
    assert result.status is Status.PASS, result.detail
    assert "does not exist yet and can be created" in result.detail
    assert not (tmp_path / "not").exists()


def test_a_folder_others_can_list_warns(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(0o755)
    result = check_data_folder(folder, platform="linux")
    assert result.status is Status.WARN
    assert "other users of this computer can list it (permissions 755)" in result.detail
    assert f"chmod 700 '{folder}'" in result.detail


def test_low_free_space_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(
        shutil,
        "disk_usage",
        lambda _path: usage._replace(free=100 * 1024 * 1024),
    )
    result = check_data_folder(folder, platform="linux")
    assert result.status is Status.WARN
    assert "only 100 MB is free" in result.detail


def test_a_file_in_its_place_fails(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("x")
    result = check_data_folder(tmp_path / "data", platform="linux")
    assert result.status is Status.FAIL
    assert "is not a folder" in result.detail


def test_a_folder_that_cannot_be_written_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulated: a test running as root could write into a read-only folder anyway."""
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    real_open = Path.open

    def denied(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if self.parent == folder and "x" in mode:
            raise PermissionError(13, "Permission denied")
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    result = check_data_folder(folder, platform="linux")
    assert result.status is Status.FAIL
    assert "cannot be written to (Permission denied)" in result.detail


def test_a_network_share_fails(tmp_path: Path) -> None:
    folder = tmp_path / "share" / "data"
    folder.mkdir(parents=True, mode=0o700)
    mounts = tmp_path / "mounts"
    mounts.write_text(
        f"/dev/sda1 / ext4 rw 0 0\nfileserver:/export {tmp_path / 'share'} nfs4 rw 0 0\n"
    )
    result = check_data_folder(folder, platform="linux", mounts=mounts)
    assert result.status is Status.FAIL
    assert "network drive (nfs4)" in result.detail
    local = check_data_folder(tmp_path, platform="linux", mounts=mounts)
    assert local.status is not Status.FAIL


def test_a_windows_share_path_fails() -> None:
    result = check_data_folder(Path(r"\\fileserver\profiles\wardlink"), platform="win32")
    assert result.status is Status.FAIL
    assert "network drive" in result.detail


# --- the record server --------------------------------------------------------------------------


def test_the_live_server_passes_over_loopback_http(live_server: LiveServer) -> None:
    result = check_server(merge({"server_url": live_server.url}, None, None), timeouts=FAST)
    assert result.status is Status.PASS, result.detail
    assert "plain http, which Wardlink accepts only to this computer" in result.detail
    assert "no key is pinned" in result.detail
    assert f"the server's key ({live_server.services.public_key_b64})" in result.detail


def test_a_pinned_key_that_matches_passes(live_server: LiveServer) -> None:
    machine = {
        "server_url": live_server.url,
        "server_public_key": live_server.services.public_key_b64,
    }
    result = check_server(merge(machine, None, None), timeouts=FAST)
    assert result.status is Status.PASS, result.detail
    assert "its lease key matches server_public_key" in result.detail


def test_a_pinned_key_that_does_not_match_fails(live_server: LiveServer) -> None:
    machine = {"server_url": live_server.url, "server_public_key": OTHER_KEY}
    result = check_server(merge(machine, None, None), timeouts=FAST)
    assert result.status is Status.FAIL
    assert "not the one the policy pins (server_public_key)" in result.detail


def test_a_server_that_is_down_fails() -> None:
    url = closed_port_url()
    result = check_server(merge({"server_url": url}, None, None), timeouts=FAST)
    assert result.status is Status.FAIL
    assert "connection was refused" in result.detail


def test_no_address_anywhere_warns() -> None:
    result = check_server(Policy(), timeouts=FAST)
    assert result.status is Status.WARN
    assert result.detail == "No server address in policy; users will be asked at sign-in."


def test_the_server_option_replaces_the_policys_address(live_server: LiveServer) -> None:
    down = merge({"server_url": closed_port_url()}, None, None)
    assert check_server(down, live_server.url, timeouts=FAST).status is Status.PASS
    assert check_server(None, live_server.url, timeouts=FAST).status is Status.PASS
    refused = check_server(Policy(), "http://192.0.2.1:8443", timeouts=FAST)
    assert refused.status is Status.FAIL
    assert "server_url: must use https://" in refused.detail


def test_something_else_on_the_port_fails(live_server: LiveServer) -> None:
    result = check_server(Policy(), f"{live_server.url}/nothing", timeouts=FAST)
    assert result.status is Status.FAIL
    assert "answered HTTP 404" in result.detail


def test_an_invalid_policy_leaves_the_server_unchecked() -> None:
    result = check_server(None, timeouts=FAST)
    assert result.status is Status.WARN
    assert "Not checked" in result.detail


# --- TLS, said in plain words ---------------------------------------------------------------------


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return CertificateAuthority(tmp_path)


def tls_check(
    ca: CertificateAuthority, stem: str, *, bundle: bool, url_host: str = "localhost", **how: Any
) -> CheckResult:
    server = HealthzServer(ca.issue(stem, **how), OTHER_KEY)
    try:
        machine: dict[str, object] = {"server_url": server.url(url_host)}
        if bundle:
            machine["ca_bundle"] = str(ca.bundle)
        return check_server(merge(machine, None, None), timeouts=FAST)
    finally:
        server.stop()


def test_a_certificate_from_the_policys_ca_bundle_passes(ca: CertificateAuthority) -> None:
    result = tls_check(ca, "good", bundle=True)
    assert result.status is Status.PASS, result.detail
    assert f"its certificate was verified against the CA bundle {ca.bundle}" in result.detail


def test_an_unknown_authority_is_said_plainly(ca: CertificateAuthority) -> None:
    result = tls_check(ca, "good", bundle=False)
    assert result.status is Status.FAIL
    assert "issued by an authority this computer does not trust" in result.detail
    assert "set ca_bundle in the machine policy" in result.detail


def test_a_self_signed_certificate_is_said_plainly(ca: CertificateAuthority) -> None:
    result = tls_check(ca, "self", bundle=True, self_signed=True)
    assert result.status is Status.FAIL
    assert "does not trust: add the CA certificate that issued it to the CA bundle" in (
        result.detail
    )


def test_an_expired_certificate_is_said_plainly(ca: CertificateAuthority) -> None:
    result = tls_check(ca, "old", bundle=True, expired=True)
    assert result.status is Status.FAIL
    assert "the server's certificate has expired" in result.detail


def test_a_certificate_for_another_name_is_said_plainly(ca: CertificateAuthority) -> None:
    result = tls_check(ca, "other", bundle=True, names=("records.example.nhs.uk",),
                       url_host="localhost")  # fmt: skip
    assert result.status is Status.FAIL
    assert "is not for the name localhost" in result.detail


def test_a_missing_ca_bundle_fails(tmp_path: Path) -> None:
    machine = {"server_url": "https://localhost:1", "ca_bundle": str(tmp_path / "absent.pem")}
    result = check_server(merge(machine, None, None), timeouts=FAST)
    assert result.status is Status.FAIL
    assert "ca_bundle" in result.detail and "is missing" in result.detail


def test_http_spoken_on_an_https_address_is_a_tls_failure(live_server: LiveServer) -> None:
    https = live_server.url.replace("http://", "https://")
    result = check_server(Policy(), https, timeouts=FAST)
    assert result.status is Status.FAIL
    assert "secure (TLS) connection could not be set up" in result.detail


# --- Qt -----------------------------------------------------------------------------------------


def test_qt_and_its_plugins_are_found_here() -> None:
    result = check_qt()
    assert result.status is Status.PASS, result.detail
    assert result.detail.endswith(f"{os.sep}platforms.")


@pytest.mark.parametrize(
    ("files", "platform", "status"),
    [
        (["libqxcb.so", "libqoffscreen.so"], "linux", Status.PASS),
        (["libqoffscreen.so"], "linux", Status.WARN),
        (["qwindows.dll"], "win32", Status.PASS),
        (["libqcocoa.dylib"], "darwin", Status.PASS),
        ([], "linux", Status.WARN),
    ],
)
def test_platform_plugins_are_judged(
    tmp_path: Path, files: list[str], platform: str, status: Status
) -> None:
    folder = tmp_path / "platforms"
    folder.mkdir()
    for name in files:
        (folder / name).write_bytes(b"")
    assert judge_plugins(folder, "6.x", platform).status is status
    assert judge_plugins(tmp_path / "absent", "6.x", platform).status is Status.WARN
