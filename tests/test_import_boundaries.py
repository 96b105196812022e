"""DESIGN.md §1's dependency rule, enforced: walk every module's imports statically."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DESKTOP = ROOT / "desktop" / "wardlink"
SERVER = ROOT / "server" / "wardlink_server"

# package -> top-level names it must never import
FORBIDDEN: dict[str, set[str]] = {
    "core": {
        "PySide6",
        "shiboken6",
        "wardlink.store",
        "wardlink.sync",
        "wardlink.ui",
        "sqlcipher3",
        "sqlite3",
        "requests",
        "sqlalchemy",
        "fastapi",
    },
    "store": {"PySide6", "shiboken6", "wardlink.sync", "wardlink.ui", "requests"},
    "sync": {"PySide6", "shiboken6", "wardlink.ui"},
    "server": {"PySide6", "shiboken6", "wardlink.store", "wardlink.sync", "wardlink.ui"},
    # The self-test runs where no display exists: only its Qt check touches Qt (QtCore, lazily).
    "selftest": {"wardlink.ui", "shiboken6", "PySide6.QtGui", "PySide6.QtWidgets"},
}


def _module_parts(path: Path) -> list[str]:
    base = SERVER.parent if path.is_relative_to(SERVER) else DESKTOP.parent
    return list(path.relative_to(base).with_suffix("").parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of everything `path` imports, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                package = _module_parts(path)[: -node.level]
                base = ".".join([*package, *([node.module] if node.module else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _sources(package: str) -> list[Path]:
    base = SERVER if package == "server" else DESKTOP / package
    return sorted(base.rglob("*.py"))


def _violations(package: str) -> list[str]:
    found = []
    for path in _sources(package):
        for name in _imports(path):
            for banned in FORBIDDEN[package]:
                if name == banned or name.startswith(banned + "."):
                    found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_dependency_rule(package: str) -> None:
    assert _sources(package), f"no sources found for {package}"
    assert _violations(package) == []


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    """The walker itself must see a Qt import, or the rule above proves nothing."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom PySide6.QtCore import QObject\n", encoding="utf-8")
    assert "PySide6.QtCore" in _imports(bad)


def test_core_store_sync_server_import_without_qt() -> None:
    """Importing every module of the Qt-free parts at run time leaves PySide6 unloaded."""
    import subprocess
    import sys

    modules = []
    for package in ("core", "store", "sync"):
        for path in _sources(package):
            rel = path.relative_to(DESKTOP.parent).with_suffix("")
            modules.append(".".join(p for p in rel.parts if p != "__init__"))
    for path in _sources("server"):
        rel = path.relative_to(SERVER.parent).with_suffix("")
        mod = ".".join(p for p in rel.parts if p != "__init__")
        if not mod.endswith("__main__") and ".migrations." not in f".{mod}.":
            modules.append(mod)
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
