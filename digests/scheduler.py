"""The jobs `friction run` schedules: the weekly digest and the spike checks (APScheduler 3).

`build_scheduler` returns a BackgroundScheduler that is not started yet, so the caller adds its
own jobs (the live-capture reconcile) with `scheduler.add_job(...)` before `start()`.

The digest job runs on the configured cron (default Monday 09:00, course time) and, as
`digest-due`, at start and every few minutes: at start it catches up a digest missed while the
bot was down, later it retries a failed post. Claims in `digest_run` make every extra call a
no-op once the digest is out, on this replica and on the others.
"""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from slack_sdk import WebClient
from sqlalchemy import Engine

from digests.alerts import AlertChecker
from digests.config import AlertSettings, DigestSettings, ResponseSettings, parse_clock
from digests.model import archive_link
from digests.runs import post_due_digest
from digests.slack import permalinks

DUE_EVERY_MINUTES = 10  # catch-up and retry cadence of the digest


def weekly_trigger(config: DigestSettings) -> CronTrigger:
    at = parse_clock(config.time)
    return CronTrigger(
        day_of_week=config.day, hour=at.hour, minute=at.minute, timezone=config.timezone
    )


def build_scheduler(
    engine: Engine,
    client: WebClient,
    digest: DigestSettings,
    alerts: AlertSettings,
    *,
    claimer: str,
    response: ResponseSettings | None = None,
) -> BackgroundScheduler:
    """A scheduler holding the digest jobs (when a digest channel is set) and the spike check
    (when an alert channel is set, falling back to the digest's)."""
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"coalesce": True})
    if digest.channel is not None:
        args = (engine, client, digest, claimer, None, response)
        scheduler.add_job(
            post_due_digest,
            weekly_trigger(digest),
            args=args,
            id="digest-weekly",
            misfire_grace_time=3600,
        )
        scheduler.add_job(
            post_due_digest,
            "interval",
            args=args,
            id="digest-due",
            minutes=DUE_EVERY_MINUTES,
            next_run_time=datetime.now(UTC),
            max_instances=1,
        )
    channel = alerts.channel or digest.channel
    if channel is not None and alerts.domains:
        checker = AlertChecker(
            engine,
            alerts,
            channel=channel,
            timezone=digest.timezone,
            client=client,
            link=permalinks(client, archive_link(digest.workspace_url)),
        )
        scheduler.add_job(
            checker.check,
            "interval",
            id="spike-check",
            minutes=alerts.check_minutes,
            max_instances=1,
        )
    return scheduler
