"""The one scheduler `friction run` starts: digest, spike checks, catch-up, nudges, retention.

`digests.scheduler` supplies the weekly digest and the spike checks; the live bot adds its own
jobs to the same APScheduler, so one process, one thread pool, runs every periodic task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler

from bot.context import Context
from bot.history.forget import apply_retention
from bot.logs import log_event
from bot.slack.live import LiveBot
from bot.slack.reconcile import Reconciler
from bot.ta.links import WorkspaceUrl
from bot.ta.nudges import Nudger
from bot.ta.queue import course_hours
from digests.scheduler import build_scheduler

log = logging.getLogger("bot.run")


def schedule(
    bot: LiveBot, reconciler: Reconciler, reconcile_every: int, claimer: str
) -> BackgroundScheduler:
    """The process's one scheduler, not started: the weekly digest and spike checks
    (`digests.scheduler`), catch-up at start and every `reconcile_every` minutes, and, when
    `[retention]` is set, retention at start and daily; with `[response] nudge_channel`, the
    nudges about unanswered threads every minute."""
    context = bot.context
    config = context.settings.file
    scheduler = build_scheduler(
        context.engine,
        bot.client,
        config.digest,
        config.alerts,
        claimer=claimer,
        response=config.response,
    )
    now = datetime.now(UTC)
    every = {"minutes": reconcile_every} if reconcile_every > 0 else None
    _add_job(scheduler, "reconcile", reconciler.run, now, every)
    if config.response.nudge_channel:
        links = WorkspaceUrl(config.digest.workspace_url)
        nudger = Nudger(context.engine, bot.client, course_hours(config), links)
        _add_job(scheduler, "nudges", nudger.run, now, {"minutes": 1})
    if config.retention.retention_days:
        _add_job(scheduler, "retention", partial(_retention, context), now, {"hours": 24})
    return scheduler


def _add_job(
    scheduler: BackgroundScheduler,
    name: str,
    work: Callable[[], object],
    first: datetime,
    every: dict[str, int] | None,
) -> None:
    """Run `work` at `first`, then at the `every` interval if given, one run at a time."""
    job = partial(_logged, name, work)
    if every is None:
        scheduler.add_job(job, "date", id=name, name=name, run_date=first)
    else:
        scheduler.add_job(
            job,
            "interval",
            id=name,
            name=name,
            next_run_time=first,
            max_instances=1,
            coalesce=True,
            **every,
        )


def _logged(name: str, work: Callable[[], object]) -> None:
    """A scheduled job's failure is one log line; its next run tries again."""
    try:
        work()
    except Exception as exc:  # Slack or the ledger away: the next run picks up
        log_event(log, f"{name}.failed", logging.WARNING, error=f"{type(exc).__name__}: {exc}")


def _retention(context: Context) -> None:
    log_event(log, "retention.applied", messages=apply_retention(context))
