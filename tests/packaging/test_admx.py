"""The Group Policy templates: well-formed, one policy per machine key writing the same
registry value as the MSI (REG_SZ text, REG_DWORD numbers and true/false), every string and
presentation they name defined in the English ADML."""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET

import pytest

from tests.packaging.sources import PACKAGING, load_script

wixl_msi = load_script("windows/wixl_msi.py")
NS = {"p": "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions"}
ADMX_PATH = PACKAGING / "windows" / "Wardlink.admx"
ADML_PATH = PACKAGING / "windows" / "en-US" / "Wardlink.adml"
ADMX = ET.parse(ADMX_PATH).getroot()
ADML = ET.parse(ADML_PATH).getroot()


def _value_types() -> dict[str, tuple[str, ET.Element, ET.Element]]:
    """valueName -> (registry type, policy element, defining element)."""
    found: dict[str, tuple[str, ET.Element, ET.Element]] = {}
    for policy in ADMX.iterfind(".//p:policies/p:policy", NS):
        name = policy.get("valueName")
        if name is not None:
            enabled = policy.find("p:enabledValue/p:decimal", NS)
            disabled = policy.find("p:disabledValue/p:decimal", NS)
            assert enabled is not None and disabled is not None, name
            assert (enabled.get("value"), disabled.get("value")) == ("1", "0")
            found[name] = ("REG_DWORD", policy, policy)
        for element in policy.iterfind("p:elements/*", NS):
            tag = element.tag.split("}")[1]
            kind = {"text": "REG_SZ", "decimal": "REG_DWORD"}[tag]
            if tag == "text":
                assert element.get("expandable") != "true"
            found[element.attrib["valueName"]] = (kind, policy, element)
    return found


def test_both_files_are_well_formed_policy_definitions() -> None:
    assert ADMX.tag == f"{{{NS['p']}}}policyDefinitions"
    assert ADML.tag == f"{{{NS['p']}}}policyDefinitionResources"
    assert ADMX.find("p:policyNamespaces/p:target", NS).get("prefix") == "wardlink"


@pytest.mark.parametrize("spec", wixl_msi.machine_keys(), ids=lambda spec: spec.name)
def test_each_machine_key_has_a_machine_policy_of_the_right_type(spec: object) -> None:
    values = _value_types()
    assert spec.name in values, f"no policy writes {spec.name}"
    kind, policy, element = values[spec.name]
    assert kind == ("REG_DWORD" if wixl_msi.is_dword(spec) else "REG_SZ")
    assert policy.get("class") == "Machine"
    assert policy.get("key") == r"SOFTWARE\Policies\Wardlink"
    if isinstance(spec.check, functools.partial) and element.tag.endswith("decimal"):
        assert element.get("minValue") == str(spec.check.keywords["low"])
        assert element.get("maxValue") == str(spec.check.keywords["high"])


def test_no_policy_writes_a_value_that_is_not_a_machine_key() -> None:
    assert set(_value_types()) == {spec.name for spec in wixl_msi.machine_keys()}


def test_every_string_and_presentation_is_defined_in_english() -> None:
    strings = {s.get("id") for s in ADML.iterfind(".//p:stringTable/p:string", NS)}
    presentations = {
        p.get("id"): p for p in ADML.iterfind(".//p:presentationTable/p:presentation", NS)
    }
    admx_text = ADMX_PATH.read_text(encoding="utf-8")
    assert set(re.findall(r"\$\(string\.(\w+)\)", admx_text)) <= strings
    for policy in ADMX.iterfind(".//p:policies/p:policy", NS):
        ref = policy.get("presentation")
        ids = {e.get("id") for e in policy.iterfind("p:elements/*", NS)}
        if ref is None:
            assert not ids
            continue
        presentation = presentations[re.fullmatch(r"\$\(presentation\.(\w+)\)", ref).group(1)]
        assert {control.get("refId") for control in presentation} == ids


def test_each_explanation_names_its_registry_value() -> None:
    strings = {s.get("id"): s.text or "" for s in ADML.iterfind(".//p:stringTable/p:string", NS)}
    for name, (kind, policy, _) in _value_types().items():
        explain = re.fullmatch(r"\$\(string\.(\w+)\)", policy.get("explainText")).group(1)
        assert f"Registry value: {name} ({kind}" in strings[explain]
