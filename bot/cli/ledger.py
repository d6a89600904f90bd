"""The ledger's own commands: `friction db upgrade`, `friction demo` and `friction report`."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, select

from bot.cli.errors import fail, user_errors
from bot.cli.fixes import report_fixes
from bot.cli.options import DbOption, Format, open_cli_context, open_cli_ledger, parse_date
from bot.config import settings
from bot.context import open_context
from bot.history.export_reader import ExportReader
from bot.ingest.ingestor import DEFAULT_RESOLUTION_EMOJI
from bot.ta.queue import course_hours
from digests.periods import Period
from digests.report import TABLE_HEADERS, build_report, fixed_width, table_rows, to_csv, to_json
from digests.response import WaitingLine, waiting_lines, waiting_text
from storage.hint_queries import HintRate, hint_rate_line, hint_rates
from storage.models import Incident
from storage.queries import Window

DEMO_COHORT = files("bot") / "demo_cohort"
# What "0.0" hours and a "-" median mean, printed under the table (they puzzle first readers).
HOURS_NOTE = (
    "Hours blocked and median: resolved incidents with a known time only; "
    '0.0 and "-" mean there was none\n'
    "(all still open, or resolved with no time known, as a ✅ seen only in an export)."
)


def db_upgrade(db: DbOption = None) -> None:
    """Create or migrate the ledger's tables to the newest schema."""
    with user_errors():
        engine = open_cli_ledger(db)  # opening the ledger brings it to the newest schema
    typer.echo(f"Ledger at {engine.url.render_as_string(hide_password=True)} is up to date.")


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
            week = busiest_week(session, context.settings.file.digest.timezone)
    _print_table(report)
    typer.echo(f"\nNext: friction report --db {db} --format json")
    if week is not None:  # the cohort's dates are in the past: "last week" would be empty
        typer.echo(f"      friction digest --db {db} --period {week}   (its busiest week)")


def busiest_week(session: Session, timezone: str) -> str | None:
    """The ISO week (`2026-W40`) in which the most incidents opened, the latest of a tie."""
    opened = session.exec(select(Incident.opened_at).where(Incident.dismissed.is_(False)))
    weeks = Counter(
        Period.week_of(
            at.replace(tzinfo=at.tzinfo or UTC).astimezone(ZoneInfo(timezone)).date(), timezone
        ).key
        for at in opened
    )
    return max(weeks, key=lambda key: (weeks[key], key), default=None)


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
    window = Window(
        parse_date(since, "--since"), parse_date(until, "--until"), tuple(channel or ())
    )
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
            course = course_hours(context.settings.file)
            now = datetime.now(UTC)
            waiting = waiting_lines(session, window, None, course, now).get(None, [])
    if format is Format.json:
        typer.echo(to_json(result, hints, waiting))
    elif format is Format.csv:
        typer.echo(to_csv(result), nl=False)
    else:
        _print_table(result)
        _print_hints(hints)
        _print_waiting(waiting, result, course.settings.nudge_after)


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
        typer.echo(fixed_width([TABLE_HEADERS, *rows]))
    typer.echo(HOURS_NOTE)
    typer.echo(
        f"{result.total_messages} messages, {result.total_incidents} incidents, "
        f"{result.open_incidents} still open, {result.awaiting_triage} awaiting a TA's triage."
    )
    if result.signatures:
        top = ", ".join(f"{s.signature} ({s.incidents})" for s in result.signatures[:5])
        typer.echo(f"Top signatures: {top}")


def _print_waiting(lines: list[WaitingLine], result, nudge_after: str) -> None:
    """Who waited for a human: the summary sentence, then per domain (docs/response.md)."""
    if lines and lines[0].incidents:
        labels = {d.domain: d.label for d in result.domains}
        typer.echo(waiting_text(lines, labels, nudge_after, weekly=False, markup=False))


def _print_hints(rates: list[HintRate]) -> None:
    """How the hints replied in learners' threads were answered, per signature."""
    if rates:
        typer.echo("Hints in threads:")
        for rate in rates:
            typer.echo(f"  {hint_rate_line(rate)}")
