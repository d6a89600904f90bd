"""What every `friction` command shares: the `--db` option, output formats, dates, the context.

The command modules import this one and nothing of each other's, and `bot.cli.main` imports
them all, so the command line has no import cycle.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer
from sqlalchemy import Engine

from bot.cli.errors import fail
from bot.config import settings
from bot.context import Context, open_context
from storage.db import open_ledger

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="A SQLite file or database URL (default: DATABASE_URL, else friction.db)."
    ),
]


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def db_url(db: str | None) -> str | None:
    """`--db` as a database URL: a bare path is a SQLite file."""
    if db is None or "://" in db:
        return db
    return f"sqlite:///{db}"


def open_cli_context(db: str | None) -> Context:
    return open_context(settings(), db_url(db))


def open_cli_ledger(db: str | None) -> Engine:
    """The ledger alone, for commands that need no classifier: they start faster, and a
    `[classifier] model` that cannot be loaded does not stop them."""
    return open_ledger(db_url(db) or settings().database_url)


def parse_date(value: str | None, option: str) -> datetime | None:
    """A `--since`/`--until` day as an aware UTC datetime; a malformed one is the user's error."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise fail(f"{option} takes a date like 2026-09-07, not {value!r}") from None
