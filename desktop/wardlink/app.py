"""Composition root: `wardlink` starts the desktop app (`wardlink.ui.launch`); its subcommands
are the store walk-through (`demo`) and the command-line sync (`sync`)."""

from __future__ import annotations

import argparse

from wardlink import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wardlink", description="Wardlink desktop app: with no command, it starts the app."
    )
    parser.add_argument("--version", action="version", version=f"wardlink {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("demo", help="walk through the encrypted local store (no window, no server)")
    from wardlink import sync_cli

    sync_cli.add_arguments(
        sub.add_parser("sync", help="sync a profile with the record server (password on stdin)")
    )
    return parser


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "sync":
        from wardlink import sync_cli

        return sync_cli.run(args)
    if args.command == "demo":
        from wardlink.demo import run_demo

        return run_demo()
    if args.command is None:
        from wardlink.ui.launch import start_app

        return start_app()
    build_parser().print_help()
    return 0
