"""Composition root: `wardlink` starts the desktop app (`wardlink.ui.launch`); `--self-test`
checks this PC's installation without a window (`wardlink.selftest`); its subcommands are the
store walk-through (`demo`) and the command-line sync (`sync`)."""

from __future__ import annotations

import argparse

from wardlink import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wardlink", description="Wardlink desktop app: with no command, it starts the app."
    )
    parser.add_argument("--version", action="version", version=f"wardlink {__version__}")
    parser.add_argument(
        "--self-test", action="store_true",
        help="check this computer's installation (policy, key store, encryption, data folder, "
        "record server) without opening a window; exits 1 if any check fails",
    )  # fmt: skip
    parser.add_argument(
        "--server", metavar="URL", dest="self_test_server",
        help="with --self-test: check this record server instead of the policy's",
    )  # fmt: skip
    parser.add_argument(
        "--json", action="store_true", dest="self_test_json",
        help="with --self-test: print the report as JSON",
    )  # fmt: skip
    # For installer checks: start as usual, exit 0 once the first window has been drawn.
    parser.add_argument("--smoke-start", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("demo", help="walk through the encrypted local store (no window, no server)")
    from wardlink import sync_cli

    sync_cli.add_arguments(
        sub.add_parser("sync", help="sync a profile with the record server (password on stdin)")
    )
    return parser


def run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test and args.smoke_start:
        parser.error("give --self-test or --smoke-start, not both")
    if (args.self_test or args.smoke_start) and args.command is not None:
        parser.error(f"--self-test and --smoke-start take no command ({args.command})")
    if not args.self_test and (args.self_test_server is not None or args.self_test_json):
        parser.error("--server and --json go with --self-test")
    if args.self_test:
        from wardlink.selftest.runner import run_self_test

        return run_self_test(server=args.self_test_server, as_json=args.self_test_json)
    if args.command == "sync":
        from wardlink import sync_cli

        return sync_cli.run(args)
    if args.command == "demo":
        from wardlink.demo import run_demo

        return run_demo()
    if args.command is None:
        from wardlink.ui.launch import start_app

        return start_app(smoke=args.smoke_start)
    parser.print_help()
    return 0
