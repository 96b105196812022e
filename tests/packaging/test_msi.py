"""The MSI's WiX source: a per-machine, upgradeable package whose public properties write the
machine policy to HKLM\\SOFTWARE\\Policies\\Wardlink, each only when set; and the wixl build's
own check of the tables it makes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.packaging.sources import PACKAGING, load_script

wixl_msi = load_script("windows/wixl_msi.py")
NS = {"wix": "http://schemas.microsoft.com/wix/2006/wi"}
WXS_TEXT = wixl_msi.WXS.read_text(encoding="utf-8")
WXS = ET.fromstring(WXS_TEXT)
UPGRADE_CODE = "9C5A4428-C918-4FE4-B1CF-81E7F62FCEC7"  # must never change: upgrades find it
MACHINE_KEYS = {
    "server_url",
    "server_public_key",
    "ca_bundle",
    "data_dir",
    "idle_lock_minutes",
    "allow_pdf_export",
}


def test_the_machine_keys_are_the_ones_the_schema_says() -> None:
    assert {spec.name for spec in wixl_msi.machine_keys()} == MACHINE_KEYS
    dwords = {spec.name for spec in wixl_msi.machine_keys() if wixl_msi.is_dword(spec)}
    assert dwords == {"idle_lock_minutes", "allow_pdf_export"}


def test_the_package_is_per_machine_x64_and_upgradeable() -> None:
    product = WXS.find("wix:Product", NS)
    assert product is not None
    assert product.get("UpgradeCode") == UPGRADE_CODE
    assert product.get("Id") == "*"  # a new product code per build: every build is a major upgrade
    package = product.find("wix:Package", NS)
    assert package is not None
    assert package.get("InstallScope") == "perMachine"
    assert package.get("Platform") == "x64"
    assert product.find("wix:MajorUpgrade", NS) is not None


@pytest.mark.parametrize("spec", wixl_msi.machine_keys(), ids=lambda spec: spec.name)
def test_each_machine_key_is_a_secure_property_written_only_when_set(spec: object) -> None:
    prop = wixl_msi.property_name(spec)
    declared = WXS.find(f".//wix:Property[@Id='{prop}']", NS)
    assert declared is not None, f"no public property {prop}"
    assert declared.get("Secure") == "yes"
    values = [
        (component, value)
        for component in WXS.iterfind(".//wix:Component", NS)
        for value in component.iterfind("wix:RegistryValue", NS)
        if value.get("Name") == spec.name
    ]
    assert len(values) == 1, f"one registry value named {spec.name}"
    component, value = values[0]
    assert value.get("Root") == "HKLM"
    assert value.get("Key") == r"SOFTWARE\Policies\Wardlink"
    assert value.get("Type") == ("integer" if wixl_msi.is_dword(spec) else "string")
    assert value.get("Value") == f"[{prop}]"
    condition = component.find("wix:Condition", NS)
    assert condition is not None and condition.text == prop
    assert component.get("Guid") not in (None, "*", "")
    refs = {ref.get("Id") for ref in WXS.iterfind(".//wix:Feature/wix:ComponentRef", NS)}
    assert component.get("Id") in refs


def test_every_component_guid_is_distinct() -> None:
    guids = [c.get("Guid") for c in WXS.iterfind(".//wix:Component", NS)]
    assert len(guids) == len(set(guids))


def test_the_wixl_copy_drops_only_what_wixl_cannot_compile() -> None:
    source = wixl_msi.wixl_source(WXS_TEXT)
    stripped = ET.fromstring(source.text)
    assert stripped.find(".//wix:Component/wix:Condition", NS) is None
    assert 'Secure="' not in source.text and 'Platform="' not in source.text
    assert len(list(stripped.iter())) == len(list(WXS.iter())) - len(source.conditions)
    assert set(source.secure) == {wixl_msi.property_name(s) for s in wixl_msi.machine_keys()}
    assert source.conditions["PolicyServerUrl"] == "SERVER_URL"


def test_the_conditions_and_secure_properties_go_back_in_after_the_build() -> None:
    source = wixl_msi.wixl_source(WXS_TEXT)
    queries = wixl_msi.post_build_queries(source, "WIX_UPGRADE_DETECTED;WIX_DOWNGRADE_DETECTED")
    assert (
        "UPDATE `Component` SET `Condition` = 'IDLE_LOCK_MINUTES' "
        "WHERE `Component` = 'PolicyIdleLockMinutes'"
    ) in queries
    secure = queries[-1]
    assert "SERVER_URL;SERVER_PUBLIC_KEY;" in secure
    assert secure.endswith(
        ";WIX_UPGRADE_DETECTED;WIX_DOWNGRADE_DETECTED' WHERE `Property` = 'SecureCustomProperties'"
    )


def _tables(**changes: object) -> dict[str, list[dict[str, str]]]:
    """The tables of a correct MSI, as `msiinfo export` gives them."""
    properties = [
        {"Property": "ALLUSERS", "Value": "1"},
        {"Property": "UpgradeCode", "Value": "{" + UPGRADE_CODE + "}"},
        {
            "Property": "SecureCustomProperties",
            "Value": ";".join(wixl_msi.property_name(s) for s in wixl_msi.machine_keys()),
        },
    ]
    registry, components = [], []
    for spec in wixl_msi.machine_keys():
        prop = wixl_msi.property_name(spec)
        value = f"#[{prop}]" if wixl_msi.is_dword(spec) else f"[{prop}]"
        registry.append(
            {"Root": "2", "Key": r"SOFTWARE\Policies\Wardlink", "Name": spec.name,
             "Value": value, "Component_": f"c_{spec.name}"}
        )  # fmt: skip
        components.append({"Component": f"c_{spec.name}", "Condition": prop})
    upgrade = [{"UpgradeCode": "{" + UPGRADE_CODE + "}"}]
    tables = {
        "Property": properties,
        "Registry": registry,
        "Component": components,
        "Upgrade": upgrade,
    }
    tables.update(changes)  # type: ignore[arg-type]
    return tables


def test_the_table_check_passes_a_correct_msi() -> None:
    assert wixl_msi.table_problems(_tables()) == []


def test_the_table_check_finds_each_kind_of_fault() -> None:
    good = _tables()
    unconditional = [dict(row, Condition="") for row in good["Component"]]
    assert "server_url is not written only when SERVER_URL is set" in wixl_msi.table_problems(
        _tables(Component=unconditional)
    )
    as_text = [
        dict(row, Value="[IDLE_LOCK_MINUTES]") if row["Name"] == "idle_lock_minutes" else row
        for row in good["Registry"]
    ]
    assert any(
        "idle_lock_minutes is written as" in p
        for p in wixl_msi.table_problems(_tables(Registry=as_text))
    )
    missing = [row for row in good["Registry"] if row["Name"] != "data_dir"]
    assert any("named data_dir" in p for p in wixl_msi.table_problems(_tables(Registry=missing)))
    not_secure = [
        dict(row, Value="") if row["Property"] == "SecureCustomProperties" else row
        for row in good["Property"]
    ]
    assert "CA_BUNDLE is not a secure public property" in wixl_msi.table_problems(
        _tables(Property=not_secure)
    )
    assert any("major upgrade" in p for p in wixl_msi.table_problems(_tables(Upgrade=[])))


def test_msiinfo_exports_are_read_by_column() -> None:
    exported = "Property\tValue\ns72\tl0\nProperty\tProperty\nALLUSERS\t1\nProductName\tWardlink\n"
    assert wixl_msi.parse_table(exported) == [
        {"Property": "ALLUSERS", "Value": "1"},
        {"Property": "ProductName", "Value": "Wardlink"},
    ]
    assert wixl_msi.parse_table("") == []


def test_the_windows_workflow_builds_the_same_spec_and_source_with_wix_3() -> None:
    workflow = (PACKAGING.parent / ".github" / "workflows" / "windows-msi.yml").read_text(
        encoding="utf-8"
    )
    for needed in (
        "runs-on: windows-",
        'python-version: "3.11"',
        ".[packaging]",
        "packaging/pyinstaller/wardlink.spec",
        "heat.exe",
        "candle.exe",
        "light.exe",
        "packaging/windows/Wardlink.wxs",
        "-dProductVersion=",
        "-dBundleDir=",
        "-dIconFile=",
        "actions/upload-artifact",
    ):
        assert needed in workflow, needed
    assert "\t" not in workflow  # YAML forbids tabs in indentation
