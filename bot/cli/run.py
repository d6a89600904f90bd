"""`friction run` (the live bot) and `friction status` (how the running bot is doing).

Plain functions with Typer annotations; `bot.cli.main` registers them on the `friction` app.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot import logs
from bot.cli.digest import claimer_name
from bot.cli.errors import fail, user_errors
from bot.cli.options import DbOption, open_cli_context
from bot.config import ConfigError, settings
from bot.logs import log_event
from bot.slack.conversations import TIERS
from bot.slack.live import LiveBot, check_credentials
from bot.slack.reconcile import Reconciler
from bot.slack.schedule import schedule
from bot.slack.spool import DEFAULT_PATH, Spool

log = logging.getLogger("bot.run")

SpoolOption = Annotated[
    Path,
    typer.Option(
        "--spool",
        envvar="FRICTION_SPOOL",
        help="The local spool file where events wait for the ledger (FRICTION_SPOOL).",
    ),
]


class HistoryTier(StrEnum):
    tier3 = "tier3"
    limited = "limited"


def run(
    port: Annotated[int, typer.Option(help="HTTP mode: the port for /slack/events.")] = 3000,
    host: Annotated[str, typer.Option(help="HTTP mode: the address to listen on.")] = "0.0.0.0",
    spool: SpoolOption = Path(DEFAULT_PATH),
    reconcile_every: Annotated[
        int, typer.Option(help="Minutes between catch-up passes (0: only at start).")
    ] = 30,
    history_tier: Annotated[
        HistoryTier,
        typer.Option(help="Slack's history rate for this app: tier3 (own workspace) or limited."),
    ] = HistoryTier.tier3,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    db: DbOption = None,
) -> None:
    """Run the bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode on --port.

    The same process posts the weekly digest and spike alerts, catches up on history and
    applies retention, on schedule (docs/slack-setup.md walks through the set-up).
    """
    logs.configure(log_level)
    with user_errors():
        socket_mode = check_credentials(settings())
        context = open_cli_context(db)
        context.ingestor.classifier  # noqa: B018  (built now: the first event need not wait)
        bot = _live_bot(context, spool)
    reconciler = Reconciler(context, bot.client, bot.spool, bot.names, TIERS[history_tier])
    scheduler = schedule(bot, reconciler, reconcile_every, claimer_name())
    bot.start_writer()
    stop = threading.Event()
    try:
        if socket_mode:
            app_token = context.settings.slack_app_token.get_secret_value()  # type: ignore[union-attr]
            bot.connect_socket_mode(app_token)
            scheduler.start()
            log_event(log, "run.started", mode="socket_mode", spool=spool)
            _stop_on_signals(stop)
            stop.wait()
        else:
            server = bot.serve_http(host=host, port=port)
            scheduler.start()
            log_event(
                log,
                "run.started",
                mode="http",
                host=host,
                port=server.port,
                spool=spool,
                events=f"http://{host}:{server.port}/slack/events",
            )
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            server.serve_forever()
    finally:
        reconciler.stop.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)
        bot.close()
        log_event(log, "run.stopped", pending=Spool(spool).counts().pending)


def _live_bot(context: Any, spool: Path) -> LiveBot:
    """The bot, its identity checked with Slack (auth.test) before anything listens."""
    try:
        return LiveBot(context, spool_path=spool)
    except BoltError as exc:  # Bolt's auth.test at start-up, wrapping Slack's answer
        cause = exc.__context__
        error = cause.response.get("error") if isinstance(cause, SlackApiError) else exc
        raise ConfigError(
            f"Slack refused SLACK_BOT_TOKEN: {error} (asked {context.settings.slack_api_url})"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot reach Slack at {context.settings.slack_api_url}: {exc}"
        ) from None


def _stop_on_signals(stop: threading.Event) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())


def status(spool: SpoolOption = Path(DEFAULT_PATH)) -> None:
    """Say how the running bot is: spool, ledger writer, Socket Mode, catch-up. Exit 1 if unwell."""
    if not spool.exists():
        raise fail(f"no spool at {spool}: run this where `friction run` runs, or pass --spool")
    with user_errors(), contextlib.closing(Spool(spool)) as store:
        states, counts = store.statuses(), store.counts()
    now = time.time()
    problems = 0
    oldest = (
        f", oldest waiting {_age(now - counts.oldest_pending)}" if counts.oldest_pending else ""
    )
    typer.echo(f"spool {spool}: {counts.pending} pending, {counts.failed} failed{oldest}")
    problems += counts.failed > 0
    writer, updated = states.get("writer", (None, 0.0))
    if writer is None:
        typer.echo("writer: never ran")
        problems += 1
    else:
        stale = now - updated > 120
        typer.echo(
            f"writer: ledger {writer['database']} since {_when(writer['since'])}, "
            f"{writer['applied']} applied, {writer['failed']} failed"
            + (
                f" (last seen {_age(now - updated)} ago: is `friction run` running?)"
                if stale
                else ""
            )
        )
        problems += stale or writer["database"] != "ok"
    socket, updated = states.get("socket_mode", (None, 0.0))
    if socket is not None:
        heard = _age(now - socket["last_heard"]) if socket["last_heard"] else "never"
        last = (
            f", last {_when(socket['last_reconnect'])}: {socket['last_reconnect_reason']}"
            if socket["last_reconnect"]
            else ""
        )
        deaf = socket.get("longest_deaf_seconds", 0.0)
        typer.echo(
            f"socket mode: {'connected' if socket['connected'] else 'DISCONNECTED'}, "
            f"Slack last heard {heard} ago, {socket['reconnects']} reconnects{last}"
            + (f", longest deaf {deaf:.1f}s" if deaf else "")
        )
        problems += not socket["connected"] or now - updated > 120
    for name, (progress, _updated) in sorted(states.items()):
        if name.startswith("reconcile:"):
            typer.echo(_reconcile_line(progress))
    if problems:
        raise typer.Exit(1)


def _reconcile_line(progress: dict[str, Any]) -> str:
    label = f"#{progress['name']}" if progress.get("name") else progress["channel_id"]
    reached = _when(float(progress["reached"])) if progress.get("reached") else "nothing yet"
    if progress["finished"]:
        return f"catch-up {label}: complete up to {_when(float(progress['latest']))}"
    eta = progress.get("eta_seconds")
    rest = f", about {_age(eta)} to go at {progress['tier']}" if eta is not None else ""
    return (
        f"catch-up {label}: {progress['pages']} pages, {progress['messages']} messages, "
        f"back to {reached}{rest}"
    )


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _age(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}min"
    return f"{seconds / 3600:.1f}h"
