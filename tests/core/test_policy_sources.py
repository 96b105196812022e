"""Machine policy from each platform's store: the Windows registry (through an injected reader),
macOS managed preferences (property lists written here), the TOML file; which one each platform
reads; precedence over server and user settings; every invalid value refused naming its key."""

from __future__ import annotations

import base64
import plistlib
from pathlib import Path

import pytest

from wardlink.core import policy
from wardlink.core.policy import (
    DEFAULT_POLICY_FILE,
    POLICY_FILE_ENV,
    MachinePolicySource,
    PolicyError,
    PolicyFileError,
    PolicySource,
    TomlPolicyFile,
    machine_keys,
    machine_policy_source,
    merge,
)
from wardlink.core.policy_macos import DOMAIN, ManagedPreferences
from wardlink.core.policy_registry import (
    KEY_PATH,
    REG_BINARY,
    REG_DWORD,
    REG_EXPAND_SZ,
    REG_MULTI_SZ,
    REG_QWORD,
    REG_SZ,
    RegistryPolicy,
    RegistryValues,
    WinregReader,
    expand_variables,
)

KEY_B64 = base64.b64encode(bytes(range(1, 33))).decode("ascii")  # 32 bytes, as a key has

# Written out from DESIGN.md §7: the keys IT sets per PC (the MSI and ADMX templates use them).
MACHINE_KEYS = (
    "server_url",
    "server_public_key",
    "ca_bundle",
    "data_dir",
    "idle_lock_minutes",
    "allow_pdf_export",
)
GOOD: dict[str, object] = {
    "server_url": "https://records.example.nhs.uk",
    "server_public_key": KEY_B64,
    "ca_bundle": "/etc/ssl/wardlink-ca.pem",
    "data_dir": "/srv/wardlink",
    "idle_lock_minutes": 3,
    "allow_pdf_export": True,
}
EXPECTED = {
    **GOOD,
    "ca_bundle": Path("/etc/ssl/wardlink-ca.pem"),
    "data_dir": Path("/srv/wardlink"),
}
# A value of the right type for each key that the schema still refuses.
BAD: dict[str, object] = {
    "server_url": "http://records.example.nhs.uk",
    "server_public_key": "not a key",
    "ca_bundle": "certs/ca.pem",
    "data_dir": "wardlink-data",
    "idle_lock_minutes": 0,
    "allow_pdf_export": "yes",
}


class FakeRegistry:
    """Stands in for HKLM: key path → value name → (registry type, value)."""

    def __init__(self, keys: dict[str, RegistryValues] | None = None) -> None:
        self.keys = keys or {}
        self.asked: list[str] = []

    def values(self, key_path: str) -> RegistryValues:
        self.asked.append(key_path)
        return dict(self.keys.get(key_path, {}))


class DeniedRegistry:
    def values(self, key_path: str) -> RegistryValues:
        raise PermissionError(5, "Access is denied")


def registry_type(key: str, value: object) -> tuple[int, object]:
    """How Group Policy would store `value` for `key`."""
    if isinstance(value, bool):
        return REG_DWORD, int(value)
    if isinstance(value, int):
        return REG_DWORD, value
    return REG_SZ, value


def from_registry(values: dict[str, tuple[int, object]], **environ: str) -> dict[str, object]:
    return RegistryPolicy(FakeRegistry({KEY_PATH: values}), environ).read()


def write_plist(path: Path, values: dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(plistlib.dumps(values))
    return path


def managed(
    tmp_path: Path, computer: dict[str, object] | None, user: dict[str, object] | None
) -> ManagedPreferences:
    root = tmp_path / "Managed Preferences"
    root.mkdir(exist_ok=True)
    if computer is not None:
        write_plist(root / f"{DOMAIN}.plist", computer)
    if user is not None:
        write_plist(root / "nurse" / f"{DOMAIN}.plist", user)
    return ManagedPreferences(root, user="nurse")


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return f'"{value}"'


def toml_file(tmp_path: Path, values: dict[str, object]) -> TomlPolicyFile:
    path = tmp_path / "policy.toml"
    path.write_text("".join(f"{k} = {toml_value(v)}\n" for k, v in values.items()), "utf-8")
    return TomlPolicyFile(path)


def source_with(kind: str, tmp_path: Path, values: dict[str, object]) -> MachinePolicySource:
    if kind == "registry":
        raw = {k: registry_type(k, v) for k, v in values.items()}
        return RegistryPolicy(FakeRegistry({KEY_PATH: raw}), {})
    if kind == "macos":
        return managed(tmp_path, values, None)
    return toml_file(tmp_path, values)


SOURCES = ("registry", "macos", "toml")


# --- the keys machine policy may set ------------------------------------------------------------


def test_machine_keys_are_designs() -> None:
    assert machine_keys() == MACHINE_KEYS
    assert set(GOOD) == set(BAD) == set(MACHINE_KEYS)


# --- each source parsed -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", SOURCES)
def test_every_machine_key_is_read_from_each_source(kind: str, tmp_path: Path) -> None:
    source = source_with(kind, tmp_path, GOOD)
    raw = source.read()
    effective = merge(raw, None, None)
    for key, value in EXPECTED.items():
        assert getattr(effective, key) == value, key
        assert effective.source_of(key) is PolicySource.MACHINE
    assert source.describe()


@pytest.mark.parametrize("kind", SOURCES)
def test_nothing_set_is_an_empty_policy(kind: str, tmp_path: Path) -> None:
    if kind == "registry":
        source: MachinePolicySource = RegistryPolicy(FakeRegistry(), {})
    elif kind == "macos":
        source = managed(tmp_path, None, None)
    else:
        source = TomlPolicyFile(tmp_path / "absent.toml")
    assert source.read() == {}


@pytest.mark.parametrize("kind", SOURCES)
@pytest.mark.parametrize("key", MACHINE_KEYS)
def test_every_invalid_value_is_refused_naming_its_key(kind: str, key: str, tmp_path: Path) -> None:
    values = {**GOOD, key: BAD[key]}
    if kind == "registry" and key == "allow_pdf_export":
        raw = {k: registry_type(k, v) for k, v in GOOD.items()}
        raw[key] = (REG_DWORD, 2)  # neither 1 nor 0
        source: MachinePolicySource = RegistryPolicy(FakeRegistry({KEY_PATH: raw}), {})
    else:
        source = source_with(kind, tmp_path, values)
    with pytest.raises(PolicyError) as info:
        merge(source.read(), None, None)
    assert info.value.key == key
    assert info.value.source == "machine"
    assert str(info.value).startswith(f"{key}: ")
    if isinstance(BAD[key], str):
        assert str(BAD[key]) not in info.value.reason  # the value is never echoed


@pytest.mark.parametrize("kind", SOURCES)
def test_an_unknown_or_server_only_key_is_refused_by_name(kind: str, tmp_path: Path) -> None:
    for key, value in (("idle_lock_minute", 3), ("wipe_after_days", 7)):
        source = source_with(kind, tmp_path, {key: value})
        with pytest.raises(PolicyError) as info:
            merge(source.read(), None, None)
        assert info.value.key == key


# --- the Windows registry -----------------------------------------------------------------------

WRONG_TYPES: dict[str, tuple[int, object]] = {
    "server_url": (REG_DWORD, 1),
    "server_public_key": (REG_BINARY, b"\x01" * 32),
    "ca_bundle": (REG_MULTI_SZ, ["C:\\ca.pem"]),
    "data_dir": (REG_DWORD, 0),
    "idle_lock_minutes": (REG_SZ, "5"),
    "allow_pdf_export": (REG_SZ, "true"),
}


@pytest.mark.parametrize("key", MACHINE_KEYS)
def test_a_value_of_the_wrong_registry_type_is_refused_naming_the_key(key: str) -> None:
    kind, value = WRONG_TYPES[key]
    with pytest.raises(PolicyError) as info:
        from_registry({key: (kind, value)})
    assert info.value.key == key
    assert info.value.source == "machine"
    assert "REG_" in info.value.reason


def test_numbers_take_only_a_dword() -> None:
    assert from_registry({"idle_lock_minutes": (REG_DWORD, 10)}) == {"idle_lock_minutes": 10}
    with pytest.raises(
        PolicyError, match=r"^idle_lock_minutes: must be a REG_DWORD number, not REG_QWORD$"
    ):
        from_registry({"idle_lock_minutes": (REG_QWORD, 10)})


def test_flags_are_dword_one_or_zero() -> None:
    assert from_registry({"allow_pdf_export": (REG_DWORD, 1)}) == {"allow_pdf_export": True}
    assert from_registry({"allow_pdf_export": (REG_DWORD, 0)}) == {"allow_pdf_export": False}
    for bad in (2, 0xFFFFFFFF):
        with pytest.raises(PolicyError, match=r"^allow_pdf_export: must be REG_DWORD 1 \(on\)"):
            from_registry({"allow_pdf_export": (REG_DWORD, bad)})


def test_expand_sz_expands_environment_variables() -> None:
    raw = from_registry(
        {
            "ca_bundle": (REG_EXPAND_SZ, r"%ProgramData%\Wardlink\ca.pem"),
            "data_dir": (REG_SZ, r"%NOT_EXPANDED%\data"),
        },
        PROGRAMDATA="/srv/programdata",
    )
    assert raw == {
        "ca_bundle": r"/srv/programdata\Wardlink\ca.pem",
        "data_dir": r"%NOT_EXPANDED%\data",  # REG_SZ is taken as written
    }


def test_expansion_is_as_windows_does_it() -> None:
    environ = {"UserProfile": r"C:\Users\nurse", "X": "1"}
    assert expand_variables(r"%USERPROFILE%\w", environ) == r"C:\Users\nurse\w"
    assert expand_variables("%unknown%-%x%", environ) == "%unknown%-1"
    assert expand_variables("100%", environ) == "100%"


def test_value_names_are_not_case_sensitive_as_in_windows() -> None:
    assert from_registry({"Server_URL": (REG_SZ, "https://records.example.nhs.uk")}) == {
        "server_url": "https://records.example.nhs.uk"
    }
    with pytest.raises(PolicyError) as info:
        from_registry({"server_url": (REG_SZ, "https://a.example"), "SERVER_URL": (REG_SZ, "x")})
    assert info.value.key == "server_url"


def test_the_unnamed_default_value_is_ignored() -> None:
    assert from_registry(
        {"": (REG_SZ, "set by an installer"), "idle_lock_minutes": (REG_DWORD, 4)}
    ) == {"idle_lock_minutes": 4}


def test_the_registry_source_reads_the_policies_key() -> None:
    fake = FakeRegistry()
    source = RegistryPolicy(fake, {})
    assert source.read() == {}
    assert fake.asked == [r"SOFTWARE\Policies\Wardlink"]
    assert source.describe() == r"the Windows registry, HKLM\SOFTWARE\Policies\Wardlink"


def test_an_unreadable_key_is_an_error_not_an_empty_policy() -> None:
    with pytest.raises(PolicyError) as info:
        RegistryPolicy(DeniedRegistry(), {}).read()
    assert info.value.key == r"HKLM\SOFTWARE\Policies\Wardlink"
    assert "access denied" in info.value.reason


def test_the_real_reader_refuses_to_run_off_windows() -> None:
    with pytest.raises(OSError, match="only on Windows"):
        WinregReader().values(KEY_PATH)
    with pytest.raises(PolicyError, match="cannot be read"):
        RegistryPolicy(None, {}).read()


# --- macOS managed preferences ------------------------------------------------------------------


def test_the_computers_file_comes_first_the_users_fills_gaps(tmp_path: Path) -> None:
    source = managed(
        tmp_path,
        {"server_url": "https://records.example.nhs.uk", "idle_lock_minutes": 3},
        {"idle_lock_minutes": 10, "allow_pdf_export": True},
    )
    assert source.read() == {
        "server_url": "https://records.example.nhs.uk",
        "idle_lock_minutes": 3,
        "allow_pdf_export": True,
    }
    assert [p.name for p in source.paths] == [f"{DOMAIN}.plist"] * 2
    assert source.paths[1].parent.name == "nurse"


def test_only_the_users_file_is_enough(tmp_path: Path) -> None:
    source = managed(tmp_path, None, {"idle_lock_minutes": 10})
    assert source.read() == {"idle_lock_minutes": 10}


def test_binary_plists_are_read(tmp_path: Path) -> None:
    root = tmp_path / "mp"
    root.mkdir()
    (root / f"{DOMAIN}.plist").write_bytes(
        plistlib.dumps({"idle_lock_minutes": 2}, fmt=plistlib.FMT_BINARY)
    )
    assert ManagedPreferences(root, user="nurse").read() == {"idle_lock_minutes": 2}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<?xml version='1.0'?><plist><dict><key>a</key>", "not a valid property list"),
        (b"not a plist at all", "not a valid property list"),
        (plistlib.dumps(["idle_lock_minutes", 3]), "must hold a dictionary"),
    ],
)
def test_a_damaged_file_is_an_error_naming_it(tmp_path: Path, data: bytes, reason: str) -> None:
    root = tmp_path / "mp"
    root.mkdir()
    path = root / f"{DOMAIN}.plist"
    path.write_bytes(data)
    with pytest.raises(PolicyFileError, match=reason) as info:
        ManagedPreferences(root, user="nurse").read()
    assert info.value.path == path


def test_plist_types_that_do_not_fit_are_refused_naming_the_key(tmp_path: Path) -> None:
    for key, value in (("idle_lock_minutes", 5.0), ("allow_pdf_export", 1), ("data_dir", b"x")):
        source = managed(tmp_path, {key: value}, None)
        with pytest.raises(PolicyError) as info:
            merge(source.read(), None, None)
        assert info.value.key == key


def test_an_odd_user_name_reads_only_the_computers_file(tmp_path: Path) -> None:
    root = tmp_path / "mp"
    for user in ("", "..", "a/b"):
        assert ManagedPreferences(root, user=user).paths == (root / f"{DOMAIN}.plist",)


# --- which source each platform reads -----------------------------------------------------------


def test_each_platform_has_its_source() -> None:
    assert machine_policy_source("linux", environ={}) == TomlPolicyFile(DEFAULT_POLICY_FILE)
    assert machine_policy_source("freebsd14", environ={}) == TomlPolicyFile(DEFAULT_POLICY_FILE)
    assert isinstance(machine_policy_source("darwin", environ={}), ManagedPreferences)
    fake = FakeRegistry({KEY_PATH: {"idle_lock_minutes": (REG_DWORD, 4)}})
    windows = machine_policy_source("win32", environ={}, registry=fake)
    assert isinstance(windows, RegistryPolicy)
    assert windows.read() == {"idle_lock_minutes": 4}
    assert policy.machine_policy_source is machine_policy_source


@pytest.mark.parametrize("platform", ["linux", "win32", "darwin"])
def test_the_environment_variable_overrides_every_platform(platform: str) -> None:
    source = machine_policy_source(platform, environ={POLICY_FILE_ENV: "/opt/test/policy.toml"})
    assert source == TomlPolicyFile(Path("/opt/test/policy.toml"))


def test_windows_expands_with_its_environment() -> None:
    fake = FakeRegistry({KEY_PATH: {"data_dir": (REG_EXPAND_SZ, "%LOCALAPPDATA%/w")}})
    source = machine_policy_source("win32", environ={"LOCALAPPDATA": "/home/a"}, registry=fake)
    assert source.read() == {"data_dir": "/home/a/w"}


# --- precedence, whatever the source ------------------------------------------------------------


@pytest.mark.parametrize("kind", SOURCES)
def test_the_stricter_of_machine_and_server_wins_and_the_user_only_tightens(
    kind: str, tmp_path: Path
) -> None:
    machine = source_with(kind, tmp_path, {"idle_lock_minutes": 10, "allow_pdf_export": False})
    raw = machine.read()
    looser_server = merge(raw, {"idle_lock_minutes": 15}, None)
    assert looser_server.idle_lock_minutes == 10
    assert looser_server.source_of("idle_lock_minutes") is PolicySource.MACHINE
    stricter_server = merge(raw, {"idle_lock_minutes": 4}, None)
    assert stricter_server.idle_lock_minutes == 4
    assert stricter_server.source_of("idle_lock_minutes") is PolicySource.SERVER
    user = merge(raw, None, {"idle_lock_minutes": 20, "allow_pdf_export": True})
    assert user.idle_lock_minutes == 10
    assert user.allow_pdf_export is False
    assert set(user.ignored_user_settings) == {"idle_lock_minutes", "allow_pdf_export"}
    tighter = merge(raw, None, {"idle_lock_minutes": 2})
    assert tighter.idle_lock_minutes == 2
    assert tighter.source_of("idle_lock_minutes") is PolicySource.USER


@pytest.mark.parametrize("kind", SOURCES)
def test_a_user_cannot_replace_the_machine_server_address(kind: str, tmp_path: Path) -> None:
    raw = source_with(kind, tmp_path, {"server_url": "https://records.example.nhs.uk"}).read()
    effective = merge(raw, None, {"server_url": "https://elsewhere.example.com"})
    assert effective.server_url == "https://records.example.nhs.uk"
    assert "server_url" in effective.ignored_user_settings


# --- where profiles live ------------------------------------------------------------------------


def test_the_data_folder_is_the_policys_else_the_platforms(isolated_environment: Path) -> None:
    assert policy.data_folder(merge({"data_dir": "/srv/w"}, None, None)) == Path("/srv/w")
    assert policy.data_folder(merge(None, None, None)) == isolated_environment / "data" / "wardlink"
