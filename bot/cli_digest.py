"""`friction digest` and `friction alerts`: the weekly digest and spike alerts from the shell.

Plain functions with Typer annotations; `bot/cli.py` registers them on the `friction` app.
"""

from __future__ import annotations

import io
import json
import os
import socket
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from slack_sdk import WebClient
from sqlmodel import Session

from bot.cli import DbOption, fail, open_cli_context, user_errors
from bot.config import Settings
from digests.blocks import digest_blocks
from digests.chart import digest_png
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


alerts_app = typer.Typer(help="Spike alerts: check now, or replay history.", no_args_is_help=True)
