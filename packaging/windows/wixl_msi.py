"""Build the MSI with wixl (msitools) on Linux, and check its tables against the policy schema.

The WiX 3 source (`Wardlink.wxs`) is what the Windows workflow compiles with candle/light. wixl
compiles most of it, but not three things: `Package/@Platform` (wixl takes `--arch`),
`Property/@Secure` and a component's `<Condition>`. So the build here compiles a copy without
them and then writes them into the MSI's tables (`Component.Condition`, the
`SecureCustomProperties` property) with `msibuild`: the result holds the same tables that
light would make from the source, and `check` proves it.

    python packaging/windows/wixl_msi.py build --bundle DIR --icon ICO --version X.Y.Z \
        --work DIR --out MSI
    python packaging/windows/wixl_msi.py check MSI
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from wardlink.core.policy_schema import KEYS, PolicyKey, PolicySource

HERE = Path(__file__).resolve().parent
WXS = HERE / "Wardlink.wxs"
WIX_NS = "{http://schemas.microsoft.com/wix/2006/wi}"
POLICY_KEY = r"SOFTWARE\Policies\Wardlink"
HKLM = "2"  # the Registry table's Root for HKEY_LOCAL_MACHINE
COMPONENT_GROUP = "BundleFiles"


def machine_keys() -> tuple[PolicyKey, ...]:
    """The policy keys IT sets per machine: the MSI's properties and the ADMX's policies."""
    return tuple(spec for spec in KEYS if PolicySource.MACHINE in spec.sources)


def property_name(spec: PolicyKey) -> str:
    """The MSI public property for a policy key: `server_url` -> `SERVER_URL`."""
    return spec.name.upper()


def is_dword(spec: PolicyKey) -> bool:
    """Numbers and true/false are REG_DWORD (1/0); everything else is REG_SZ."""
    return isinstance(spec.default, int)


@dataclass(frozen=True)
class WixlSource:
    """The WiX source as wixl can compile it, and what must be put back into the MSI after."""

    text: str
    conditions: Mapping[str, str]  # component id -> condition
    secure: tuple[str, ...]  # public properties that must pass to the elevated install


def wixl_source(text: str) -> WixlSource:
    root = ET.fromstring(text)  # noqa: S314 - our own source file
    conditions = {}
    for component in root.iter(f"{WIX_NS}Component"):
        condition = component.find(f"{WIX_NS}Condition")
        if condition is not None:
            conditions[component.attrib["Id"]] = (condition.text or "").strip()
    secure = tuple(
        prop.attrib["Id"]
        for prop in root.iter(f"{WIX_NS}Property")
        if prop.attrib.get("Secure") == "yes"
    )
    stripped = re.sub(r"\s*<Condition>[^<]*</Condition>", "", text)
    stripped = re.sub(r'\s+(Platform|Secure)="[^"]*"', "", stripped)
    return WixlSource(stripped, conditions, secure)


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def post_build_queries(source: WixlSource, secure_now: str) -> list[str]:
    """The SQL that puts the conditions and secure properties into a wixl-built MSI."""
    # Values are quoted by _quoted (msibuild takes no bound parameters); all come from our source.
    queries = [
        f"UPDATE `Component` SET `Condition` = {_quoted(condition)} "  # noqa: S608
        f"WHERE `Component` = {_quoted(component)}"
        for component, condition in source.conditions.items()
    ]
    secure = [*source.secure, *(name for name in secure_now.split(";") if name)]
    queries.append(
        f"UPDATE `Property` SET `Value` = {_quoted(';'.join(dict.fromkeys(secure)))} "  # noqa: S608
        "WHERE `Property` = 'SecureCustomProperties'"
    )
    return queries


def stage_bundle(bundle: Path, stage: Path) -> None:
    """A copy of the bundle (hard links) laid out as on Windows: the program is wardlink.exe."""
    if not (bundle / "_internal").is_dir():
        raise SystemExit(f"no PyInstaller bundle at {bundle}: run packaging/build.sh bundle")
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(bundle, stage, symlinks=True, copy_function=os.link)
    program = stage / "wardlink"
    if program.exists() and not (stage / "wardlink.exe").exists():
        program.rename(stage / "wardlink.exe")


def _run(command: Sequence[str], cwd: Path, stdin: str | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - fixed tools, our own arguments
        list(command), cwd=cwd, input=stdin, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{done.stderr.strip()}")
    return done.stdout


def build(bundle: Path, icon: Path, version: str, work: Path, out: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    stage = work / "stage"
    stage_bundle(bundle, stage)
    shutil.copyfile(icon, work / "wardlink.ico")
    source = wixl_source(WXS.read_text(encoding="utf-8"))
    (work / "Wardlink.wxs").write_text(source.text, encoding="utf-8")
    files = sorted(str(p.relative_to(work)) for p in stage.rglob("*") if p.is_file())
    harvested = _run(
        ["wixl-heat", "-p", "stage/", "--component-group", COMPONENT_GROUP,
         "--var", "var.BundleDir", "--directory-ref", "INSTALLDIR", "--win64"],
        work, stdin="\n".join(files) + "\n",
    )  # fmt: skip
    (work / "bundle.wxs").write_text(harvested, encoding="utf-8")
    msi = work / "wardlink.msi"
    _run(
        ["wixl", "--arch", "x64", "-D", f"ProductVersion={version}", "-D", "Win64=yes",
         "-D", "BundleDir=stage", "-D", "IconFile=wardlink.ico",
         "-o", msi.name, "Wardlink.wxs", "bundle.wxs"],
        work,
    )  # fmt: skip
    secure_now = next(
        (row["Value"] for row in read_table(msi, "Property")
         if row["Property"] == "SecureCustomProperties"),
        "",
    )  # fmt: skip
    for query in post_build_queries(source, secure_now):
        _run(["msibuild", msi.name, "-q", query], work)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(msi, out)
    problems = check(out)
    if problems:
        raise SystemExit("the MSI is not as the source says:\n  " + "\n  ".join(problems))


def parse_table(exported: str) -> list[dict[str, str]]:
    """Rows of `msiinfo export MSI TABLE` (column names, column types, table name, then rows)."""
    lines = exported.splitlines()
    if len(lines) < 3:
        return []
    columns = lines[0].split("\t")
    rows = []
    for line in lines[3:]:
        cells = line.split("\t")
        rows.append(dict(zip(columns, cells + [""] * (len(columns) - len(cells)), strict=True)))
    return rows


def read_table(msi: Path, table: str) -> list[dict[str, str]]:
    return parse_table(_run(["msiinfo", "export", str(msi.resolve()), table], msi.parent))


def table_problems(tables: Mapping[str, list[dict[str, str]]]) -> list[str]:
    """What is wrong with an MSI's tables: every machine key must be a secure public property
    whose value is written to HKLM\\SOFTWARE\\Policies\\Wardlink only when it is set."""
    problems = []
    properties = {row["Property"]: row["Value"] for row in tables["Property"]}
    secure = set(properties.get("SecureCustomProperties", "").split(";"))
    conditions = {row["Component"]: row["Condition"] for row in tables["Component"]}
    policy_rows = {
        row["Name"]: row
        for row in tables["Registry"]
        if row["Root"] == HKLM and row["Key"] == POLICY_KEY
    }
    for spec in machine_keys():
        prop = property_name(spec)
        if prop not in secure:
            problems.append(f"{prop} is not a secure public property")
        row = policy_rows.pop(spec.name, None)
        if row is None:
            problems.append(f"no HKLM\\{POLICY_KEY} value named {spec.name}")
            continue
        wanted = f"#[{prop}]" if is_dword(spec) else f"[{prop}]"
        if row["Value"] != wanted:
            problems.append(f"{spec.name} is written as {row['Value']!r}, not {wanted!r}")
        if conditions.get(row["Component_"]) != prop:
            problems.append(f"{spec.name} is not written only when {prop} is set")
    problems.extend(f"{name} is not a machine policy key" for name in policy_rows)
    if properties.get("ALLUSERS") != "1":
        problems.append("the MSI is not per-machine (ALLUSERS is not 1)")
    upgrade_codes = {row["UpgradeCode"] for row in tables["Upgrade"]}
    if upgrade_codes != {properties.get("UpgradeCode")}:
        problems.append("no major upgrade of earlier versions (Upgrade table)")
    return problems


def check(msi: Path) -> list[str]:
    tables = {
        name: read_table(msi, name) for name in ("Property", "Component", "Registry", "Upgrade")
    }
    return table_problems(tables)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wixl_msi.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("build", help="build the MSI with wixl over a staged bundle")
    make.add_argument("--bundle", type=Path, required=True)
    make.add_argument("--icon", type=Path, required=True)
    make.add_argument("--version", required=True)
    make.add_argument("--work", type=Path, required=True)
    make.add_argument("--out", type=Path, required=True)
    verify = sub.add_parser("check", help="check an MSI's policy properties and registry values")
    verify.add_argument("msi", type=Path)
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.bundle, args.icon, args.version, args.work, args.out)
        return 0
    problems = check(args.msi)
    for problem in problems:
        print(f"wixl_msi.py: {problem}", file=sys.stderr)
    if not problems:
        names = ", ".join(property_name(spec) for spec in machine_keys())
        print(f"{args.msi.name}: registry values for {names}, each only when set; upgradeable")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
