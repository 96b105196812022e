"""`wardlink-server`: serve, migrate, admin and demo, each against `--database URL`.

Every command opens the database named by `--database`, else `WARDLINK_DATABASE_URL`, else a
SQLite file in the user data folder, and creates or migrates the schema first. A refusal the
user can act on is printed as a plain message (exit 1); a command line that is wrong exits 2
with its usage. Passwords are read from standard input, never from the command line (the
demo's password excepted), and never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import getpass
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from wardlink.core.policy import PolicyError
from wardlink_server import audit, directory, server_policy
from wardlink_server.audit import CLI
from wardlink_server.config import ServerConfig, default_database_url
from wardlink_server.database import DatabaseError, backend_of
from wardlink_server.errors import ApiError
from wardlink_server.fhir import patient_audit
from wardlink_server.services import Services, build_services

PROG = "wardlink-server"


class UsageError(Exception):
    """A command line that cannot be run as given (exit 2)."""


class Failure(Exception):
    """A command that ran and could not do what was asked (exit 1)."""


def database_url(given: str | None) -> str:
    """The URL to use: `--database`, else the environment or default; a bare path is SQLite."""
    url = given or default_database_url()
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


@contextlib.contextmanager
def opened(
    args: argparse.Namespace,
    *,
    docs: bool = False,
    policy: Mapping[str, object] | None = None,
    max_address_failures: int | None = None,
) -> Iterator[Services]:
    """The services for `--database`, its schema created or migrated; closed afterwards."""
    config = ServerConfig(
        database_url=database_url(args.database), docs_enabled=docs, policy=policy or {}
    )
    if max_address_failures is not None:
        config = dataclasses.replace(config, max_address_failures=max_address_failures)
    services = build_services(config)
    try:
        yield services
    finally:
        services.engine.dispose()


def read_password(stdin: TextIO) -> str:
    """One line from standard input (a prompt without echo when it is a terminal)."""
    if stdin.isatty():
        return getpass.getpass("Password: ")
    line = stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


# -- commands -------------------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace, out: TextIO) -> None:
    with opened(args):
        pass
    print("The database schema is up to date.", file=out)


def _password_for(args: argparse.Namespace, needed: bool) -> str | None:
    if not args.password_stdin:
        if needed:
            raise UsageError("give the password on standard input with --password-stdin")
        return None
    return read_password(sys.stdin)


def cmd_create_staff(args: argparse.Namespace, out: TextIO) -> None:
    password = _password_for(args, needed=args.role != "integration")
    with opened(args) as services, services.writer.begin() as conn:
        staff_id = directory.create_staff(
            conn, services, CLI, username=args.username, display_name=args.display_name,
            role=args.role, password=password,
        )  # fmt: skip
    print(f"Created {args.role} account {args.username.strip().lower()} ({staff_id}).", file=out)


def cmd_create_team(args: argparse.Namespace, out: TextIO) -> None:
    with opened(args) as services, services.writer.begin() as conn:
        team_id = directory.create_team(conn, services, CLI, name=args.name, kind=args.kind)
    print(f"Created {args.kind} team {args.name.strip()} ({team_id}).", file=out)


def cmd_add_member(args: argparse.Namespace, out: TextIO) -> None:
    with opened(args) as services, services.writer.begin() as conn:
        directory.add_member(conn, services, CLI, args.team, args.username)
    print(f"{args.username} is a member of {args.team}.", file=out)


def cmd_remove_member(args: argparse.Namespace, out: TextIO) -> None:
    with opened(args) as services, services.writer.begin() as conn:
        directory.remove_member(conn, services, CLI, args.team, args.username)
    print(f"{args.username} is no longer a member of {args.team}.", file=out)


def cmd_disable_staff(args: argparse.Namespace, out: TextIO) -> None:
    with opened(args) as services, services.writer.begin() as conn:
        directory.disable_staff(conn, services, CLI, args.username)
    print(f"Disabled {args.username}: their devices wipe Wardlink at next contact.", file=out)


def cmd_reset_password(args: argparse.Namespace, out: TextIO) -> None:
    password = _password_for(args, needed=True)
    assert password is not None
    with opened(args) as services, services.writer.begin() as conn:
        directory.reset_password(conn, services, CLI, args.username, password)
    print(f"Set a new password for {args.username}; their sessions have ended.", file=out)


def cmd_list_devices(args: argparse.Namespace, out: TextIO) -> None:
    with opened(args) as services, services.engine.connect() as conn:
        devices = directory.list_devices(conn, args.username)
    if not devices:
        print("No devices.", file=out)
        return
    rows = [("ID", "USERNAME", "NAME", "PLATFORM", "LAST SEEN", "REVOKED")]
    rows += [
        (str(d["id"]), str(d["username"]), str(d["name"]), str(d["platform"]),
         str(d["last_seen_at"]), str(d["revoked_at"] or "-"))
        for d in devices
    ]  # fmt: skip
    _print_table(rows, out)


def _print_table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(), file=out
        )


def cmd_revoke_device(args: argparse.Namespace, out: TextIO) -> None:
    with opened(args) as services, services.writer.begin() as conn:
        directory.revoke_device(conn, services, CLI, args.device_id)
    print(f"Revoked device {args.device_id}: it wipes Wardlink at next contact.", file=out)


def cmd_issue_token(args: argparse.Namespace, out: TextIO) -> None:
    if len(args.device_id) > 36:
        raise UsageError("a device id is at most 36 characters")
    with opened(args) as services, services.writer.begin() as conn:
        token, expires_at = directory.issue_token(
            conn, services, CLI, args.username, args.device_id
        )
    print(token, file=out)
    print(f"The token expires at {expires_at}.", file=sys.stderr)


def cmd_audit(args: argparse.Namespace, out: TextIO) -> None:
    if args.verify and args.patient is not None:
        raise UsageError("give --verify or --patient, not both")
    with opened(args) as services:
        if args.verify:
            _verify_audit(services, out)
            return
        if args.patient is not None:
            _patient_audit(services, args.patient, args.limit, out)
            return
        with services.writer.begin() as conn:
            entries = audit.entries(conn, limit=args.limit)
            # The entries name patients, so reading them is audited, as in the admin API.
            audit.record(
                conn, CLI, "admin.audit.read", "audit", at=services.now(),
                detail={"limit": args.limit},
            )  # fmt: skip
    for entry in entries:
        actor = entry["actor"]
        who = actor["username"] if isinstance(actor, dict) else "(command line)"
        patient = entry["patient"]
        about = f"  {patient['system']}|{patient['value']}" if isinstance(patient, dict) else ""
        line = f"{entry['seq']}  {entry['at']}  {who}  {entry['action']}  {entry['subject']}"
        print(line + about, file=out)


def _patient_audit(services: Services, patient: str, limit: int, out: TextIO) -> None:
    """Who filed or read what about one patient, when, from which device (newest first)."""
    query = patient_audit.TrailQuery(patient, limit)
    with services.writer.begin() as conn:
        entries = patient_audit.read_trail(conn, services, CLI, query)
    if not entries:
        print("No audit entries for that patient.", file=out)
        return
    rows = [("WHEN", "WHO", "ACTION", "SUBJECT", "DEVICE")]
    for entry in entries:
        actor, device = entry["actor"], entry["device"]
        who = str(actor["username"]) if isinstance(actor, dict) else "(command line)"
        where = f"{device['name']} ({device['id']})" if isinstance(device, dict) else "-"
        rows.append((str(entry["at"]), who, str(entry["action"]), str(entry["subject"]), where))
    _print_table(rows, out)


def _verify_audit(services: Services, out: TextIO) -> None:
    with services.engine.connect() as conn:
        problems = audit.verify(conn)
    for problem in problems:
        print(problem, file=out)
    if problems:
        raise Failure("the audit chain is broken: the entries above were changed.")
    print("The audit chain is intact.", file=out)


def cmd_demo(args: argparse.Namespace, out: TextIO) -> None:
    from wardlink_server import demo

    with opened(args) as services:
        print(demo.seed(services, password=args.password), file=out)


def cmd_serve(args: argparse.Namespace, out: TextIO) -> None:
    from wardlink_server import serve

    if (args.tls_cert is None) != (args.tls_key is None):
        raise UsageError("give both --tls-cert and --tls-key, or neither")
    problem = serve.host_problem(args.host, tls=args.tls_cert is not None)
    if problem is not None:
        raise UsageError(problem)
    if args.metrics_port is not None and args.metrics_port == args.port != 0:
        raise UsageError("--metrics-port must differ from --port")
    if args.workers > 1 and backend_of(database_url(args.database)) != "postgresql":
        raise UsageError(
            "--workers above 1 needs a PostgreSQL database (--database postgresql://…): "
            "SQLite is served by one process"
        )
    policy: dict[str, object] = {}
    path = server_policy.policy_path(args.policy)
    if path is not None:
        try:
            policy = server_policy.read_policy_file(path)
        except PolicyError as exc:
            raise Failure(f"The server policy is not valid: {exc}") from None
    with opened(
        args, docs=args.docs, policy=policy, max_address_failures=args.max_address_failures
    ) as services:
        if server_policy.publish(services):
            print("The server policy changed: signed-in clients are being told.", file=out)
        try:
            serve.run(
                services, host=args.host, port=args.port, tls=(args.tls_cert, args.tls_key),
                out=out, workers=args.workers, metrics_port=args.metrics_port,
            )  # fmt: skip
        except serve.WorkersFailed as exc:
            raise Failure(f"{exc}; their messages are above.") from None


# -- the parser -----------------------------------------------------------------------------------

Command = Callable[[argparse.Namespace, TextIO], None]


def build_parser() -> argparse.ArgumentParser:
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database", metavar="URL",
        help="sqlite:///FILE or postgresql://… (default: $WARDLINK_DATABASE_URL, else a SQLite "
        "file in the user data folder)",
    )  # fmt: skip
    parser = argparse.ArgumentParser(prog=PROG, description="The Wardlink record server.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", parents=[database], help="run the record server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8443, help="0 picks a free port")
    serve.add_argument("--tls-cert", metavar="FILE")
    serve.add_argument("--tls-key", metavar="FILE")
    serve.add_argument("--docs", action="store_true", help="serve the interactive API docs")
    serve.add_argument(
        "--max-address-failures", type=_positive, metavar="N",
        help="failed sign-ins from one address in 15 minutes before it must wait (default 50; "
        "a whole hospital may share one address)",
    )  # fmt: skip
    serve.add_argument(
        "--policy", metavar="FILE",
        help="the server policy, a TOML file (default: $WARDLINK_SERVER_POLICY; none: defaults)",
    )  # fmt: skip
    serve.add_argument(
        "--workers", type=_workers, default=1, metavar="N",
        help="server processes sharing the port (above 1 needs PostgreSQL)",
    )  # fmt: skip
    serve.add_argument(
        "--metrics-port", type=_port, metavar="N",
        help="serve Prometheus metrics at http://127.0.0.1:N/metrics (this computer only; "
        "0 picks a free port)",
    )  # fmt: skip
    serve.set_defaults(run=cmd_serve)

    migrate = commands.add_parser("migrate", parents=[database], help="create or update the schema")
    migrate.set_defaults(run=cmd_migrate)

    demo = commands.add_parser("demo", parents=[database], help="seed a demo health board")
    demo.add_argument("--password", default="demo", help="every demo account's password")
    demo.set_defaults(run=cmd_demo)

    admin = commands.add_parser("admin", help="manage staff, teams, devices and tokens")
    actions = admin.add_subparsers(dest="action", required=True, metavar="ACTION")
    _add_admin_actions(actions, database)
    return parser


def _add_admin_actions(actions: argparse._SubParsersAction[argparse.ArgumentParser],
                       database: argparse.ArgumentParser) -> None:  # fmt: skip
    def action(name: str, run: Command, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, parents=[database], help=help_text)
        sub.set_defaults(run=run)
        return sub

    sub = action("create-staff", cmd_create_staff, "create a staff account")
    sub.add_argument("--username", required=True)
    sub.add_argument("--display-name", required=True)
    sub.add_argument("--role", choices=directory.ROLES, default="staff")
    sub.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    sub = action("create-team", cmd_create_team, "create a team")
    sub.add_argument("--name", required=True)
    sub.add_argument("--kind", choices=directory.TEAM_KINDS, default="ward")

    for name, run, text in (
        ("add-member", cmd_add_member, "add a staff member to a team"),
        ("remove-member", cmd_remove_member, "remove a staff member from a team"),
    ):
        sub = action(name, run, text)
        sub.add_argument("--team", required=True, help="the team's name or id")
        sub.add_argument("--username", required=True)

    sub = action("disable-staff", cmd_disable_staff, "disable an account (its devices wipe)")
    sub.add_argument("--username", required=True)

    sub = action("reset-password", cmd_reset_password, "set a new password")
    sub.add_argument("--username", required=True)
    sub.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    sub = action("list-devices", cmd_list_devices, "list devices")
    sub.add_argument("--username")

    sub = action("revoke-device", cmd_revoke_device, "revoke a device (it wipes)")
    sub.add_argument("device_id", metavar="ID")

    sub = action("issue-token", cmd_issue_token, "issue a long-lived token (prints it)")
    sub.add_argument("--username", required=True)
    sub.add_argument("--device-id", required=True)

    sub = action("audit", cmd_audit, "show the newest audit entries, or verify the chain")
    sub.add_argument("--limit", type=_positive, default=20)
    sub.add_argument("--verify", action="store_true", help="check the hash chain instead")
    sub.add_argument(
        "--patient", metavar="NHS|CHI",
        help="only who filed or read what about this patient (the number may have spaces)",
    )  # fmt: skip


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError("a port is a whole number from 0 to 65535")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError("must be a whole number from 1 to 64")
    return int(text)


def _positive(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 10_000:
        raise argparse.ArgumentTypeError("must be a whole number from 1 to 10000")
    return int(text)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command; returns the exit status (0 done, 1 failed, 2 usage)."""
    args = build_parser().parse_args(argv)
    run: Command = args.run
    out = out or sys.stdout
    where = f"{PROG} {args.command}" + (f" {args.action}" if args.command == "admin" else "")
    try:
        run(args, out)
    except UsageError as exc:
        print(f"{where}: {exc}", file=sys.stderr)
        return 2
    except (ApiError, DatabaseError) as exc:
        print(f"{where}: {exc.message}", file=sys.stderr)
        return 1
    except Failure as exc:
        print(f"{where}: {exc}", file=sys.stderr)
        return 1
    except CommandError:
        print(f"{where}: the database's schema is not one this version knows.", file=sys.stderr)
        return 1
    except OSError as exc:  # a port in use, an unreadable certificate
        print(f"{where}: {exc.strerror or type(exc).__name__}.", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"{where}: the database could not be used ({type(exc).__name__}).", file=sys.stderr)
        return 1
    return 0
