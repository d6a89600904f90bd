"""Posting the weekly digest exactly once: claim, build, post, record.

`post_due_digest` is what the scheduler calls, on the weekly cron, at start (a run missed while
the bot was down is caught up) and every few minutes (a failed post is retried). Whoever calls
it, however often and from however many replicas, a period's digest reaches a channel once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session

from digests.config import DAYS, DigestSettings, ResponseSettings, parse_clock
from digests.model import archive_link, build_digest
from digests.periods import Period
from digests.slack import SLACK_FAILURES, permalinks, post_digest
from storage.claims import claim_digest, digest_run, finish_digest, release_digest

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # a claim older than this, never finished, was lost with its holder


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """`posted`, `failed`, `already posted` or `claimed elsewhere`, with the message ts."""

    status: str
    period: str
    channel: str
    message_ts: str | None = None
    error: str | None = None


def due_period(config: DigestSettings, now: datetime) -> Period:
    """The last complete week before the most recent scheduled posting time at or before `now`."""
    zone = ZoneInfo(config.timezone)
    local = now.astimezone(zone)
    at = parse_clock(config.time)
    days_back = (local.weekday() - DAYS.index(config.day)) % 7
    scheduled = datetime.combine(local.date() - timedelta(days=days_back), at, zone)
    if scheduled > local:
        scheduled -= timedelta(days=7)
    return Period.week_of(scheduled.date() - timedelta(days=7), config.timezone)


def post_due_digest(
    engine: Engine,
    client: WebClient,
    config: DigestSettings,
    claimer: str,
    now: datetime | None,
    response: ResponseSettings | None = None,
) -> RunOutcome | None:
    """Post the digest now due to the configured channel, unless it already went out."""
    if config.channel is None:
        return None
    now = now or datetime.now(UTC)
    period = due_period(config, now)
    return post_digest_once(engine, client, config, period, claimer, now, response=response)


def post_digest_once(
    engine: Engine,
    client: WebClient,
    config: DigestSettings,
    period: Period,
    claimer: str,
    now: datetime | None = None,
    channel: str | None = None,
    response: ResponseSettings | None = None,
) -> RunOutcome:
    """Claim (period, channel) in `digest_run`, then post; a failure releases the claim."""
    channel = channel or config.channel
    if channel is None:
        raise ValueError("no channel to post to: pass --channel or set [digest] channel")
    now = now or datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        run = claim_digest(session, period.key, channel, claimer, now, LEASE)
        if run is None:
            existing = digest_run(session, period.key, channel)
            posted = existing is not None and existing.posted_at is not None
            return RunOutcome(
                "already posted" if posted else "claimed elsewhere",
                period.key,
                channel,
                existing.message_ts if existing else None,
            )
        try:
            digest = build_digest(
                session,
                period,
                top=config.top_signatures,
                examples=config.examples,
                link=permalinks(client, archive_link(config.workspace_url)),
                fix_window_weeks=config.fix_window_weeks,
                response=response,
            )
            ts, note = post_digest(client, channel, digest)
        except SLACK_FAILURES as exc:
            release_digest(session, run, str(exc))
            log.warning(
                "digest post failed; it will be retried",
                extra={"period": period.key, "channel": channel, "error": str(exc)},
            )
            return RunOutcome("failed", period.key, channel, error=str(exc))
        finish_digest(session, run, ts, datetime.now(UTC), note)
    log.info("digest posted", extra={"period": period.key, "channel": channel, "ts": ts})
    return RunOutcome("posted", period.key, channel, ts, note)
