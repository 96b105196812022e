"""Composition root: reads policy, builds the store (and later sync and UI), runs the app."""

from __future__ import annotations

import argparse

from wardlink import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wardlink", description="Wardlink desktop app")
    parser.add_argument("--version", action="version", version=f"wardlink {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("demo", help="run what exists so far against demo data")
    return parser


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from wardlink.demo import run_demo

        return run_demo()
    build_parser().print_help()
    return 0
