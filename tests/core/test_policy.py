"""The policy schema of DESIGN.md §7: defaults, validation, precedence, the machine policy file."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from wardlink.core import policy
from wardlink.core.policy import (
    Policy,
    PolicyError,
    PolicyFileError,
    PolicySource,
    check_machine_policy,
    check_server_policy,
    check_setting,
    merge,
    read_machine_policy,
)

CHI_OID = "urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53"

# Written out here, independently of the module's table, from DESIGN.md §7 and the brief.
EXPECTED_DEFAULTS: dict[str, object] = {
    "server_url": None,
    "server_public_key": None,
    "ca_bundle": None,
    "data_dir": None,
    "idle_lock_minutes": 5,
    "lock_after_hours": 72,
    "wipe_after_days": 30,
    "history_days": 30,
    "device_retention_days": 30,
    "hospital_number_pattern": None,
    "chi_system": CHI_OID,
    "max_photo_mb": 10,
    "allow_pdf_export": False,
}
RANGES: dict[str, tuple[int, int]] = {
    "idle_lock_minutes": (1, 480),
    "lock_after_hours": (1, 720),
    "wipe_after_days": (1, 365),
    "history_days": (1, 365),
    "device_retention_days": (1, 365),
    "max_photo_mb": (1, 50),
}
MACHINE_ONLY = ("server_url", "server_public_key", "ca_bundle", "data_dir", "allow_pdf_export")
SERVER_ONLY = (
    "lock_after_hours",
    "wipe_after_days",
    "history_days",
    "device_retention_days",
    "hospital_number_pattern",
    "chi_system",
    "max_photo_mb",
)


def ed25519_key_bytes(seed: int = 1) -> bytes:
    """A real Ed25519 public key, the same on every run."""
    private = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def refused(key: str, value: object) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        check_setting(key, value)
    assert info.value.key == key
    assert str(info.value).startswith(f"{key}: ")
    return info.value


# --- defaults ------------------------------------------------------------------------------------


def test_defaults_are_designs() -> None:
    assert Policy().as_dict() == EXPECTED_DEFAULTS


def test_merge_of_nothing_is_the_defaults_from_the_default_source() -> None:
    effective = merge(None, None, None)
    assert effective == Policy()
    assert set(effective.sources.values()) == {PolicySource.DEFAULT}
    assert effective.ignored_user_settings == {}
    assert effective.ignored_server_keys == ()


def test_policy_error_is_a_value_error() -> None:
    assert issubclass(PolicyError, ValueError)
    assert issubclass(PolicyFileError, PolicyError)


def test_policy_checks_values_on_construction() -> None:
    with pytest.raises(PolicyError, match=r"^idle_lock_minutes: "):
        Policy(idle_lock_minutes=0)
    assert Policy(data_dir="/srv/wardlink").data_dir == Path("/srv/wardlink")  # type: ignore[arg-type]


def test_derived_values() -> None:
    p = Policy(idle_lock_minutes=7, max_photo_mb=2)
    assert p.idle_lock.total_seconds() == 7 * 60
    assert p.lock_after.total_seconds() == 72 * 3600
    assert p.wipe_after.days == 30
    assert p.max_photo_bytes == 2 * 1024 * 1024


# --- validation of each key ----------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(RANGES))
def test_whole_numbers_accept_their_range_and_nothing_else(key: str) -> None:
    low, high = RANGES[key]
    assert check_setting(key, low) == low
    assert check_setting(key, high) == high
    for bad in (low - 1, high + 1, -5, True, False, float(low), str(low), None, [low]):
        error = refused(key, bad)
        assert f"between {low} and {high}" in error.message


def test_idle_lock_message_is_plain_language() -> None:
    error = refused("idle_lock_minutes", 481)
    assert str(error) == "idle_lock_minutes: must be a whole number of minutes between 1 and 480"
    assert error.reason == "must be a whole number of minutes between 1 and 480"


def test_allow_pdf_export_takes_only_booleans() -> None:
    assert check_setting("allow_pdf_export", True) is True
    for bad in ("true", 1, 0, None):
        refused("allow_pdf_export", bad)


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("https://records.example.nhs.uk", "https://records.example.nhs.uk"),
        ("https://records.example.nhs.uk/", "https://records.example.nhs.uk"),
        (
            "https://records.example.nhs.uk:8443/wardlink/",
            "https://records.example.nhs.uk:8443/wardlink",
        ),
        ("HTTPS://Records.Example.NHS.uk", "HTTPS://Records.Example.NHS.uk"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://LOCALHOST", "http://LOCALHOST"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("http://127.45.6.7", "http://127.45.6.7"),
        ("http://[::1]:8443", "http://[::1]:8443"),
        ("  https://records.example.nhs.uk  ", "https://records.example.nhs.uk"),
    ],
)
def test_server_url_accepted(given: str, normal: str) -> None:
    assert check_setting("server_url", given) == normal


@pytest.mark.parametrize(
    "bad",
    [
        "http://records.example.nhs.uk",  # plain http off this machine
        "http://10.0.0.5:8000",
        "http://128.0.0.1",
        "http://localhost.example.com",
        "http://127.0.0.1.example.com",
        "http://[::ffff:127.0.0.1]",  # mapped address: not ::1
        "ftp://records.example.nhs.uk",
        "records.example.nhs.uk",
        "https://",
        "https://:8443",
        "https://records.example.nhs.uk:99999",
        "https://records.example.nhs.uk:0",
        "https://records.example.nhs.uk:port",
        "https://records example.nhs.uk",
        "https://records.example.nhs.uk/a\nb",
        "https://records.example.nhs.uk/?next=1",
        "https://records.example.nhs.uk/#top",
        "https://records.example.nhs.uk/?",
        "",
        "   ",
        42,
        None,
        "https://" + "a" * 2000 + ".nhs.uk",
    ],
)
def test_server_url_refused(bad: object) -> None:
    refused("server_url", bad)


def test_server_url_with_credentials_is_refused_without_echoing_them() -> None:
    error = refused("server_url", "https://itadmin:S3cretPass@records.example.nhs.uk")
    assert "S3cretPass" not in str(error)
    assert "itadmin" not in str(error)
    assert "password" in str(error)


def test_server_url_http_message_says_https() -> None:
    assert "https://" in refused("server_url", "http://records.example.nhs.uk").message


def test_server_public_key_accepts_base64_and_hex_and_keeps_base64() -> None:
    raw = ed25519_key_bytes()
    b64 = base64.b64encode(raw).decode()
    assert check_setting("server_public_key", b64) == b64
    assert check_setting("server_public_key", raw.hex()) == b64
    assert check_setting("server_public_key", raw.hex().upper()) == b64
    assert Policy(server_public_key=raw.hex()).server_public_key_bytes == raw


@pytest.mark.parametrize(
    "bad",
    [
        base64.b64encode(bytes(31)).decode(),
        base64.b64encode(bytes(33)).decode(),
        bytes(31).hex(),
        bytes(33).hex(),
        "z" * 64,  # 64 characters, not hex
        base64.b64encode(bytes(range(200, 232))).decode().replace("+", "-").replace("/", "_"),
        base64.b64encode(bytes(32)).decode().rstrip("="),  # unpadded
        "-----BEGIN PUBLIC KEY-----",
        "",
        32,
        bytes(32),
        None,
    ],
)
def test_server_public_key_refused(bad: object) -> None:
    error = refused("server_public_key", bad)
    assert "Ed25519" in error.message


def test_urlsafe_base64_key_really_differs_from_standard() -> None:
    """Guards the parametrised case above: the url-safe form must contain - or _."""
    urlsafe = base64.urlsafe_b64encode(bytes(range(200, 232))).decode()
    assert "-" in urlsafe or "_" in urlsafe


@pytest.mark.parametrize("key", ["ca_bundle", "data_dir"])
def test_paths_must_be_absolute(key: str) -> None:
    assert check_setting(key, "/srv/wardlink/ca.pem") == Path("/srv/wardlink/ca.pem")
    assert check_setting(key, Path("/srv/wardlink")) == Path("/srv/wardlink")
    for bad in ("relative/ca.pem", "~/ca.pem", "./ca.pem", "", "  ", "/srv/a\x00b", 3, None):
        assert "absolute path" in refused(key, bad).message


@pytest.mark.parametrize(
    "pattern", [r"RX[0-9]{6}", r"\bMRN-?\d{4,8}\b", r"(?i)h\d{7}", r"[A-Z]{3}\d{7}"]
)
def test_hospital_number_pattern_accepted(pattern: str) -> None:
    assert check_setting("hospital_number_pattern", pattern) == pattern


@pytest.mark.parametrize(
    "bad",
    [
        "[A-Z",  # does not compile
        "RX(\\d{6}",
        "",
        r"\d*",  # matches empty text
        r"RX\d{6}|",
        r"^",
        r"\b",  # zero-width: matches empty spans inside text
        r"(?=RX)",
        "R" * 501,
        None,
        7,
    ],
)
def test_hospital_number_pattern_refused(bad: object) -> None:
    refused("hospital_number_pattern", bad)


def test_hospital_number_pattern_compile_error_says_where() -> None:
    assert "position" in refused("hospital_number_pattern", "RX[0-9").message


def test_chi_system_must_be_a_uri() -> None:
    assert check_setting("chi_system", CHI_OID) == CHI_OID
    assert (
        check_setting("chi_system", "https://example.scot/Id/chi") == "https://example.scot/Id/chi"
    )
    for bad in ("not a uri", "chi", "urn:oid:1.2.x", "urn:oid:", "https://a b", "", 5, None):
        refused("chi_system", bad)


def test_unknown_key_is_named() -> None:
    with pytest.raises(PolicyError) as info:
        check_setting("idle_lock_minute", 5)
    assert info.value.key == "idle_lock_minute"
    assert "spelling" in str(info.value)


# --- machine and server policy -------------------------------------------------------------------


def test_machine_policy_unknown_key_is_an_error_naming_it() -> None:
    with pytest.raises(PolicyError) as info:
        merge({"idle_lock_minutes": 5, "idle_lock_mins": 3}, None, None)
    assert info.value.key == "idle_lock_mins"
    assert info.value.source == "machine"


@pytest.mark.parametrize("key", SERVER_ONLY)
def test_machine_policy_refuses_server_only_keys(key: str) -> None:
    value = EXPECTED_DEFAULTS[key] if EXPECTED_DEFAULTS[key] is not None else r"RX\d{6}"
    with pytest.raises(PolicyError) as info:
        check_machine_policy({key: value})
    assert info.value.key == key
    assert "server" in info.value.message


def test_machine_policy_bad_value_is_named() -> None:
    with pytest.raises(PolicyError) as info:
        merge({"idle_lock_minutes": 0}, None, None)
    assert info.value.key == "idle_lock_minutes"
    assert info.value.source == "machine"


def test_server_policy_unknown_keys_are_ignored_and_listed() -> None:
    effective = merge(None, {"history_days": 14, "shiny_new_feature": True, "zz": 1}, None)
    assert effective.history_days == 14
    assert effective.ignored_server_keys == ("shiny_new_feature", "zz")
    assert check_server_policy({"shiny_new_feature": True}) == {}


@pytest.mark.parametrize("key", MACHINE_ONLY)
def test_server_policy_refuses_machine_only_keys(key: str) -> None:
    value = {"allow_pdf_export": True}.get(key, "https://elsewhere.example.org")
    with pytest.raises(PolicyError) as info:
        merge(None, {key: value}, None)
    assert info.value.key == key
    assert info.value.source == "server"


def test_server_policy_known_keys_are_validated() -> None:
    with pytest.raises(PolicyError) as info:
        merge(None, {"max_photo_mb": 500}, None)
    assert info.value.key == "max_photo_mb"
    assert info.value.source == "server"


def test_null_means_not_set() -> None:
    effective = merge(
        {"server_url": None}, {"hospital_number_pattern": None}, {"idle_lock_minutes": None}
    )
    assert effective == Policy()
    assert effective.ignored_user_settings == {}


def test_every_source_key_reaches_the_policy() -> None:
    raw = ed25519_key_bytes()
    machine = {
        "server_url": "https://records.example.nhs.uk",
        "server_public_key": raw.hex(),
        "ca_bundle": "/etc/ssl/trust/board.pem",
        "data_dir": "/srv/wardlink",
        "allow_pdf_export": True,
        "idle_lock_minutes": 9,
    }
    server = {
        "lock_after_hours": 24,
        "wipe_after_days": 10,
        "history_days": 7,
        "device_retention_days": 14,
        "hospital_number_pattern": r"RX\d{6}",
        "chi_system": "https://example.scot/Id/chi",
        "max_photo_mb": 4,
    }
    effective = merge(machine, server, None)
    assert effective.server_public_key_bytes == raw
    assert effective.ca_bundle == Path("/etc/ssl/trust/board.pem")
    assert effective.data_dir == Path("/srv/wardlink")
    assert effective.allow_pdf_export is True
    for key, value in server.items():
        assert getattr(effective, key) == value
        assert effective.source_of(key) is PolicySource.SERVER
    for key in machine:
        assert effective.source_of(key) is PolicySource.MACHINE


# --- precedence ----------------------------------------------------------------------------------


def test_stricter_machine_value_wins() -> None:
    effective = merge({"idle_lock_minutes": 2}, {"idle_lock_minutes": 15}, None)
    assert effective.idle_lock_minutes == 2
    assert effective.source_of("idle_lock_minutes") is PolicySource.MACHINE


def test_stricter_server_value_wins() -> None:
    effective = merge({"idle_lock_minutes": 15}, {"idle_lock_minutes": 2}, None)
    assert effective.idle_lock_minutes == 2
    assert effective.source_of("idle_lock_minutes") is PolicySource.SERVER


def test_a_tie_is_credited_to_machine_policy() -> None:
    effective = merge({"idle_lock_minutes": 4}, {"idle_lock_minutes": 4}, None)
    assert effective.source_of("idle_lock_minutes") is PolicySource.MACHINE


def test_policy_may_loosen_the_default() -> None:
    """Defaults are a starting point for IT, not a floor: 30 minutes on a single-user laptop."""
    effective = merge({"idle_lock_minutes": 30}, None, None)
    assert effective.idle_lock_minutes == 30


def test_user_can_tighten() -> None:
    effective = merge(
        {"idle_lock_minutes": 10, "allow_pdf_export": True},
        {"max_photo_mb": 8},
        {"idle_lock_minutes": 3, "allow_pdf_export": False, "max_photo_mb": 2, "history_days": 5},
    )
    assert (effective.idle_lock_minutes, effective.allow_pdf_export) == (3, False)
    assert (effective.max_photo_mb, effective.history_days) == (2, 5)
    for key in ("idle_lock_minutes", "allow_pdf_export", "max_photo_mb", "history_days"):
        assert effective.source_of(key) is PolicySource.USER
    assert effective.ignored_user_settings == {}


def test_user_cannot_loosen_and_is_told() -> None:
    effective = merge(
        {"idle_lock_minutes": 10},
        {"wipe_after_days": 7},
        {"idle_lock_minutes": 60, "wipe_after_days": 90, "allow_pdf_export": True},
    )
    assert (effective.idle_lock_minutes, effective.wipe_after_days) == (10, 7)
    assert effective.allow_pdf_export is False
    assert effective.source_of("idle_lock_minutes") is PolicySource.MACHINE
    assert effective.source_of("allow_pdf_export") is PolicySource.DEFAULT
    ignored = effective.ignored_user_settings
    assert set(ignored) == {"idle_lock_minutes", "wipe_after_days", "allow_pdf_export"}
    assert ignored["idle_lock_minutes"].startswith("idle_lock_minutes: ")
    assert "10" in ignored["idle_lock_minutes"]


def test_user_cannot_loosen_a_default() -> None:
    effective = merge(None, None, {"idle_lock_minutes": 120})
    assert effective.idle_lock_minutes == 5
    assert "idle_lock_minutes" in effective.ignored_user_settings


def test_user_setting_equal_to_policy_is_quietly_no_change() -> None:
    effective = merge({"idle_lock_minutes": 10}, None, {"idle_lock_minutes": 10})
    assert effective.source_of("idle_lock_minutes") is PolicySource.MACHINE
    assert effective.ignored_user_settings == {}


def test_user_may_choose_server_url_and_key_only_where_machine_policy_did_not() -> None:
    raw = ed25519_key_bytes()
    user = {"server_url": "https://mine.example.org", "server_public_key": raw.hex()}
    free = merge(None, None, user)
    assert free.server_url == "https://mine.example.org"
    assert free.server_public_key_bytes == raw
    assert free.source_of("server_url") is PolicySource.USER
    assert free.source_of("server_public_key") is PolicySource.USER

    pinned_key = base64.b64encode(ed25519_key_bytes(seed=2)).decode()
    machine = {"server_url": "https://records.example.nhs.uk", "server_public_key": pinned_key}
    locked = merge(machine, None, user)
    assert locked.server_url == "https://records.example.nhs.uk"
    assert locked.server_public_key == pinned_key
    assert set(locked.ignored_user_settings) == {"server_url", "server_public_key"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ca_bundle", "/home/someone/mitm.pem"),
        ("data_dir", "/media/usb/wardlink"),
        ("chi_system", "https://example.scot/Id/chi"),
        ("hospital_number_pattern", r"RX\d{6}"),
    ],
)
def test_organisation_only_keys_ignore_the_user(key: str, value: str) -> None:
    effective = merge(None, None, {key: value})
    assert getattr(effective, key) == EXPECTED_DEFAULTS[key]
    assert effective.source_of(key) is PolicySource.DEFAULT
    assert key in effective.ignored_user_settings


def test_bad_user_settings_never_raise_but_are_reported() -> None:
    effective = merge(
        None,
        None,
        {"idle_lock_minutes": "soon", "no_such_setting": 1, "server_url": "http://x.org"},
    )
    assert effective.idle_lock_minutes == 5
    assert effective.server_url is None
    ignored = effective.ignored_user_settings
    assert set(ignored) == {"idle_lock_minutes", "no_such_setting", "server_url"}
    assert "whole number" in ignored["idle_lock_minutes"]


ordered_value = st.none() | st.integers(min_value=1, max_value=480)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(machine=ordered_value, server=ordered_value, user=ordered_value)
def test_idle_lock_is_the_strictest_policy_then_only_tighter(
    machine: int | None, server: int | None, user: int | None
) -> None:
    effective = merge(
        {"idle_lock_minutes": machine}, {"idle_lock_minutes": server}, {"idle_lock_minutes": user}
    )
    set_by_policy = [v for v in (machine, server) if v is not None]
    floor = min(set_by_policy) if set_by_policy else 5
    expected = floor if user is None else min(floor, user)
    assert effective.idle_lock_minutes == expected
    assert effective.idle_lock_minutes <= floor
    loosened = user is not None and user > floor
    assert ("idle_lock_minutes" in effective.ignored_user_settings) == loosened


@settings(derandomize=True, max_examples=50, deadline=None)
@given(machine=st.none() | st.booleans(), user=st.none() | st.booleans())
def test_pdf_export_on_only_if_machine_allows_and_user_does_not_refuse(
    machine: bool | None, user: bool | None
) -> None:
    effective = merge({"allow_pdf_export": machine}, None, {"allow_pdf_export": user})
    assert effective.allow_pdf_export is (machine is True and user is not False)


# --- the machine policy file ---------------------------------------------------------------------


def test_missing_file_is_an_empty_policy(tmp_path: Path) -> None:
    assert read_machine_policy(tmp_path / "absent.toml") == {}
    assert read_machine_policy() == {}  # the per-test file the environment names does not exist


def test_environment_variable_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "it" / "policy.toml"
    path.parent.mkdir()
    path.write_text('server_url = "https://records.example.nhs.uk"\nidle_lock_minutes = 3\n')
    monkeypatch.setenv(policy.POLICY_FILE_ENV, str(path))
    raw = read_machine_policy()
    assert raw == {"server_url": "https://records.example.nhs.uk", "idle_lock_minutes": 3}
    assert merge(raw, None, None).idle_lock_minutes == 3


def test_the_test_environment_points_policy_away_from_etc() -> None:
    assert os.environ[policy.POLICY_FILE_ENV] != str(policy.DEFAULT_POLICY_FILE)


def test_argument_overrides_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file, arg_file = tmp_path / "env.toml", tmp_path / "arg.toml"
    env_file.write_text("idle_lock_minutes = 3\n")
    arg_file.write_text("idle_lock_minutes = 7\n")
    monkeypatch.setenv(policy.POLICY_FILE_ENV, str(env_file))
    assert read_machine_policy(arg_file) == {"idle_lock_minutes": 7}


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('server_url = "https://records.example.nhs.uk"\n\nidle_lock_minutes = = 3\n')
    with pytest.raises(PolicyFileError) as info:
        read_machine_policy(path)
    assert info.value.line == 3
    assert info.value.path == path
    assert f"{path}, line 3" in str(info.value)
    assert "TOML" in str(info.value)


def test_duplicate_key_is_a_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("idle_lock_minutes = 3\nidle_lock_minutes = 4\n")
    with pytest.raises(PolicyFileError) as info:
        read_machine_policy(path)
    assert info.value.line == 2


def test_keys_may_sit_under_a_wardlink_table(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        'data_dir = "/srv/wardlink"\n\n[wardlink]\nidle_lock_minutes = 3\nallow_pdf_export = true\n'
    )
    raw = read_machine_policy(path)
    assert raw == {"data_dir": "/srv/wardlink", "idle_lock_minutes": 3, "allow_pdf_export": True}
    effective = merge(raw, None, None)
    assert effective.allow_pdf_export is True
    assert effective.data_dir == Path("/srv/wardlink")


def test_a_key_in_both_places_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("idle_lock_minutes = 3\n[wardlink]\nidle_lock_minutes = 4\n")
    with pytest.raises(PolicyError) as info:
        read_machine_policy(path)
    assert info.value.key == "idle_lock_minutes"


def test_wardlink_must_be_a_table(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("wardlink = 1\n")
    with pytest.raises(PolicyError) as info:
        read_machine_policy(path)
    assert info.value.key == "wardlink"


def test_unknown_table_in_file_is_an_unknown_key(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("[wardlnk]\nidle_lock_minutes = 3\n")
    with pytest.raises(PolicyError) as info:
        merge(read_machine_policy(path), None, None)
    assert info.value.key == "wardlnk"


def test_unreadable_policy_is_an_error_not_an_empty_policy(tmp_path: Path) -> None:
    folder = tmp_path / "policy.toml"
    folder.mkdir()
    with pytest.raises(PolicyFileError):
        read_machine_policy(folder)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"idle_lock_minutes = 3\n# \xff\xfe\n")
    with pytest.raises(PolicyFileError, match="UTF-8"):
        read_machine_policy(binary)


def test_permission_denied_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulated: a test running as root could read a chmod 000 file anyway."""
    path = tmp_path / "policy.toml"
    path.write_text("idle_lock_minutes = 3\n")

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(PolicyFileError, match="permission denied") as info:
        read_machine_policy(path)
    assert info.value.path == path


def test_platform_sources() -> None:
    """Each platform's own store; the file named in the environment on all (more in
    test_policy_sources.py)."""
    linux = policy.machine_policy_source("linux", environ={})
    assert linux == policy.TomlPolicyFile(policy.DEFAULT_POLICY_FILE)
    assert linux.describe() == str(policy.DEFAULT_POLICY_FILE)
    assert "registry" in policy.machine_policy_source("win32", environ={}).describe()
    assert "managed preferences" in policy.machine_policy_source("darwin", environ={}).describe()
    for platform in ("win32", "darwin"):
        override = policy.machine_policy_source(
            platform, environ={policy.POLICY_FILE_ENV: "/opt/test/policy.toml"}
        )
        assert override == policy.TomlPolicyFile(Path("/opt/test/policy.toml"))


# --- the reference table -------------------------------------------------------------------------


def test_reference_table_covers_every_key_in_order() -> None:
    rows = policy.reference_table()
    assert [r.name for r in rows] == list(EXPECTED_DEFAULTS)
    by_name = {r.name: r for r in rows}
    assert by_name["idle_lock_minutes"].default == "5"
    assert by_name["idle_lock_minutes"].sources == "machine, server"
    assert by_name["allow_pdf_export"].default == "false"
    assert by_name["chi_system"].default == CHI_OID
    assert by_name["server_url"].default.startswith("none (")
    for row in rows:
        assert row.meaning
        assert row.kind
        assert row.sources in ("machine", "server", "machine, server")


def test_reference_table_sources_match_design() -> None:
    by_name = {r.name: r.sources for r in policy.reference_table()}
    for key in MACHINE_ONLY:
        assert by_name[key] == "machine"
    for key in SERVER_ONLY:
        assert by_name[key] == "server"


def test_reference_markdown_has_a_row_per_key() -> None:
    text = policy.reference_markdown()
    for key in EXPECTED_DEFAULTS:
        assert f"| `{key}` |" in text
    assert len(text.strip().splitlines()) == 2 + len(EXPECTED_DEFAULTS)
