"""`friction tags`: the audit trail of what TAs changed, newest first.

A plain function with Typer annotations; `bot.cli.main` registers it on the `friction` app.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from sqlmodel import Session

from bot.cli.errors import user_errors
from bot.cli.options import DbOption, open_cli_context, parse_date
from storage.tagging import TagRow, recent_tags

HEADERS = ("When (UTC)", "Action", "Thread", "Change", "By", "Note")


def tags(
    since: Annotated[
        str | None, typer.Option(help="First day included (YYYY-MM-DD); default: 7 days ago.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 500,
    db: DbOption = None,
) -> None:
    """List recent tags, dismissals, resolutions and re-openings by TAs."""
    start = parse_date(since, "--since") or datetime.now(UTC) - timedelta(days=7)
    with user_errors():
        context = open_cli_context(db)
        with Session(context.engine) as session:
            rows = recent_tags(session, start, limit)
    if not rows:
        typer.echo(f"No TA changes since {start:%Y-%m-%d %H:%M} UTC.")
        return
    lines = [HEADERS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADERS) - 1)]
    for line in lines:
        cells = [c.ljust(w) for c, w in zip(line, widths, strict=False)] + [line[-1]]
        typer.echo("  ".join(cells).rstrip())


def _cells(row: TagRow) -> tuple[str, ...]:
    event = row.event
    thread = f"{row.channel_id} {row.root_ts}" if row.channel_id else "(thread deleted)"
    if event.action == "tag":
        change = f"{event.old_signature_id or 'not friction'} -> {event.new_signature_id}"
    elif event.action == "dismiss":
        change = f"{event.old_signature_id} -> not friction"
    else:
        change = row.signature_id or ""
    return (
        f"{event.at:%Y-%m-%d %H:%M}",
        event.action,
        thread,
        change,
        (event.actor_hash or "")[:8],
        event.note or "",
    )
