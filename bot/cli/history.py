"""`friction import`, `backfill`, `export`, `forget-user`, `retention`: history in and out.

Plain functions with Typer annotations; `bot.cli.main` registers them on the `friction` app.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from slack_sdk.errors import SlackApiError

from bot.cli.errors import fail, user_errors
from bot.cli.options import DbOption, open_cli_context, parse_date
from bot.cli.run import HistoryTier
from bot.config import ConfigError
from bot.history.backfill import backfill as read_history
from bot.history.forget import apply_retention, forget_user
from bot.history.importer import import_export
from bot.ingest.ingestor import ts_time
from bot.slack.app import web_client
from bot.slack.conversations import TIERS

ChannelOption = Annotated[
    list[str] | None,
    typer.Option("--channel", "-c", help="Only this channel (name or id); repeatable."),
]


def import_(
    export: Annotated[Path, typer.Argument(help="A Slack export: its .zip or its folder.")],
    channel: ChannelOption = None,
    db: DbOption = None,
) -> None:
    """Import a Slack workspace export through the same path as live capture (re-runs are safe).

    Exits 1 when some day file could not be read (each is named); the rest is imported.
    """
    with user_errors():
        context = open_cli_context(db)
        result = import_export(context, export, channel)
    outcomes = result.outcomes
    typer.echo(
        f"Imported {result.messages} messages from {result.files} day files "
        f"({', '.join(result.channels) or 'no channel'}): "
        f"{outcomes['stored']} new, {outcomes['updated']} updated, "
        f"{outcomes['unchanged']} already there."
    )
    typer.echo(f"Incidents in these channels: {result.incidents} ({result.new_incidents} new).")
    typer.echo(f"Skipped {sum(result.skipped.values())} messages{_reasons(result.skipped)}.")
    for problem in result.problems:
        typer.echo(f"Not imported: {problem}", err=True)
    if result.problems:
        raise typer.Exit(1)


def _reasons(counts: Counter[str]) -> str:
    return (": " + ", ".join(f"{n} {why}" for why, n in counts.most_common())) if counts else ""


class ExportFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write (replaced whole).")],
    format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="File format.")
    ] = ExportFormat.parquet,
    db: DbOption = None,
) -> None:
    """Export incidents and messages for a warehouse, partitioned by day (docs/export.md)."""
    from bot.history.export import export_ledger  # here: pyarrow is 35 MB `friction run` spares

    with user_errors():
        context = open_cli_context(db)
        result = export_ledger(context.engine, out, format.value)
    for table, rows in result.rows.items():
        typer.echo(f"{table}: {rows} rows in {result.days[table]} days -> {out / table}/dt=*/")


def forget_user_(
    user_id: Annotated[str, typer.Argument(help="The Slack user id, e.g. U0456LRNR.")],
    db: DbOption = None,
) -> None:
    """Delete everything a person posted and their name on tags; never capture them again."""
    with user_errors():
        context = open_cli_context(db)
        done = forget_user(context, user_id)
    typer.echo(
        f"Forgot {user_id}: {done.messages} messages deleted, {done.incidents} incidents "
        f"went with them, {done.tag_events} tag events no longer name them."
    )


retention_app = typer.Typer(help="Delete old message text, keep the figures.", no_args_is_help=True)


@retention_app.command("apply")
def retention_apply(
    days: Annotated[
        int | None,
        typer.Option(min=1, help=r"Override \[retention] retention_days from the config file."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Delete the text of messages older than the retention period; incidents stay counted."""
    with user_errors():
        context = open_cli_context(db)
        expired = apply_retention(context, days)
    typer.echo(f"Deleted the text of {expired} messages older than the retention period.")


def backfill(
    channel: Annotated[
        str, typer.Option("--channel", "-c", help="The channel id, e.g. C0123HELP.")
    ],
    since: Annotated[
        str | None, typer.Option(help="First day read (YYYY-MM-DD); default: where it left off.")
    ] = None,
    history_tier: Annotated[
        HistoryTier,
        typer.Option(help="Slack's history rate for this app: tier3 (own workspace) or limited."),
    ] = HistoryTier.tier3,
    db: DbOption = None,
) -> None:
    """Read a channel's history and threads through the Web API; an interrupted run resumes."""
    start = parse_date(since, "--since")
    with user_errors():
        context = open_cli_context(db)
        if context.settings.slack_bot_token is None:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: backfill reads history with the bot token"
            )
        client = web_client(context.settings)
        try:
            result = read_history(context, client, channel, TIERS[history_tier], start)
        except SlackApiError as exc:
            raise fail(
                f"Slack refused {exc.response.api_url.rsplit('/', 1)[-1]}: "
                f"{exc.response.get('error')}; what was read is kept, run the same command "
                "again to resume"
            ) from None
    outcomes = result.outcomes
    typer.echo(
        f"{'Resumed and b' if result.resumed else 'B'}ackfilled #{result.name or channel} "
        f"({result.pages} pages): {sum(outcomes.values())} messages, {outcomes['stored']} new, "
        f"{outcomes['updated']} updated, {outcomes['unchanged']} already there."
    )
    typer.echo(f"Skipped {sum(result.skipped.values())} messages{_reasons(result.skipped)}.")
    if result.finished and result.high_water_ts:
        typer.echo(f"Read up to {ts_time(result.high_water_ts):%Y-%m-%d %H:%M} UTC.")
