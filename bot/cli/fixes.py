"""`friction fix add|list|remove` and `friction report --fixes`: fixes and whether they worked.

Typer commands and a plain function; `bot.cli.main` registers them on the `friction` app.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from sqlmodel import Session

from bot.cli.errors import user_errors
from bot.cli.options import DbOption, open_cli_ledger
from bot.config import settings
from bot.remediation.fixes import NewFix, heading, record_fix, unrecord_fix
from digests.fix_effect import FixEffect, fix_effects
from storage.fixes import list_fixes

fix_app = typer.Typer(
    help="Fixes: record what was changed to stop a failure, list them, remove a mistake.",
    no_args_is_help=True,
)


EFFECT_COLUMNS = (
    "fix_id",
    "target",
    "cohort",
    "at",
    "window_days",
    "per_learner",
    "before_incidents",
    "after_incidents",
    "before_learners",
    "after_learners",
    "before_rate",
    "after_rate",
    "ratio",
    "low",
    "high",
    "before_median_minutes",
    "after_median_minutes",
    "verdict",
)


@fix_app.command("add")
def fix_add(
    target: Annotated[str, typer.Argument(help="A signature (iam.passrole) or a domain (iam).")],
    description: Annotated[str, typer.Argument(help='What changed, e.g. "Lab 3 creates LabRole".')],
    at: Annotated[
        str | None,
        typer.Option(help="When it took effect: 2026-10-01 or 2026-10-01T14:30 (UTC); now."),
    ] = None,
    cohort: Annotated[
        str | None, typer.Option(help="Only this cohort's channels (default: every cohort).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Record a fix, so `friction report --fixes` and the digest measure its effect."""
    with user_errors():
        row = record_fix(open_cli_ledger(db), NewFix(target, description, at, cohort), None)
    typer.echo(f"Recorded fix {heading(row)}")


@fix_app.command("list")
def fix_list(db: DbOption = None) -> None:
    """Every fix recorded, newest first (`friction report --fixes` shows their effect)."""
    with user_errors(), Session(open_cli_ledger(db)) as session:
        rows = list_fixes(session)
    if not rows:
        typer.echo("No fixes recorded yet: friction fix add <signature|domain> 'what changed'")
    for row in rows:
        by = (row.fix.created_by_hash or "")[:8] or "command line"
        typer.echo(f"{heading(row)}  (by {by}, {row.fix.created_at:%Y-%m-%d %H:%M} UTC)")


@fix_app.command("remove")
def fix_remove(
    number: Annotated[str, typer.Argument(help="The fix's number, as `fix list` shows it.")],
    db: DbOption = None,
) -> None:
    """Remove a fix recorded by mistake: the report and the digest stop measuring it."""
    with user_errors():
        row = unrecord_fix(open_cli_ledger(db), number, None)
    typer.echo(f"Removed fix {heading(row)}")


def report_fixes(
    since: datetime | None, until: datetime | None, window_weeks: int | None, format: str, db
) -> None:
    """Each fix that took effect in [since, until), before against after, as of `until`."""
    with user_errors():
        weeks = window_weeks or settings().file.digest.fix_window_weeks
        with Session(open_cli_ledger(db)) as session:
            effects = fix_effects(
                session, until or datetime.now(UTC), timedelta(weeks=weeks), since
            )
    if format == "json":
        typer.echo(json.dumps([asdict(e) for e in effects], indent=2, default=datetime.isoformat))
    elif format == "csv":
        typer.echo(_csv(effects), nl=False)
    elif not effects:
        typer.echo("No fixes recorded in that range: friction fix add <signature|domain> ...")
    else:
        for e in effects:
            typer.echo(f"{e.heading}\n    {e.summary}")


def _csv(effects: list[FixEffect]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EFFECT_COLUMNS)
    for e in effects:
        rate = "per_learner" if e.per_learner else "per_week"
        writer.writerow(
            (
                e.fix_id,
                e.target,
                e.cohort or "",
                e.at.isoformat(),
                e.window_days,
                e.per_learner,
                e.before.incidents,
                e.after.incidents,
                e.before.learners,
                e.after.learners,
                getattr(e.before, rate),
                getattr(e.after, rate),
                e.ratio,
                e.low,
                e.high,
                e.before.median_minutes_to_resolve,
                e.after.median_minutes_to_resolve,
                e.verdict,
            )
        )
    return out.getvalue()
