"""The PyInstaller spec's choices: which Qt plugins and libraries stay out, which modules are
excluded, and that the spec carries SQLCipher, the keyring backends and the resources."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.packaging.sources import PACKAGING, REPO, load_script

contents = load_script("pyinstaller/bundle_contents.py")
SPEC = (PACKAGING / "pyinstaller" / "wardlink.spec").read_text(encoding="utf-8")


def _entry(dest: str, kind: str = "BINARY") -> tuple[str, str, str]:
    return (dest, f"/src/{Path(dest).name}", kind)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
        "PySide6/plugins/platforms/qwindows.dll",
        "PySide6/plugins/styles/qmodernwindowsstyle.dll",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt6DBus.dll",
        "sqlcipher3/_sqlite3.cpython-311-x86_64-linux-gnu.so",
    ],
)
def test_what_the_app_needs_is_kept(dest: str) -> None:
    assert contents.wanted(_entry(dest))


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
        "PySide6/Qt/plugins/sqldrivers/libqsqlite.so",
        "PySide6/Qt/plugins/qmltooling/libqmldbg_tcp.so",
        "PySide6\\plugins\\imageformats\\qpdf.dll",
        "PySide6/Qt/lib/libQt6Quick.so.6",
        "PySide6/Qt/lib/libQt6EglFsKmsSupport.so.6",
        "PySide6/Qt6Qml.dll",
    ],
)
def test_what_only_unused_qt_parts_need_is_left_out(dest: str) -> None:
    assert not contents.wanted(_entry(dest))


def test_every_required_plugin_survives_the_filter() -> None:
    for platform, plugins in contents.REQUIRED_PLUGINS.items():
        for plugin in plugins:
            folder, stem = plugin.split("/")
            name = f"{stem}.dll" if platform == "win32" else f"lib{stem}.so"
            assert contents.wanted(_entry(f"PySide6/Qt/plugins/{folder}/{name}")), plugin


def test_libraries_only_a_dropped_plugin_used_are_dropped_too() -> None:
    links = {
        "/src/libqxcb.so": {"libxcb-cursor.so.0", "libQt6XcbQpa.so.6"},
        "/src/libQt6XcbQpa.so.6": {"libX11.so.6"},
        "/src/_cffi_backend.so": {"libffi.so.8"},
        "/src/libgtk-3.so.0": {"libcairo.so.2"},
    }
    binaries = [
        _entry("PySide6/Qt/plugins/platforms/libqxcb.so"),
        _entry("PySide6/Qt/lib/libQt6XcbQpa.so.6"),
        _entry("_cffi_backend.so", "EXTENSION"),
        _entry("libpython3.11.so.1.0"),
        _entry("libxcb-cursor.so.0"),
        _entry("libX11.so.6"),
        _entry("libffi.so.8"),
        _entry("libgtk-3.so.0"),  # was collected for the GTK theme plugin, now dropped
        _entry("libcairo.so.2"),
    ]
    kept = {
        Path(e[0]).name
        for e in contents.reachable_binaries(binaries, lambda p: links.get(p, set()))
    }
    assert kept == {
        "libqxcb.so",
        "libQt6XcbQpa.so.6",
        "_cffi_backend.so",
        "libpython3.11.so.1.0",
        "libxcb-cursor.so.0",
        "libX11.so.6",
        "libffi.so.8",
    }


def _qt_modules_the_app_imports() -> set[str]:
    found = set()
    for path in (REPO / "desktop" / "wardlink").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("PySide6.")}


def test_no_module_the_app_imports_is_excluded_from_the_bundle() -> None:
    used = _qt_modules_the_app_imports()
    assert {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets"} <= used
    excluded = set(contents.EXCLUDED_MODULES)
    assert not used & excluded, "the app now uses these: take them out of EXCLUDED_MODULES"
    assert "wardlink_server" in excluded


def test_the_spec_carries_sqlcipher_the_keyring_backends_and_the_resources() -> None:
    assert 'collect_dynamic_libs("sqlcipher3")' in SPEC
    assert '"sqlcipher3.dbapi2"' in SPEC
    assert 'collect_submodules("keyring.backends")' in SPEC
    assert 'copy_metadata("keyring")' in SPEC  # keyring finds its backends by entry points
    assert re.search(r'KEYRING_IMPORTS \+= \[.*"secretstorage".*"jeepney', SPEC)
    assert 'collect_submodules("win32ctypes")' in SPEC
    assert '(str(REPO / "resources"), "resources")' in SPEC
    assert "wardlink_entry.py" in SPEC
    assert (PACKAGING / "pyinstaller" / "wardlink_entry.py").is_file()


def test_the_allowed_keyring_backends_are_modules_the_spec_collects() -> None:
    from wardlink.store.device_secrets import ALLOWED_BACKENDS

    for name in ALLOWED_BACKENDS:
        assert name.startswith("keyring.backends."), name


def test_a_built_bundle_is_checked_for_what_it_must_hold(tmp_path: Path) -> None:
    bundle = tmp_path / "wardlink"
    internal = bundle / "_internal"
    assert set(contents.bundle_problems(bundle, "linux")) >= {
        "the sqlcipher3 extension is missing",
        "the form definitions (resources/forms) are missing",
        "Qt plugin platforms/qxcb is missing",
    }
    plugins = internal / "PySide6" / "Qt" / "plugins"
    for plugin in contents.REQUIRED_PLUGINS["linux"]:
        folder, stem = plugin.split("/")
        (plugins / folder).mkdir(parents=True, exist_ok=True)
        (plugins / folder / f"lib{stem}.so").write_bytes(b"")
    (internal / "sqlcipher3").mkdir()
    (internal / "sqlcipher3" / "_sqlite3.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    (internal / "keyring-25.7.0.dist-info").mkdir()
    (internal / "keyring-25.7.0.dist-info" / "entry_points.txt").write_text("")
    (internal / "resources" / "forms").mkdir(parents=True)
    (internal / "resources" / "forms" / "sbar-handover.json").write_text("{}")
    assert contents.bundle_problems(bundle, "linux") == []
