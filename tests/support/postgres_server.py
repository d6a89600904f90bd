"""A throwaway PostgreSQL server for the test session.

The ledger is tested on a real PostgreSQL, started here with initdb and pg_ctl in a temporary
directory on a free port on 127.0.0.1, and deleted afterwards.

Why not pytest-postgresql: it runs initdb and pg_ctl as the current OS user (its ``user``
setting is the database role), and PostgreSQL refuses to run as root, which is what CI runs
as. Requests for a run-as option were closed as a container-setup matter
(dbfixtures/pytest-postgresql#341, #455; still so in 10.0.0). So this small module runs the
binaries as the unprivileged ``postgres`` system user (created by Debian's postgresql
package) when it finds itself root.
"""

from __future__ import annotations

import itertools
import os
import pwd
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

DEBIAN_ROOT = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"
SUPERUSER = "postgres"
HOST = "127.0.0.1"

# Durability is worthless for a database deleted at the end of the session.
FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


def find_bindir(debian_root: Path = DEBIAN_ROOT) -> Path | None:
    """Directory of the newest PostgreSQL server binaries, or None if there are none.

    Debian keeps them out of PATH in /usr/lib/postgresql/<version>/bin; elsewhere pg_ctl
    is on PATH.
    """
    candidates = [d / "bin" for d in debian_root.glob("*") if (d / "bin" / "pg_ctl").exists()]
    if candidates:
        return max(candidates, key=lambda b: _version_key(b.parent.name))
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


def _version_key(name: str) -> tuple[int, ...]:
    """'9.6' < '15' < '16': compare versions as numbers, not strings."""
    return tuple(int(part) if part.isdigit() else -1 for part in name.split("."))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class PostgresServer:
    """One PostgreSQL cluster in a temporary directory, reachable with trust auth.

    ``stop()`` and ``start()`` let a test take the database away mid-run and bring it
    back on the same port, with its data.
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="friction-pg-"))
        self.datadir = self.base / "data"
        self.logfile = self.base / "server.log"
        self.running = False
        self.lock = threading.RLock()  # held while starting, stopping, or by TemplateCopies
        self._as_user = self._run_as_prefix()
        if self._as_user:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(self.base, user.pw_uid, user.pw_gid)

    @staticmethod
    def _run_as_prefix() -> list[str]:
        """Command prefix that drops root, because PostgreSQL will not run as root."""
        if os.geteuid() != 0:
            return []
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise RuntimeError(
                f"running as root needs the unprivileged {SERVER_USER!r} system user to own "
                "the test server (Debian's postgresql package creates it)"
            ) from None
        return ["runuser", "-u", SERVER_USER, "--"]

    def _run(self, program: str, *args: str) -> None:
        command = [*self._as_user, str(self.bindir / program), *args]
        done = subprocess.run(
            command, cwd=self.base, capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
        if done.returncode != 0:
            log = self.logfile.read_text() if self.logfile.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}{log[-2000:]}"
            )

    def init(self) -> None:
        """Create the cluster: UTF-8, C locale, superuser 'postgres', trust on loopback."""
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        settings = {
            **FAST_SETTINGS,
            "listen_addresses": f"'{HOST}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.base}'",
        }
        with (self.datadir / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def start(self) -> None:
        """Start the server and wait until it accepts connections (no-op if running)."""
        if self.running:  # only start and stop change it: no need to wait for TemplateCopies
            return
        with self.lock:
            if self.running:
                return
            self._run("pg_ctl", "start", "-D", str(self.datadir), "-l", str(self.logfile), "-w")
            self.running = True

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast shutdown: open connections are cut, the data kept)."""
        with self.lock:
            if not self.running:
                return
            self._run("pg_ctl", "stop", "-D", str(self.datadir), "-m", mode, "-w")
            self.running = False

    @contextmanager
    def stopped(self) -> Iterator[None]:
        """The database is down inside the block and back up after it, whatever happens."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def close(self) -> None:
        """Stop the server and delete everything it wrote (so with no shutdown checkpoint)."""
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        try:
            self.init()
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, dbname: str) -> str:
        """SQLAlchemy URL of a database on this server."""
        return f"postgresql+psycopg://{SUPERUSER}@{HOST}:{self.port}/{dbname}"

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(
            host=HOST, port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        )

    def databases(self) -> set[str]:
        """Names of the databases on the server, templates excluded."""
        with self._admin() as conn:
            rows = conn.execute("SELECT datname FROM pg_database WHERE NOT datistemplate")
            return {name for (name,) in rows}

    def create_database(self, name: str, template: str | None = None) -> None:
        """Create a database, empty or as a copy of `template` (which nobody may be connected to).

        A copy of a migrated template takes milliseconds where migrating takes a second.
        """
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self._admin() as conn:
            conn.execute(statement)

    def drop_database(self, name: str) -> None:
        """Drop a database even if a test left connections open to it."""
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class TemplateCopies:
    """Copies of a template database (or empty databases) made ahead of need, and databases
    dropped after use, by a background thread: a copy takes a tenth of a second of the
    server's time, which a test then no longer waits for, nor for the drop after it.

    The thread works only while the server runs, holding its lock, so a test that stops the
    server never has it stop under a copy or a drop.
    """

    def __init__(self, server: PostgresServer, template: str | None, ahead: int = 2) -> None:
        self.server = server
        self.template = template
        self.ahead = ahead
        self._numbers = itertools.count(1)
        self._ready: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._drops: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="pg-copies", daemon=True)
        self._thread.start()

    def take(self) -> str:
        """The name of a new copy of the template, yours alone: made ahead, or else now."""
        try:
            name = self._ready.get_nowait()
        except queue.Empty:
            name = self._new_name()
            self.server.create_database(name, self.template)
        self._wake.set()
        return name

    def drop_later(self, name: str) -> None:
        """Drop the database `name` (any database) in the background."""
        self._drops.put(name)
        self._wake.set()

    def close(self) -> None:
        """Stop the thread; copies not taken and drops not done are left to the server's end."""
        self._closed = True
        self._wake.set()
        self._thread.join(10)

    def _new_name(self) -> str:
        return f"{self.template or 'empty'}_{next(self._numbers)}"

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(0.1)  # also polls while the server is stopped
            self._wake.clear()
            while not self._closed and self._step():
                pass

    def _step(self) -> bool:
        """Make one copy, or else do one drop; False when there is nothing to do now."""
        with self.server.lock:
            if not self.server.running:
                return False
            if self._ready.qsize() < self.ahead:
                name = self._new_name()
                self.server.create_database(name, self.template)
                self._ready.put(name)
                return True
            try:
                name = self._drops.get_nowait()
            except queue.Empty:
                return False
            self.server.drop_database(name)
            return True


@contextmanager
def throwaway_database(name: str = "bench") -> Iterator[str]:
    """URL of a database on a throwaway server, for the benchmarks; exits without PostgreSQL."""
    bindir = find_bindir()
    if bindir is None:
        sys.exit("PostgreSQL binaries not found (Debian's postgresql package)")
    with PostgresServer(bindir) as server:
        server.create_database(name)
        yield server.url(name)


def pg_copy(request: pytest.FixtureRequest, template: str | None) -> str:
    """URL of a new copy of the PostgreSQL database `template` (None: an empty database),
    dropped when the fixture or test asking for it is torn down."""
    pg_server: PostgresServer = request.getfixturevalue("pg_server")
    copies: TemplateCopies = request.getfixturevalue("pg_copies")(template)
    name = copies.take()

    def drop() -> None:
        pg_server.start()  # a test that stopped the server must not break the next one
        copies.drop_later(name)

    request.addfinalizer(drop)
    return pg_server.url(name)
