"""Resources in a frozen bundle: PyInstaller's data folder, or beside the executable."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from wardlink.core import forms
from wardlink.core.resources import (
    RESOURCES_ENV,
    frozen_resources_root,
    resource_path,
    resources_root,
)

REPO_RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def _bundle(folder: Path) -> Path:
    """A bundle's data folder holding a copy of the real forms."""
    forms_dir = folder / "resources" / "forms"
    forms_dir.mkdir(parents=True)
    for form in (REPO_RESOURCES / "forms").glob("*.json"):
        (forms_dir / form.name).write_bytes(form.read_bytes())
    return folder


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv(RESOURCES_ENV, raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    return monkeypatch


def test_from_source_the_repository_folder_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RESOURCES_ENV, raising=False)
    assert frozen_resources_root() is None
    assert resources_root() == REPO_RESOURCES


def test_a_frozen_bundle_reads_its_forms_from_its_data_folder(
    frozen: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle = _bundle(tmp_path / "_internal")
    frozen.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert resources_root() == bundle / "resources"
    assert resource_path("forms") == bundle / "resources" / "forms"
    titles = [form.title for form in forms.all_forms()]
    assert "SBAR handover" in titles
    assert len(titles) == len(list((REPO_RESOURCES / "forms").glob("*.json")))


def test_without_a_data_folder_the_executables_folder_is_used(
    frozen: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    frozen.delattr(sys, "_MEIPASS", raising=False)
    bundle = _bundle(tmp_path / "app")
    frozen.setattr(sys, "executable", str(bundle / "wardlink"))
    assert resource_path("forms", "sbar-handover.json").is_file()


def test_the_environment_still_wins_in_a_bundle(frozen: pytest.MonkeyPatch, tmp_path: Path) -> None:
    frozen.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    frozen.setenv(RESOURCES_ENV, str(REPO_RESOURCES))
    assert resources_root() == REPO_RESOURCES


def test_a_bundle_without_its_resources_says_to_reinstall(
    frozen: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    frozen.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    with pytest.raises(FileNotFoundError, match="reinstall Wardlink"):
        resource_path("forms")
