"""docs/deployment.md's policy table is the one the schema generates, so the two cannot drift."""

from __future__ import annotations

from pathlib import Path

from wardlink.core.policy import KEYS, machine_keys, reference_markdown

DOC = Path(__file__).parents[2] / "docs" / "deployment.md"
START = "<!-- policy-reference:start"
END = "<!-- policy-reference:end -->"
REGENERATE = (
    "regenerate it with: .venv/bin/python -c "
    "\"from wardlink.core.policy import reference_markdown; print(reference_markdown(), end='')\""
)


def documented_table() -> str:
    text = DOC.read_text("utf-8")
    assert text.count(START) == 1 and text.count(END) == 1, "the table's markers are missing"
    inside = text.split(START, 1)[1].split(END, 1)[0]
    return inside.split("\n", 1)[1]  # after the start marker's own line


def test_the_deployment_guide_has_the_generated_policy_table() -> None:
    assert documented_table() == reference_markdown(), f"docs/deployment.md is stale: {REGENERATE}"


def test_the_guide_names_every_machine_key_for_the_registry() -> None:
    text = DOC.read_text("utf-8")
    registry = text.split("**Windows.**", 1)[1].split("**Linux.**", 1)[0]
    for key in machine_keys():
        assert f"`{key}`" in registry
    assert len(KEYS) == len(reference_markdown().splitlines()) - 2
