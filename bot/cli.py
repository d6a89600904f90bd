"""`friction`: the command line. Each command is small; the work lives in the modules it calls."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from bot import cli_classify
from bot.cli_errors import fail, user_errors
from bot.config import settings
from bot.context import Context, open_context
from bot.export_reader import ExportReader
from bot.ingest import DEFAULT_RESOLUTION_EMOJI
from digests.report import TABLE_HEADERS, build_report, table_rows, to_csv, to_json
from storage.db import open_ledger, upgrade
from storage.hint_queries import HintRate, hint_rate_line, hint_rates
from storage.queries import Window

app = typer.Typer(
    name="friction",
    help="Friction Ledger: turn lab help channels into friction telemetry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the ledger database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.command("classify")(cli_classify.classify)
app.command("eval")(cli_classify.evaluate_file)

DEMO_COHORT = files("bot") / "demo_cohort"

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


def _url(db: str | None) -> str | None:
    if db is None or "://" in db:
        return db
    return f"sqlite:///{db}"


def open_cli_context(db: str | None) -> Context:
    return open_context(settings(), _url(db))


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create or migrate the ledger's tables to the newest schema."""
    with user_errors():
        engine = open_ledger(_url(db) or settings().database_url)
        upgrade(engine)
    typer.echo(f"Ledger at {engine.url.render_as_string(hide_password=True)} is up to date.")


@app.command()
def demo(
    db: Annotated[Path, typer.Option("--db", help="SQLite file to write.")] = Path(
        "friction-demo.db"
    ),
) -> None:
    """Ingest the bundled sample cohort into a SQLite ledger and print its friction report."""
    with user_errors():
        started = time.perf_counter()
        context = open_context(settings(), f"sqlite:///{db}")
        reader = ExportReader(Path(str(DEMO_COHORT)), DEFAULT_RESOLUTION_EMOJI, source="demo")
        counts = context.ingestor.add_many(reader)
        elapsed = time.perf_counter() - started
        typer.echo(
            f"Demo cohort: {sum(counts.values())} messages ingested into {db} in {elapsed:.1f} s "
            f"({counts['stored']} new, {counts['unchanged']} already there; "
            f"{sum(reader.skipped.values())} joins and bot posts skipped).\n"
        )
        with Session(context.engine) as session:
            report = build_report(session, Window())
    _print_table(report)
    typer.echo(f"\nNext: friction report --db {db} --format json")


def _date(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise fail(f"{option} takes a date like 2026-09-07, not {value!r}") from None


@app.command()
def report(
    since: Annotated[str | None, typer.Option(help="First day included (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="First day excluded (YYYY-MM-DD).")] = None,
    channel: Annotated[
        list[str] | None, typer.Option(help="Only these channels (id or name); repeatable.")
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    fixes: Annotated[
        bool,
        typer.Option(
            "--fixes",
            help="Instead: each fix in the range, before against after, as of --until (now).",
        ),
    ] = False,
    fix_window: Annotated[
        int | None,
        typer.Option(min=1, help="With --fixes: weeks on each side at most (default: config)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Print the friction table: incidents, share of friction and downtime per domain."""
    window = Window(_date(since, "--since"), _date(until, "--until"), tuple(channel or ()))
    if fixes:
        if channel:
            raise fail("--fixes measures each fix in its cohort's channels: drop --channel")
        report_fixes(window.since, window.until, fix_window, format.value, db)
        return
    with user_errors():
        context = open_cli_context(db)
        with Session(context.engine) as session:
            result = build_report(session, window)
            hints = hint_rates(session, window)
    if format is Format.json:
        typer.echo(to_json(result, hints))
    elif format is Format.csv:
        typer.echo(to_csv(result), nl=False)
    else:
        _print_table(result)
        _print_hints(hints)


def _print_table(result) -> None:
    """Rich table on a terminal, plain aligned text when piped."""
    rows = table_rows(result)
    console = Console()
    if console.is_terminal:
        table = Table(TABLE_HEADERS[0], title="Friction by root-cause domain")
        for header in TABLE_HEADERS[1:]:
            table.add_column(header, justify="right")
        for row in rows:
            table.add_row(*row, end_section=row[0] == "Total")
        console.print(table)
    else:
        widths = [max(len(r[i]) for r in [TABLE_HEADERS, *rows]) for i in range(len(TABLE_HEADERS))]
        for row in [TABLE_HEADERS, *rows]:
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
            ]
            sys.stdout.write("  ".join(cells).rstrip() + "\n")
    typer.echo(
        f"{result.total_messages} messages, {result.total_incidents} incidents, "
        f"{result.open_incidents} still open, {result.awaiting_triage} awaiting a TA's triage."
    )
    if result.signatures:
        top = ", ".join(f"{s.signature} ({s.incidents})" for s in result.signatures[:5])
        typer.echo(f"Top signatures: {top}")


def _print_hints(rates: list[HintRate]) -> None:
    """How the hints replied in learners' threads were answered, per signature."""
    if rates:
        typer.echo("Hints in threads:")
        for rate in rates:
            typer.echo(f"  {hint_rate_line(rate)}")


# Commands kept in their own modules; they use the helpers above, so they come last.
from bot.cli_digest import alerts_app, digest  # noqa: E402
from bot.cli_fixes import fix_app, report_fixes  # noqa: E402
from bot.cli_history import (  # noqa: E402
    backfill,
    export,
    forget_user_,
    import_,
    retention_app,
)
from bot.cli_learn import reclassify, train  # noqa: E402
from bot.cli_preflight import preflight  # noqa: E402
from bot.cli_run import run, status  # noqa: E402
from bot.cli_tags import tags  # noqa: E402

app.command()(digest)
app.add_typer(alerts_app, name="alerts")
app.command()(tags)
app.command("import")(import_)
app.command()(backfill)
app.command()(export)
app.command("forget-user")(forget_user_)
app.add_typer(retention_app, name="retention")
app.command()(train)
app.command()(reclassify)
app.command()(run)
app.command()(status)
app.command()(preflight)
app.add_typer(fix_app, name="fix")
