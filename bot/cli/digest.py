"""`friction digest` and `friction alerts`: the weekly digest and spike alerts from the shell.

Plain functions with Typer annotations; `bot.cli.main` registers them on the `friction` app.
"""

from __future__ import annotations

import io
import json
import os
import socket
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from slack_sdk import WebClient
from sqlmodel import Session

from bot.cli.errors import fail, user_errors
from bot.cli.options import DbOption, open_cli_context
from bot.config import Settings
from digests.alerts import AlertChecker, backtest, observations, silence
from digests.blocks import digest_blocks
from digests.chart import digest_png
from digests.config import parse_duration
from digests.export import digest_csv, digest_json
from digests.model import archive_link, build_digest
from digests.periods import parse_period
from digests.runs import post_digest_once
from digests.terminal import print_digest


class DigestFormat(StrEnum):
    blocks = "blocks"
    table = "table"
    json = "json"
    csv = "csv"
    png = "png"


def slack_client(settings: Settings) -> WebClient:
    """A Web API client with the bot token, on SLACK_API_URL."""
    if settings.slack_bot_token is None:
        raise fail("SLACK_BOT_TOKEN is not set: posting needs the bot's token")
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )


def claimer_name() -> str:
    """Who holds a claim, for whoever reads `digest_run`: this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def digest(
    period: Annotated[
        str, typer.Option(help="last-week, this-week or an ISO week like 2026-W47.")
    ] = "last-week",
    channel: Annotated[
        str | None, typer.Option(help="Channel to post to (default: digest.channel in the config).")
    ] = None,
    format: Annotated[
        DigestFormat, typer.Option("--format", "-f", help="Output format.")
    ] = DigestFormat.table,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file.")] = None,
    post: Annotated[
        bool, typer.Option("--post", help="Post it to Slack (once per period and channel).")
    ] = False,
    db: DbOption = None,
) -> None:
    """The weekly friction digest: per domain and cohort, with change against the week before."""
    with user_errors():
        context = open_cli_context(db)
        config = context.settings.file.digest
        chosen = parse_period(period, config.timezone)
        if post:
            outcome = post_digest_once(
                context.engine,
                slack_client(context.settings),
                config,
                chosen,
                claimer_name(),
                channel=channel,
                response=context.settings.file.response,
            )
            _report_post(outcome)
            return
        with Session(context.engine) as session:
            result = build_digest(
                session,
                chosen,
                top=config.top_signatures,
                examples=config.examples,
                link=archive_link(config.workspace_url),
                fix_window_weeks=config.fix_window_weeks,
                response=context.settings.file.response,
            )
    if format is DigestFormat.png:
        target = out or Path(f"friction-{result.period}.png")
        target.write_bytes(digest_png(result))
        typer.echo(f"Chart of {result.period} written to {target}")
        return
    console = Console()
    if format is DigestFormat.table and out is None and console.is_terminal:
        print_digest(result, console)
        return
    text = {
        DigestFormat.blocks: lambda: json.dumps({"blocks": digest_blocks(result)}, indent=2),
        DigestFormat.json: lambda: digest_json(result),
        DigestFormat.csv: lambda: digest_csv(result),
        DigestFormat.table: lambda: _table_text(result),
    }[format]()
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        out.write_text(text)
        typer.echo(f"Digest of {result.period} written to {out}")


def _table_text(result) -> str:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    print_digest(result, console)
    return console.file.getvalue()


def _report_post(outcome) -> None:
    if outcome.status == "failed":
        raise fail(f"posting the {outcome.period} digest failed: {outcome.error} (run it again)")
    where = f"{outcome.channel} (ts {outcome.message_ts})"
    message = {
        "posted": f"Posted the {outcome.period} digest to {where}.",
        "already posted": f"The {outcome.period} digest was already posted to {where}.",
        "claimed elsewhere": (
            f"Another process is posting the {outcome.period} digest to {outcome.channel} now."
        ),
    }[outcome.status]
    typer.echo(message)
    if outcome.error:
        typer.echo(f"Warning: {outcome.error}", err=True)


alerts_app = typer.Typer(
    help="Spike alerts: check now, replay history, silence.", no_args_is_help=True
)


def _moment(value: str | None, option: str) -> datetime | None:
    """An ISO date or time (UTC unless it says otherwise)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(
            f"{option} takes a date like 2026-09-07 or 2026-09-07T14:30, not {value!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@alerts_app.command("check")
def alerts_check(
    post: Annotated[bool, typer.Option("--post", help="Post and record what fires.")] = False,
    at: Annotated[
        str | None, typer.Option(help="Check as of this moment (ISO, UTC); default now.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Run one spike check: counts against baseline, and what fires or resolves."""
    moment = _moment(at, "--at")
    with user_errors():
        context = open_cli_context(db)
        file = context.settings.file
        checker = AlertChecker(
            context.engine,
            file.alerts,
            channel=file.alerts.channel or file.digest.channel,
            timezone=file.digest.timezone,
            client=slack_client(context.settings) if post else None,
            link=archive_link(file.digest.workspace_url),
        )
        if post and checker.channel is None:
            raise fail("no channel for alerts: set [alerts] channel or [digest] channel")
        with Session(context.engine) as session:
            found = observations(session, file.alerts, moment or datetime.now(UTC))
        events = checker.check(moment)
    for obs in found:
        typer.echo(
            f"{obs.domain:<10} {obs.cohort or '(no cohort)':<14} {obs.count:>4} new "
            f"(baseline {obs.baseline:.1f}, p={obs.p:.2g})"
        )
    for event in events:
        typer.echo(event.describe())
    if not post and events:
        typer.echo("(dry run: nothing posted or recorded; add --post)")


@alerts_app.command("backtest")
def alerts_backtest(
    since: Annotated[str, typer.Option(help="Replay from this date (YYYY-MM-DD).")],
    until: Annotated[str | None, typer.Option(help="Up to this date (default: now).")] = None,
    db: DbOption = None,
) -> None:
    """Replay the ledger's history through the spike rule and list when it would have fired."""
    start, end = _moment(since, "--since"), _moment(until, "--until") or datetime.now(UTC)
    with user_errors():
        context = open_cli_context(db)
        fired = 0
        for event in backtest(context.engine, context.settings.file.alerts, start, end):
            fired += event.action == "fire"
            typer.echo(event.describe())
    typer.echo(
        f"{fired} alert{'' if fired == 1 else 's'} would have fired "
        f"from {start:%Y-%m-%d} to {end:%Y-%m-%d %H:%M}."
    )


@alerts_app.command("silence")
def alerts_silence(
    domain: Annotated[str, typer.Argument(help="A domain id, such as iam.")],
    duration: Annotated[str, typer.Argument(help="How long: 30m, 2h, 1d.")],
    cohort: Annotated[str | None, typer.Option(help="Only this cohort.")] = None,
    db: DbOption = None,
) -> None:
    """Mute a domain's spike alerts for a while (what `/friction silence iam 2h` does)."""
    with user_errors():
        length = parse_duration(duration)
        context = open_cli_context(db)
        with Session(context.engine) as session:
            ends = silence(session, domain, length, cohort=cohort)
    typer.echo(f"{domain} alerts silenced until {ends:%Y-%m-%d %H:%M} UTC.")
