"""How fast the patient-identifier guard scans typical ward messages.

The composer scans on every keystroke and the server on every posted message, so `scan` has to
be cheap on ordinary chatter. This takes 10,000 messages from the guard's labelled corpus
(19 in 20 clean chatter, 1 in 20 with identifiers, in a fixed order), times `scan` over all of
them several times, and compares the median with a baseline measured in the same run: one pass
of a single precompiled regular expression (digit runs) over the same messages.

Run from the repository root: `.venv/bin/python bench/guard_bench.py [--messages N] [--runs R]`.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from wardlink.core.guard import scan

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "core" / "guard_corpus"
_DIGIT_RUNS = re.compile(r"[0-9]+")


def load(name: str) -> list[str]:
    with (CORPUS / name).open(encoding="utf-8") as rows:
        return [json.loads(row)["text"] for row in rows]


def typical_messages(count: int) -> list[str]:
    """`count` messages, one in twenty with identifiers, always in the same order."""
    clean, with_identifiers = load("clean.jsonl"), load("identifiers.jsonl")
    messages = []
    for index in range(count):
        if index % 20 == 19:
            messages.append(with_identifiers[(index // 20 * 7) % len(with_identifiers)])
        else:
            messages.append(clean[(index * 13) % len(clean)])
    return messages


def median_ms(work: Callable[[list[str]], object], messages: list[str], runs: int) -> float:
    work(messages)  # warm caches before timing
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        work(messages)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(times)


def scan_all(messages: list[str]) -> int:
    return sum(len(scan(message)) for message in messages)


def baseline(messages: list[str]) -> int:
    return sum(len(_DIGIT_RUNS.findall(message)) for message in messages)


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the patient-identifier guard.")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    messages = typical_messages(args.messages)
    flagged = sum(bool(scan(message)) for message in messages)
    scan_ms = median_ms(scan_all, messages, args.runs)
    baseline_ms = median_ms(baseline, messages, args.runs)
    per_message_us = scan_ms * 1000 / len(messages)

    print(f"messages: {len(messages)} ({flagged} with findings)")
    print(f"scan:     median {scan_ms:.1f} ms over {args.runs} runs")
    print(f"baseline: median {baseline_ms:.1f} ms (one precompiled regex for digit runs)")
    print(
        f"guard_bench messages={len(messages)} scan_ms={scan_ms:.1f} "
        f"baseline_ms={baseline_ms:.1f} ratio={scan_ms / baseline_ms:.1f} "
        f"per_message_us={per_message_us:.1f}"
    )


if __name__ == "__main__":
    main()
