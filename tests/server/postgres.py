"""A throwaway PostgreSQL cluster for the test session (DESIGN.md §8).

Started once per session: `initdb` into a fresh temporary directory (data and socket), the
server on a free port of 127.0.0.1 only, trust authentication (nothing else can reach it), and
durability off (it is thrown away). A migrated template database is made once; each test gets
a fresh copy (`CREATE DATABASE … TEMPLATE …`, about a tenth of a second, made ahead in the
background), dropped afterwards.
PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
Where PostgreSQL is missing it is installed (as root, with apt-get); otherwise the session
fails with a message saying how to install it: the server tests never silently skip it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Final

import psycopg
from psycopg import sql

from wardlink_server.database import make_engine, migrate

TEMPLATE: Final = "wardlink_template"
SUPERUSER: Final = "postgres"
RUN_AS: Final = "postgres"
SPARES: Final = 2  # template copies made ahead of the tests that will want them
INSTALL_HINT: Final = (
    "The server tests run on PostgreSQL too and need its server programs (initdb, pg_ctl). "
    "Install them, e.g. `sudo apt-get install postgresql` (Debian/Ubuntu), "
    "`sudo dnf install postgresql-server` (Fedora) or `brew install postgresql` (macOS), "
    "then run the tests again."
)
# A throwaway cluster: no durability, room for the tests' pools, quiet logs.
SETTINGS: Final = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=300",
    "shared_buffers=64MB",
    "log_min_messages=warning",
)


class PostgresUnavailable(Exception):
    """PostgreSQL cannot be started here; the message says what to do."""


def _binaries() -> Path | None:
    """The directory holding initdb and pg_ctl: on PATH, else Debian's versioned directories."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = [Path(found) for found in glob.glob("/usr/lib/postgresql/*/bin")]
    for candidate in sorted(versions, key=_version, reverse=True):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


def _version(bin_dir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in bin_dir.parent.name.split(".") if part.isdigit())


def ensure_installed() -> Path:
    """The server programs' directory, installing PostgreSQL first where it is missing (as
    root, with apt-get); PostgresUnavailable, saying how to install it, where that cannot be."""
    binaries = _binaries()
    if binaries is None:
        _install()
        binaries = _binaries()
    if binaries is None:
        raise PostgresUnavailable(INSTALL_HINT)
    return binaries


def _install() -> None:
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise PostgresUnavailable(INSTALL_HINT)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "postgresql"],
    ):
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            raise PostgresUnavailable(
                f"Installing PostgreSQL with apt-get failed ({done.stderr.strip()[-300:]}). "
                + INSTALL_HINT
            )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """One running cluster; `database()` makes a fresh migrated database and returns its URL."""

    def __init__(self) -> None:
        self._bin = ensure_installed()
        self._as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="wardlink-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._running = False
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-databases")
        self._spares: deque[Future[str]] = deque()
        try:
            self._prepare_directory()
            self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                      "--encoding=UTF8", "--locale=C", "--no-sync")  # fmt: skip
            self._start()
            self._make_template()
        except BaseException:
            self.stop()
            raise

    # -- running programs as the cluster's owner --------------------------------------------------

    def _command(self, program: str, *args: str) -> list[str]:
        line = [str(self._bin / program), *args]
        if not self._as_root:
            return line
        if shutil.which("runuser"):
            return ["runuser", "-u", RUN_AS, "--", *line]
        return ["su", RUN_AS, "-s", "/bin/sh", "-c", shlex.join(line)]

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            self._command(program, *args), capture_output=True, text=True, check=False,
            cwd=self.root, timeout=120,
        )  # fmt: skip
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PostgresUnavailable(
                f"{program} failed (exit {done.returncode}): {done.stderr.strip()[-1000:]}\n{log}"
            )

    def _prepare_directory(self) -> None:
        self.root.chmod(0o700)
        if not self._as_root:
            return
        try:
            shutil.chown(self.root, RUN_AS, RUN_AS)
        except (LookupError, PermissionError) as exc:
            raise PostgresUnavailable(
                f"There is no `{RUN_AS}` user to run PostgreSQL as (it refuses to run as root). "
                + INSTALL_HINT
            ) from exc
        probe = subprocess.run(
            ["runuser", "-u", RUN_AS, "--", "test", "-w", str(self.root)]
            if shutil.which("runuser")
            else ["su", RUN_AS, "-s", "/bin/sh", "-c", shlex.join(["test", "-w", str(self.root)])],
            capture_output=True, check=False,
        )  # fmt: skip
        if probe.returncode != 0:
            raise PostgresUnavailable(
                f"The `{RUN_AS}` user cannot reach the temporary directory {self.root}: let it "
                "traverse the temporary directory's parents, or set TMPDIR to one it can."
            )

    def _start(self) -> None:
        options = ["-c listen_addresses=127.0.0.1", f"-k {self.root}"]
        options += [f"-c {setting}" for setting in SETTINGS]
        for _attempt in range(3):  # the free port may be taken before the server binds it
            self.port = _free_port()
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                          "-o", " ".join([*options, f"-p {self.port}"]), "start")  # fmt: skip
            except PostgresUnavailable:
                continue
            self._running = True
            return
        raise PostgresUnavailable(f"PostgreSQL did not start; its log is in {self.log}.")

    # -- databases -------------------------------------------------------------------------------

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        )

    def _make_template(self) -> None:
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
        engine = make_engine(self.url(TEMPLATE))
        try:
            migrate(engine)
        finally:
            engine.dispose()

    def database(self, *, empty: bool = False) -> str:
        """A fresh database copied from the migrated template (or an empty one); its URL.

        Copies are made ahead, one at a time in a background thread, while tests run; dropping
        happens there too: the tests never wait for either.
        """
        if empty:
            return self._create(empty=True)
        url = self._spares.popleft().result() if self._spares else self._create()
        while len(self._spares) < SPARES:
            self._spares.append(self._background.submit(self._create))
        return url

    def _create(self, *, empty: bool = False) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        with self._admin() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier("template0" if empty else TEMPLATE)
                )
            )
        return self.url(name)

    def drop(self, url: str) -> None:
        self._background.submit(self._drop, url)

    def _drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def stop(self) -> None:
        """Stop the server (at once: nothing in it is kept) and delete its directory."""
        self._background.shutdown(wait=True, cancel_futures=True)
        self._spares.clear()
        if self._running:
            with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self._running = False
        shutil.rmtree(self.root, ignore_errors=True)
