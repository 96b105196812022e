"""UI benchmark: the main window's start over a 1,000,000-message store, against a bare PySide6
window's start, and scrolling through a 100,000-message team.

    .venv/bin/python bench/ui_bench.py [--messages N] [--teams T] [--runs R]

The store is built once per run, in a temporary folder, with the store's own bulk apply (the
generator of `store_bench.py`): N messages over T teams, so each team holds N / T of them (the
defaults: 1,000,000 over 10, so the open team has 100,000).

Start-up is measured from just before the child process is started to its first paint, taken
from the one monotonic clock both processes share (`time.perf_counter`, CLOCK_MONOTONIC):
- the app: the main window over the store, opened directly with its key (the password's
  Argon2id is left out: it is a deliberate cost), the first paint that shows the open team's
  visible rows with their text (no placeholder left in it);
- the baseline: a bare QMainWindow with a QListWidget of 20 rows, its first paint.
The runs are interleaved (app, bare, app, bare, ...) and the median of each is compared.

Scrolling: in one more app process, the team is scrolled from the newest message upwards by
half a screen a frame (the scroll bar moved, then events processed: the DB lane's results, the
layout and the paint; a repaint forced if none came) until its oldest message or a budget of
frames and time; each frame's time is kept, and the p95 reported with the median and the worst.

Qt runs on the offscreen platform (no display needed; the same for both windows). The last line:
ui_bench first_paint_ms=<> bare_qt_ms=<> startup_ratio=<> scroll_frame_p95_ms=<> rss_mb=<>
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ME = "bench-me"
MAX_FRAMES = 40_000
MAX_SCROLL_S = 240.0


# -- the children (each a fresh process) ----------------------------------------------------------


def child_bare() -> None:
    from PySide6.QtGui import QPaintEvent
    from PySide6.QtWidgets import QApplication, QListWidget, QMainWindow

    app = QApplication([sys.argv[0]])

    class List(QListWidget):
        def paintEvent(self, event: QPaintEvent) -> None:
            super().paintEvent(event)
            print(json.dumps({"first_paint": time.perf_counter()}), flush=True)
            app.exit(0)

    window = QMainWindow()
    rows = List()
    rows.addItems([f"Row {n}: a line of text like a short message" for n in range(20)])
    window.setCentralWidget(rows)
    window.resize(1280, 800)
    window.show()
    app.exec()


def child_app(path: str, dek_hex: str, team: str, scroll: bool) -> None:
    from PySide6.QtGui import QPaintEvent
    from PySide6.QtWidgets import QApplication

    from wardlink.store.database import Store
    from wardlink.store.lane import DbLane
    from wardlink.ui import mainwindow
    from wardlink.ui.bridge import Bridge
    from wardlink.ui.mainwindow import MainWindow, SignedIn
    from wardlink.ui.theme import Scheme, apply_theme
    from wardlink.ui.timeline_delegate import BubbleDelegate
    from wardlink.ui.timeline_view import TimelineView

    painted = {"text": 0, "placeholder": 0}
    real_row, real_placeholder = BubbleDelegate._paint_row, BubbleDelegate._paint_placeholder

    def row(self: BubbleDelegate, *args: object, **kwargs: object) -> None:
        painted["text"] += 1
        real_row(self, *args, **kwargs)  # type: ignore[arg-type]

    def placeholder(self: BubbleDelegate, *args: object) -> None:
        painted["placeholder"] += 1
        real_placeholder(self, *args)  # type: ignore[arg-type]

    BubbleDelegate._paint_row = row  # type: ignore[method-assign]
    BubbleDelegate._paint_placeholder = placeholder  # type: ignore[method-assign]
    app = QApplication([sys.argv[0]])
    state = {"first": 0.0, "measuring": False}

    class MeasuredTimeline(TimelineView):
        def paintEvent(self, event: QPaintEvent) -> None:
            painted["text"] = painted["placeholder"] = 0
            super().paintEvent(event)
            if state["first"] or not painted["text"] or painted["placeholder"]:
                return
            state["first"] = time.perf_counter()
            app.exit(0)

    mainwindow.TimelineView = MeasuredTimeline  # type: ignore[misc]
    apply_theme(app, Scheme.LIGHT)
    dek = bytes.fromhex(dek_hex)
    lane = DbLane(lambda: Store.open(Path(path), dek, me=ME))
    bridge = Bridge(lane)
    window = MainWindow(bridge, SignedIn(ME, "Bench Nurse"), verify_password=lambda _p: None)
    window.team_list.prefer(team)
    window.resize(1280, 800)
    window.show()
    app.exec()
    result: dict[str, object] = {"first_paint": state["first"]}
    if scroll:
        result.update(scroll_through(app, window, painted))
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result), flush=True)
    window.close()
    bridge.shutdown()
    lane.close()


def scroll_through(app: object, window: object, painted: dict[str, int]) -> dict[str, object]:
    from PySide6.QtWidgets import QApplication

    from wardlink.ui.mainwindow import MainWindow

    assert isinstance(app, QApplication)
    assert isinstance(window, MainWindow)
    view, model = window.timeline, window.timeline_model
    bar = view.verticalScrollBar()
    step = view.viewport().height() // 2
    frames: list[float] = []
    placeholder_frames = 0
    started = time.perf_counter()
    while len(frames) < MAX_FRAMES and time.perf_counter() - started < MAX_SCROLL_S:
        painted["text"] = painted["placeholder"] = 0
        t0 = time.perf_counter()
        bar.setValue(bar.value() - step)
        app.processEvents()  # results from the DB lane, layout, and the paint the scroll asked
        if not painted["text"] and not painted["placeholder"]:
            view.viewport().repaint()  # no paint happened yet: this frame must show something
        frames.append((time.perf_counter() - t0) * 1000)
        if painted["placeholder"]:
            placeholder_frames += 1
        if bar.value() == 0 and not model.has_older and not model.loading:
            break
    frames.sort()
    return {
        "frames": len(frames),
        "frames_over_16ms": sum(1 for f in frames if f > 16.0),
        "frame_p50_ms": statistics.median(frames),
        "frame_p95_ms": statistics.quantiles(frames, n=20)[-1],
        "frame_max_ms": frames[-1],
        "placeholder_frames": placeholder_frames,
        "rows_loaded": model.rowCount(),
        "rows_cached": model.cached_count(),
        "reached_oldest": not model.has_older and bar.value() == 0,
        "scroll_s": time.perf_counter() - started,
    }


# -- the parent -----------------------------------------------------------------------------------


def build_store(folder: Path, total: int, team_count: int) -> tuple[Path, bytes, str]:
    sys.path.insert(0, str(Path(__file__).parent))
    from store_bench import fill_store, teams

    path, dek = folder / "store.db", secrets.token_bytes(32)
    team_ids = teams(team_count)
    started = time.perf_counter()
    fill_store(path, dek, total, team_ids)
    print(
        f"built a store of {total:,} messages in {time.perf_counter() - started:.0f} s", flush=True
    )
    return path, dek, team_ids[0]


def run_child(*args: str) -> tuple[float, dict[str, object]]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args[:2]} failed:\n{done.stderr}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return (float(found["first_paint"]) - start) * 1000, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--teams", type=int, default=10)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child[0] == "bare":
            child_bare()
        else:
            child_app(args.child[1], args.child[2], args.child[3], args.child[0] == "scroll")
        return

    with tempfile.TemporaryDirectory(prefix="wardlink-ui-bench-") as tmp:
        path, dek, team = build_store(Path(tmp), args.messages, args.teams)
        app_args = (str(path), dek.hex(), team)
        run_child("app", *app_args)  # warm the OS file cache once; not counted
        run_child("bare")
        app_ms: list[float] = []
        bare_ms: list[float] = []
        for _ in range(args.runs):
            app_ms.append(run_child("app", *app_args)[0])
            bare_ms.append(run_child("bare")[0])
        first, bare = statistics.median(app_ms), statistics.median(bare_ms)
        print(f"main window first paint, ms: {', '.join(f'{v:.0f}' for v in app_ms)}")
        print(f"bare Qt window first paint, ms: {', '.join(f'{v:.0f}' for v in bare_ms)}")
        _, scrolled = run_child("scroll", *app_args)
        print(
            f"scrolling {args.messages // args.teams:,} messages: {scrolled['frames']} frames in "
            f"{scrolled['scroll_s']:.1f} s, p50 {scrolled['frame_p50_ms']:.1f} ms, "
            f"p95 {scrolled['frame_p95_ms']:.1f} ms, max {scrolled['frame_max_ms']:.0f} ms, "
            f"{scrolled['frames_over_16ms']} frames over 16 ms; "
            f"{scrolled['placeholder_frames']} frames still showed placeholders; reached the "
            f"oldest: {scrolled['reached_oldest']}; rows loaded {scrolled['rows_loaded']}, "
            f"cached {scrolled['rows_cached']}"
        )
        print(
            f"ui_bench first_paint_ms={first:.0f} bare_qt_ms={bare:.0f} "
            f"startup_ratio={first / bare:.2f} "
            f"scroll_frame_p95_ms={scrolled['frame_p95_ms']:.1f} "
            f"rss_mb={scrolled['rss_mb']:.0f}"
        )


if __name__ == "__main__":
    main()
