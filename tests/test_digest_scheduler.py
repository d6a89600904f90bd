"""The scheduler `friction run` starts: the weekly cron, catch-up at start, one post per period
even with two replicas against one PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlmodel import Session, select
from support.digest_ledgers import ledger_context
from support.fake_slack import LEADS_CHANNEL

from digests.config import AlertSettings, DigestSettings
from digests.runs import due_period
from digests.scheduler import build_scheduler, weekly_trigger
from storage.db import open_ledger
from storage.models import DigestRun


def test_the_weekly_digest_runs_monday_at_nine_in_the_course_timezone():
    trigger = weekly_trigger(DigestSettings(timezone="Europe/Paris"))
    tuesday = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    fire = trigger.get_next_fire_time(None, tuesday)
    assert fire.isoformat() == "2026-11-30T09:00:00+01:00"
    late = weekly_trigger(DigestSettings(timezone="America/New_York", day="fri", time="16:30"))
    assert late.get_next_fire_time(None, tuesday).isoformat() == "2026-11-27T16:30:00-05:00"


def test_jobs_follow_the_configuration(fake_slack, sqlite_url):
    engine = open_ledger(sqlite_url)
    client = fake_slack.client()
    none = build_scheduler(engine, client, DigestSettings(), AlertSettings(), claimer="a")
    assert none.get_jobs() == []  # no channel: nothing to post to
    config = DigestSettings(channel=LEADS_CHANNEL)
    both = build_scheduler(engine, client, config, AlertSettings(check_minutes=3), claimer="a")
    assert {job.id for job in both.get_jobs()} == {"digest-weekly", "digest-due", "spike-check"}
    assert both.get_job("spike-check").trigger.interval.total_seconds() == 180


def test_two_schedulers_on_one_postgresql_post_one_digest(pg_url, fake_slack, tmp_path):
    ledger_context(pg_url, tmp_path).engine.dispose()
    config = DigestSettings(channel=LEADS_CHANNEL)
    replicas = [
        build_scheduler(
            open_ledger(pg_url),
            fake_slack.client(),
            config,
            AlertSettings(domains=[]),
            claimer=f"replica-{i}",
        )
        for i in range(2)
    ]
    for scheduler in replicas:
        scheduler.start()  # each catches up the digest now due, at once
    try:
        fake_slack.wait_for_call("files.completeUploadExternal", timeout=30)
        time.sleep(1.0)  # room for a second post, if there were going to be one
    finally:
        for scheduler in replicas:
            scheduler.shutdown(wait=True)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    with Session(open_ledger(pg_url)) as session:
        (run,) = session.exec(select(DigestRun)).all()
    assert run.period == due_period(config, datetime.now(UTC)).key
    assert run.posted_at is not None and run.claimed_by in ("replica-0", "replica-1")
