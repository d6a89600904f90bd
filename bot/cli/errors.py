"""How every `friction` command reports a mistake the user can fix: one line, exit code 2.

Its own module so that command modules imported by `bot/cli/main.py` can use it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from bot.config import ConfigError
from storage.db import LedgerError


def fail(message: str) -> typer.Exit:
    """Print a one-line error for a user mistake and exit with code 2 (no traceback)."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(2)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can fix into one line on stderr and exit code 2."""
    try:
        yield
    except (LedgerError, ConfigError, ValueError) as exc:
        raise fail(str(exc)) from None
