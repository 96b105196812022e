"""What the spec keeps out of the bundle: pure functions over PyInstaller's table of contents.

Kept apart from `wardlink.spec` so that tests can check them without running PyInstaller. A
table-of-contents entry is `(destination in the bundle, source path, type code)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path, PurePath

Entry = tuple[str, str, str]

# Python modules the app never uses: the server side, test tools, and the Qt modules beyond
# QtCore, QtGui, QtWidgets, QtNetwork and QtDBus (a test checks the app imports none of them).
EXCLUDED_MODULES = (
    "tkinter",
    "wardlink_server",
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "pytest",
    "hypothesis",
    "mypy",
    "numpy",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    "PySide6.QtSql",
    "PySide6.QtSvg",
    "PySide6.QtSvgWidgets",
    "PySide6.QtTest",
    "PySide6.QtUiTools",
    "PySide6.QtXml",
    "PySide6.QtConcurrent",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
)

# Qt plugin folders and plugins that a desktop app of widgets has no use for: Qt Quick/QML,
# PDF, SQL and embedded (EGLFS, framebuffer, VNC) ones, and GTK 3's platform theme, which would
# bring a private copy of GTK (the desktop portal theme stays).
UNWANTED_PLUGIN_DIRS = frozenset(
    {
        "designer",
        "egldeviceintegrations",
        "networkinformation",
        "qmllint",
        "qmltooling",
        "sqldrivers",
        "vectorimageformats",
        "wayland-graphics-integration-server",
    }
)
UNWANTED_PLUGINS = frozenset(
    {
        "qeglfs",
        "qlinuxfb",
        "qminimalegl",
        "qvkkhrdisplay",
        "qvnc",
        "qtvirtualkeyboardplugin",
        "qpdf",
        "qgtk3",
    }
)
# Qt libraries that only those plugins or unused modules pull in (lower case, after "Qt6").
UNWANTED_QT_LIBS = (
    "quick",
    "qml",
    "pdf",
    "virtualkeyboard",
    "lottie",
    "designer",
    "waylandcompositor",
    "eglfs",
    "sql",
)
# Plugin types the app needs, per platform (checked by the tests and the packaging check).
REQUIRED_PLUGINS = {
    "linux": ("platforms/qxcb", "platforms/qoffscreen", "platforms/qwayland", "imageformats/qjpeg"),
    "win32": ("platforms/qwindows", "platforms/qoffscreen", "imageformats/qjpeg"),
    "darwin": ("platforms/qcocoa", "platforms/qoffscreen", "imageformats/qjpeg"),
}


def _stem(name: str) -> str:
    return name.split(".")[0].removeprefix("lib")


def wanted(entry: Entry) -> bool:
    """Whether a collected file, by its destination in the bundle, belongs in the bundle."""
    parts = PurePath(entry[0].replace("\\", "/")).parts
    stem = _stem(parts[-1])
    if "plugins" in parts[:-1]:
        folder = parts[parts.index("plugins") + 1]
        if folder in UNWANTED_PLUGIN_DIRS or stem in UNWANTED_PLUGINS:
            return False
    lowered = stem.lower()
    return not (
        lowered.startswith("qt6") and lowered.removeprefix("qt6").startswith(UNWANTED_QT_LIBS)
    )


def _top_level(entry: Entry) -> bool:
    return len(PurePath(entry[0].replace("\\", "/")).parts) == 1


def _is_root(entry: Entry) -> bool:
    """Files something other than the dynamic linker loads: extensions, plugins, the runtime."""
    name = PurePath(entry[0]).name
    return entry[2] != "BINARY" or not _top_level(entry) or name.startswith(("libpython", "python"))


def reachable_binaries(
    binaries: Iterable[Entry], needed: Callable[[str], Iterable[str]]
) -> list[Entry]:
    """`binaries` without the top-level shared libraries that nothing kept links against.

    Dropping a plugin leaves behind the libraries PyInstaller collected for it alone (GTK for
    its platform theme, say); `needed(source path)` names what a file links against.
    """
    entries = list(binaries)
    by_name = {PurePath(e[0]).name: e for e in entries if _top_level(e)}
    keep: set[str] = set()
    todo = [e for e in entries if _is_root(e)]
    while todo:
        entry = todo.pop()
        for name in needed(entry[1]):
            if name in by_name and name not in keep:
                keep.add(name)
                todo.append(by_name[name])
    return [e for e in entries if _is_root(e) or PurePath(e[0]).name in keep]


def bundle_problems(bundle: Path, platform: str) -> list[str]:
    """What a built bundle lacks of what the app needs at run time on `platform`."""
    internal = bundle / "_internal"
    problems = []
    plugins = internal / "PySide6" / ("plugins" if platform == "win32" else "Qt/plugins")
    found = {f"{p.parent.name}/{_stem(p.name)}" for p in plugins.glob("*/*") if p.is_file()}
    key = "linux" if platform.startswith("linux") else platform
    problems += [
        f"Qt plugin {name} is missing" for name in REQUIRED_PLUGINS[key] if name not in found
    ]
    if not any((internal / "sqlcipher3").glob("_sqlite3*")):
        problems.append("the sqlcipher3 extension is missing")
    if not any(internal.glob("keyring-*.dist-info/entry_points.txt")):
        problems.append("keyring's metadata (its backends' entry points) is missing")
    if not sorted((internal / "resources" / "forms").glob("*.json")):
        problems.append("the form definitions (resources/forms) are missing")
    return problems


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        raise SystemExit("usage: python bundle_contents.py BUNDLE_DIR")
    missing = bundle_problems(Path(sys.argv[1]), sys.platform)
    for problem in missing:
        print(f"bundle_contents.py: {problem}", file=sys.stderr)
    if not missing:
        print(f"{sys.argv[1]}: Qt plugins, SQLCipher, keyring backends and forms are in place")
    sys.exit(1 if missing else 0)
