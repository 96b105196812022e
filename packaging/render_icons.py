"""Render the app's icon (drawn in code by `wardlink.ui.app_icon`) to the files installers need.

`python packaging/render_icons.py OUT_DIR` writes `wardlink-<size>.png` for the Linux icon
theme and `wardlink.ico` for the Windows executable and MSI, so that every installer shows the
same icon as the running app's window.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PNG_SIZES = (48, 128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(out_dir: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    from wardlink.ui.app_icon import app_icon

    app = QGuiApplication.instance() or QGuiApplication([])
    out_dir.mkdir(parents=True, exist_ok=True)
    icon = app_icon()
    written: list[Path] = []
    for size in PNG_SIZES:
        path = out_dir / f"wardlink-{size}.png"
        if not icon.pixmap(size, size).save(str(path), "PNG"):
            raise SystemExit(f"could not write {path}")
        written.append(path)
    ico = out_dir / "wardlink.ico"
    with Image.open(out_dir / "wardlink-256.png") as largest:
        largest.save(ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES])
    written.append(ico)
    del app
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python packaging/render_icons.py OUT_DIR")
    for path in render(Path(sys.argv[1])):
        print(path)
