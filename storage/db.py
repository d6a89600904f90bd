"""Opening the ledger: foreign keys and WAL on SQLite, migrations on first use.

Alembic is imported inside the functions that use it: loading it costs about 110 ms that the
commands which never open the ledger (classify, eval, --help) need not pay at start-up.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlmodel import create_engine

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///friction.db"
_MIGRATIONS = Path(__file__).with_name("migrations")
_UPGRADE_LOCK = 7_201_104  # PostgreSQL advisory lock id: one replica migrates, the others wait


class LedgerError(Exception):
    """A ledger problem the user can act on; its message is shown as is, without a traceback."""


def engine_for(url: str) -> Engine:
    """An engine for `url`, with SQLite set up for concurrent readers and enforced foreign keys."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise LedgerError(
            f"DATABASE_URL is not a database URL: {url!r} "
            "(expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB)"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise LedgerError(
            f"DATABASE_URL names an unsupported database {parsed.get_backend_name()!r}: "
            "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        )
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        engine = create_engine(parsed, pool_pre_ping=True)
    except NoSuchModuleError as exc:
        raise LedgerError(f"DATABASE_URL driver is not installed: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA cache_size=-32768")  # 32 MiB, see docs/decisions.md "Import speed"
    # Deleted rows are overwritten with zeros: a forgotten or deleted message's text must not
    # stay in the file's free pages until they are reused.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["engine"] = engine
    return config


@cache
def head_revision() -> str:
    """The newest migration this code knows (read once per process: Alembic loads every
    migration script to find it)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (the newest); on PostgreSQL one replica at a time."""
    from alembic import command

    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _UPGRADE_LOCK})
                try:
                    command.upgrade(_alembic_config(engine), revision)
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _UPGRADE_LOCK})
        else:
            command.upgrade(_alembic_config(engine), revision)
    except OperationalError as exc:
        raise unreachable(engine, exc) from None


def open_ledger(url: str) -> Engine:
    """An engine whose database is reachable and at the newest schema (upgraded on first use)."""
    engine = engine_for(url)
    try:
        at = current_revision(engine)
    except OperationalError as exc:
        raise unreachable(engine, exc) from None
    if at != head_revision():
        log.info("upgrading ledger schema", extra={"from": at, "to": head_revision()})
        upgrade(engine)
    return engine


def unreachable(engine: Engine, exc: Exception) -> LedgerError:
    """A one-line error for a database that cannot be opened, with the password hidden."""
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    shown = engine.url.render_as_string(hide_password=True)
    return LedgerError(f"cannot open the ledger at {shown}: {reason}")
