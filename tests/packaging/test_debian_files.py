"""The Debian package's own files: the policy conffile (every machine key, commented out with
its default), the desktop entry, the control template, and the build and check scripts."""

from __future__ import annotations

import configparser
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.packaging.sources import PACKAGING, load_script
from wardlink.core.policy import check_machine_policy
from wardlink.core.policy_file import DEFAULT_POLICY_FILE, TomlPolicyFile

wixl_msi = load_script("windows/wixl_msi.py")
DEBIAN = PACKAGING / "debian"
POLICY_TEXT = (DEBIAN / "policy.toml").read_text(encoding="utf-8")
COMMENTED_KEY = re.compile(r"^# (\w+) = (.+)$", re.MULTILINE)


def test_the_shipped_policy_sets_nothing(tmp_path: Path) -> None:
    assert tomllib.loads(POLICY_TEXT) == {}
    assert str(DEFAULT_POLICY_FILE) == "/etc/wardlink/policy.toml"


def test_every_machine_key_is_there_commented_out_with_its_default() -> None:
    blocks = {
        found.group(1): block
        for block in POLICY_TEXT.split("\n\n")
        if (found := COMMENTED_KEY.search(block))
    }
    assert set(blocks) == {spec.name for spec in wixl_msi.machine_keys()}
    for spec in wixl_msi.machine_keys():
        block = blocks[spec.name]
        if spec.default is None:
            assert f"# Default: none ({spec.unset_means}" in block, spec.name
        else:
            shown = COMMENTED_KEY.search(block).group(2)
            assert tomllib.loads(f"v = {shown}")["v"] == spec.default, spec.name
            assert f"# Default: {shown}\n" in block, spec.name


def test_uncommenting_every_key_gives_a_valid_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(COMMENTED_KEY.sub(r"\1 = \2", POLICY_TEXT), encoding="utf-8")
    raw = TomlPolicyFile(policy).read()
    assert set(raw) == {spec.name for spec in wixl_msi.machine_keys()}
    checked = check_machine_policy(raw)
    assert checked["idle_lock_minutes"] == 5
    assert checked["allow_pdf_export"] is False


def test_the_desktop_entry_starts_wardlink_from_path() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(DEBIAN / "wardlink.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"] == "wardlink"
    assert section["Icon"] == "wardlink"
    assert section["Terminal"] == "false"
    assert section["Categories"].endswith(";")
    # The app calls setDesktopFileName("wardlink"): the entry's file name must match.
    assert (DEBIAN / "wardlink.desktop").name == "wardlink.desktop"


def test_the_control_template_is_complete() -> None:
    control = (DEBIAN / "control.in").read_text(encoding="utf-8")
    fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", control, re.MULTILINE))
    for name in ("Package", "Version", "Architecture", "Maintainer", "Installed-Size",
                 "Depends", "Section", "Priority", "Description"):  # fmt: skip
        assert name in fields, name
    assert fields["Package"] == "wardlink"
    assert {"@VERSION@", "@ARCH@", "@INSTALLED_SIZE@"} <= set(re.findall(r"@\w+@", control))
    description = control.split("Description: ", 1)[1].splitlines()
    assert all(line.startswith(" ") for line in description[1:] if line)


@pytest.mark.parametrize("script", ["build.sh", "check.sh"])
def test_the_scripts_are_strict_bash_that_parses(script: str) -> None:
    path = PACKAGING / script
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert path.stat().st_mode & 0o111, f"{script} is not executable"
    subprocess.run(["bash", "-n", str(path)], check=True)


def test_the_check_purges_in_a_trap_and_compares_listings() -> None:
    text = (PACKAGING / "check.sh").read_text(encoding="utf-8")
    assert "trap cleanup EXIT" in text
    assert re.search(r"cleanup\(\) \{.*dpkg --purge wardlink", text, re.DOTALL)
    assert 'diff "$work/before.txt" "$work/after.txt"' in text
    assert "wardlink --self-test --server" in text
    assert "wardlink --smoke-start" in text


def test_the_version_is_turned_into_debian_and_msi_forms() -> None:
    build = PACKAGING / "build.sh"
    shell = (
        f'source <(sed -n "/^debian_version()/p; /^msi_version()/p" {build}); '
        'version() { echo "$V"; }; debian_version; msi_version'
    )
    for given, debian, msi in (
        ("0.1.0.dev0", "0.1.0~dev0", "0.1.0"),
        ("1.2.3", "1.2.3", "1.2.3"),
        ("2.0rc1", "2.0~rc1", "2.0"),
    ):
        done = subprocess.run(
            ["bash", "-c", shell], env={"V": given, "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert done.stdout.split() == [debian, msi], given
