"""Store benchmark: bulk apply, timelines, search and open, against raw SQLCipher.

Fills a store through the store's own bulk-apply path (pages of 1,000, one transaction each, as
a pull applies them) and, in the same run, fills the same schema (with FTS) from a minimal raw
`sqlcipher3` executemany loop with the same page size and PRAGMAs. Then, in a fresh process,
opens the store from the DEK and measures the newest-50 timeline and search.

    .venv/bin/python bench/store_bench.py [--messages N] [--teams T]

The last line is:
store_bench messages=N apply_ratio=R latest50_p95_ms=X search_p95_ms=Y open_ms=Z rss_mb=M
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import sqlcipher3

from wardlink.core.clock import FixedClock
from wardlink.store import messages, search
from wardlink.store.connection import open_database
from wardlink.store.database import Store
from wardlink.store.messages import RemoteMessage
from wardlink.store.migrations import V1

PAGE = 1000
ME = "bench-me"
WORDS = (
    "the patient bay bed obs bloods review porter pharmacy handover please needs ready done "
    "doctor nurse ward team round fluids meds pain wound dressing discharge transfer theatre "
    "bleep ext chart sats temp pulse bp news escalate plan family social physio ot dietitian "
    "catheter cannula iv oral stat prn insulin antibiotics sepsis falls pressure area turn "
    "mobilise commode toilet breakfast lunch supper tea visiting hours relatives phone later "
    "morning afternoon evening night shift rota swap cover sick break staff meeting training "
    "audit incident datix equipment pump hoist sling mattress linen cupboard keys fridge "
    "ambulance transport pharmacy tto letter gp district community referral urgent routine"
).split()
RARE = ["zoledronic", "thoracentesis", "ketamine", "paracentesis", "tracheostomy", "hickman"]
COMMON = ["the", "patient", "bay", "please", "review", "bed", "obs", "needs", "ready", "done"]
MEDIUM = (
    "catheter dietitian hoist sling datix commode tto physio linen visiting insulin sepsis "
    "mattress cannula transport"
).split()
PHRASES = [
    '"bay bed"', '"please review"', '"pharmacy tto"', '"wound dressing"', '"falls pressure"',
    '"night shift"', '"the patient"', '"iv fluids"', '"pain plan"', '"news escalate"',
    "porter transfer", "bloods review", "staff meeting", "rota swap", "gp letter", "sats temp",
    "family phone",
]  # fmt: skip
QUERIES = [*COMMON, *MEDIUM, *RARE, "zoledronic acid", "hickman line", *PHRASES][:50]


def teams(n: int) -> list[str]:
    return [f"team-{i:02d}" for i in range(n)]


def bodies(seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    weights = [1 / (i + 1) for i in range(len(WORDS))]  # Zipf-like: a few very common words
    while True:
        words = rng.choices(WORDS, weights, k=30)
        if rng.random() < 0.002:
            words[rng.randrange(len(words))] = rng.choice(RARE)
        text = " ".join(words)
        yield text[:120].rsplit(" ", 1)[0]


def pages(total: int, team_ids: list[str]) -> Iterator[list[RemoteMessage]]:
    gen = bodies(1)
    seq = 0
    while seq < total:
        page = []
        for _ in range(min(PAGE, total - seq)):
            seq += 1
            page.append(
                RemoteMessage(
                    seq=seq,
                    id=f"m{seq}",
                    team_id=team_ids[seq % len(team_ids)],
                    author_id="other" if seq % 7 else ME,
                    author_name="Bob Brown",
                    body=next(gen),
                    priority="routine",
                    client_ts="2026-11-28T09:00:00.000Z",
                    server_ts="2026-11-28T09:00:01.000Z",
                )
            )
        yield page


def fill_store(path: Path, dek: bytes, total: int, team_ids: list[str]) -> float:
    store = Store(
        open_database(path, dek),
        ME,
        FixedClock(__import__("datetime").datetime.now(__import__("datetime").UTC)),
    )
    store.conn.executemany(
        "INSERT INTO teams(id, name, kind) VALUES (?, ?, 'ward')", [(t, t) for t in team_ids]
    )
    elapsed = 0.0
    for page in pages(total, team_ids):
        start = time.perf_counter()
        messages.apply_remote_messages(store, page, cursor=page[-1].seq)
        elapsed += time.perf_counter() - start
    store.close()
    return elapsed


def fill_raw(path: Path, dek: bytes, total: int, team_ids: list[str]) -> float:
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{dek.hex()}'\"")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA cache_size = -32768")
    conn.executescript(V1)
    conn.executemany(
        "INSERT INTO teams(id, name, kind) VALUES (?, ?, 'ward')", [(t, t) for t in team_ids]
    )
    sql = (
        "INSERT INTO messages(pos, id, team_id, author_id, author_name, body, priority, "
        "client_ts, server_ts, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'received')"
    )
    elapsed = 0.0
    for page in pages(total, team_ids):
        rows = [
            (
                m.seq,
                m.id,
                m.team_id,
                m.author_id,
                m.author_name,
                m.body,
                m.priority,
                m.client_ts,
                m.server_ts,
            )
            for m in page
        ]
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("INSERT OR REPLACE INTO sync_state VALUES ('cursor', ?)", (str(page[-1].seq),))
        conn.execute("COMMIT")
        elapsed += time.perf_counter() - start
    conn.close()
    return elapsed


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def read_phase(path: str, dek_hex: str, team_count: int) -> None:
    """Runs in a fresh process: open from the DEK, then timelines and searches."""
    start = time.perf_counter()
    store = Store(
        open_database(Path(path), bytes.fromhex(dek_hex)),
        ME,
        FixedClock(__import__("datetime").datetime.now(__import__("datetime").UTC)),
    )
    messages.latest_messages(store, teams(team_count)[0], 50)
    open_ms = (time.perf_counter() - start) * 1000
    rng = random.Random(7)
    latest = []
    for _ in range(300):
        team = rng.choice(teams(team_count))
        t0 = time.perf_counter()
        rows = messages.latest_messages(store, team, 50)
        latest.append((time.perf_counter() - t0) * 1000)
        assert len(rows) == 50
    searches = []
    counts = {}
    for _ in range(3):
        for q in QUERIES:
            t0 = time.perf_counter()
            found = search.search_messages(store, q, limit=50)
            searches.append((time.perf_counter() - t0) * 1000)
            counts[q] = len(found)
    store.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "open_ms": open_ms,
                "latest50_p95_ms": p95(latest),
                "latest50_median_ms": statistics.median(latest),
                "search_p95_ms": p95(searches),
                "search_median_ms": statistics.median(searches),
                "rss_mb": rss_mb,
                "hits": counts,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--read-phase", nargs=2, metavar=("PATH", "DEK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read_phase:
        read_phase(args.read_phase[0], args.read_phase[1], args.teams)
        return
    team_ids = teams(args.teams)
    with tempfile.TemporaryDirectory(prefix="wardlink-bench-") as tmp:
        dek = secrets.token_bytes(32)
        raw_s = fill_raw(Path(tmp) / "raw.db", dek, args.messages, team_ids)
        print(
            f"raw sqlcipher3 executemany: {raw_s:.1f} s ({args.messages / raw_s:,.0f} msgs/s)",
            flush=True,
        )
        store_s = fill_store(Path(tmp) / "store.db", dek, args.messages, team_ids)
        print(
            f"store bulk apply:           {store_s:.1f} s ({args.messages / store_s:,.0f} msgs/s)",
            flush=True,
        )
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--teams",
                str(args.teams),
                "--read-phase",
                str(Path(tmp) / "store.db"),
                dek.hex(),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        rare_hits = {q: n for q, n in r["hits"].items() if n < 50}
        print(
            f"latest 50 of a team: median {r['latest50_median_ms']:.2f} ms, "
            f"p95 {r['latest50_p95_ms']:.2f} ms"
        )
        print(
            f"search ({len(QUERIES)} queries x3, newest 50): median "
            f"{r['search_median_ms']:.2f} ms, p95 {r['search_p95_ms']:.2f} ms; "
            f"queries with under 50 hits: {rare_hits}"
        )
        print(
            f"store_bench messages={args.messages} apply_ratio={store_s / raw_s:.2f} "
            f"latest50_p95_ms={r['latest50_p95_ms']:.2f} search_p95_ms={r['search_p95_ms']:.2f} "
            f"open_ms={r['open_ms']:.1f} rss_mb={r['rss_mb']:.0f}"
        )


if __name__ == "__main__":
    main()
