"""The one scheduler `friction run` starts: the due digest posted once, even across a restart,
catch-up, and retention deleting old text, all beside live capture."""

from __future__ import annotations

import threading
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlmodel import Session, select
from support.fake_slack import LEADS_CHANNEL, FakeSlack
from support.live_harness import Running, running_bot
from support.slack_samples import message_event, wrap_event

from bot.slack.conversations import Tier
from bot.slack.reconcile import Reconciler
from bot.slack.schedule import schedule
from storage.models import DigestRun

FAST = Tier("test", 60_000, 15)
AT_START = {"digest-due", "reconcile", "retention"}  # the jobs that run as the bot starts


def start_as_friction_run(live: Running, claimer: str) -> None:
    """Build and start the scheduler as `friction run` does; stop once its start-up jobs ran."""
    bot = live.bot
    reconciler = Reconciler(bot.context, bot.client, bot.spool, bot.names, FAST)
    scheduler = schedule(bot, reconciler, 30, claimer)
    assert {job.id for job in scheduler.get_jobs()} == AT_START | {"digest-weekly", "spike-check"}
    ran: dict[str, bool] = {}
    all_ran = threading.Event()

    def record(event: JobExecutionEvent) -> None:
        ran[event.job_id] = event.exception is None
        if ran.keys() >= AT_START:
            all_ran.set()

    scheduler.add_listener(record, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    try:
        assert all_ran.wait(60), f"only {sorted(ran)} ran"
    finally:
        reconciler.stop.set()
        scheduler.shutdown(wait=True)
    assert all(ran[job] for job in AT_START), ran


def test_the_due_digest_is_posted_once_across_a_restart_and_old_text_expires(
    fake_slack: FakeSlack, tmp_path: Path, sqlite_url: str
) -> None:
    config = tmp_path / "friction.toml"
    config.write_text(f'[digest]\nchannel = "{LEADS_CHANNEL}"\n[retention]\nretention_days = 30\n')
    ledger = sqlite_url
    with running_bot(fake_slack, ledger, tmp_path / "spool.db", config) as live:
        old = message_event("IAM: not authorized to perform iam:PassRole", "1731330000.001100")
        assert live.sender.event(wrap_event(old)).status == 200  # two years ago
        live.settle()
        assert live.messages()[0].text is not None

        start_as_friction_run(live, "run-1")
        assert live.messages()[0].text is None  # past [retention] retention_days
        start_as_friction_run(live, "run-2")  # a restart in the same week

        posts = fake_slack.calls_to("chat.postMessage")
        assert [call.params["channel"] for call in posts] == [LEADS_CHANNEL]
        with Session(live.engine) as session:
            (run,) = session.exec(select(DigestRun)).all()
        [posted] = [m for m in fake_slack.messages(LEADS_CHANNEL) if m["ts"] == run.message_ts]
        assert run.claimed_by == "run-1" and "Friction digest" in posted["text"]
