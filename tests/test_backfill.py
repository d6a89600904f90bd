"""`friction backfill`: history and threads over real HTTP from the fake Slack, resumable."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlmodel import Session
from support.demo_ledger import COHORT
from support.fake_slack import FakeSlack, error, ratelimited
from support.friction_cli import friction
from support.learner_text import PASSROLE
from support.slack_samples import EXPORT

from bot.config import Settings
from bot.context import open_context
from bot.history.backfill import backfill
from bot.history.importer import import_export
from bot.slack.app import web_client
from bot.slack.conversations import Tier
from storage.ledger import meta_value
from storage.models import Channel, Incident, Message

LAB4 = "C0DEMOLAB4"
FAST = Tier("test", 60_000, 15)  # no pacing; Slack's small pages, so everything pages


def day_files(folder: Path) -> list[dict]:
    return [m for day in sorted(folder.glob("*.json")) for m in json.loads(day.read_text())]


@pytest.fixture
def slack(fake_slack: FakeSlack) -> FakeSlack:
    """The fake Slack holding the demo cohort's #help-lab4, paged 15 messages at a time."""
    fake_slack.add_channel(LAB4, "help-lab4")
    fake_slack.load_history(LAB4, day_files(COHORT / "help-lab4"))
    fake_slack.history_page_max = 15
    return fake_slack


@pytest.fixture
def context(db_url):
    return open_context(Settings(FRICTION_SALT="salt"), db_url)


def client(fake: FakeSlack):
    return web_client(Settings(SLACK_API_URL=fake.api_url, SLACK_BOT_TOKEN=fake.bot_token))


def ledger(context) -> tuple[set[str], dict[str, str]]:
    """(every stored ts, root ts -> signature of each incident)."""
    with Session(context.engine) as session:
        stamps = set(session.execute(select(Message.ts)).scalars())
        incidents = dict(session.execute(select(Incident.root_ts, Incident.signature_id)).all())
    return stamps, incidents


def test_backfill_stores_what_importing_the_export_stores(slack, context, new_sqlite_ledger):
    result = backfill(context, client(slack), LAB4, FAST)
    imported = open_context(Settings(), new_sqlite_ledger("imported.db"))
    import_export(imported, COHORT, ["help-lab4"])
    assert ledger(context) == ledger(imported)
    assert result.finished and result.outcomes["stored"] == len(ledger(context)[0])
    assert result.pages > 5  # it paged
    replies = slack.calls_to("conversations.replies")
    assert replies and all(int(c.params["limit"]) == 15 for c in replies)
    with Session(context.engine) as session:
        channel = session.execute(select(Channel)).scalars().one()
        assert channel.high_water_ts == result.high_water_ts is not None
        assert meta_value(session, f"backfill:{channel.id}") is None  # no checkpoint left


def test_an_interrupted_backfill_resumes_where_it_stopped(slack, context):
    calls = itertools.count(1)
    builtin = slack._conversations_history

    def fails_on_the_fourth_page(call):
        return error("internal_error") if next(calls) == 4 else builtin(call)

    slack.on("conversations.history", fails_on_the_fourth_page)
    with pytest.raises(SlackApiError, match="internal_error"):
        backfill(context, client(slack), LAB4, FAST)
    with Session(context.engine) as session:
        channel = session.execute(select(Channel)).scalars().one()
        saved = json.loads(meta_value(session, f"backfill:{channel.id}"))
        assert channel.high_water_ts is None  # the window was not read to its end
    assert saved["pages"] == 3 and saved["cursor"]
    stored_before = len(ledger(context)[0])
    assert stored_before > 0

    again = backfill(context, client(slack), LAB4, FAST)
    history = slack.calls_to("conversations.history")
    assert again.resumed and again.finished
    assert history[4].params["cursor"] == saved["cursor"]  # picked up at the saved page
    assert history[4].params["latest"] == saved["latest"]
    assert len(history) == again.pages + 1  # each page asked once, plus the failed call
    assert again.outcomes["stored"] == len(ledger(context)[0]) - stored_before


def test_a_rate_limited_call_waits_for_retry_after(slack, context):
    slack.queue("conversations.history", ratelimited(1))
    result = backfill(context, client(slack), LAB4, FAST)
    first, second = slack.calls_to("conversations.history")[:2]
    assert second.at - first.at >= 1.0
    assert result.finished and result.outcomes["stored"] > 0


def test_since_reads_only_threads_started_from_that_day(slack, context):
    since = datetime(2026, 10, 1, tzinfo=UTC)
    backfill(context, client(slack), LAB4, FAST, since=since)
    with Session(context.engine) as session:
        roots = session.execute(select(Message.thread_ts, Message.ts)).all()
    assert roots and all(float(thread or ts) > since.timestamp() for thread, ts in roots)
    assert slack.calls_to("conversations.history")[0].params["oldest"] == f"{since.timestamp():.6f}"


def test_a_second_run_reads_only_what_is_new(slack, context):
    first = backfill(context, client(slack), LAB4, FAST)
    slack.post(LAB4, PASSROLE, user="U0DEMOL001")
    second = backfill(context, client(slack), LAB4, FAST)
    assert slack.calls_to("conversations.history")[first.pages].params["oldest"] == (
        first.high_water_ts
    )
    assert second.outcomes == {"stored": 1}
    assert "iam.passrole" in ledger(context)[1].values()


def test_a_later_window_reads_new_replies_in_older_open_threads(fake_slack, context):
    """The window's history lists a thread under its root only: a reply posted after the
    first run, in a thread started before the second run's window, must still arrive."""
    fake_slack.add_channel(LAB4, "help-lab4")
    now = datetime.now(UTC).timestamp()
    open_root = fake_slack.post(LAB4, PASSROLE, user="U0DEMOL001", ts=f"{now - 7200:.6f}")
    old_root = fake_slack.post(LAB4, PASSROLE, user="U0DEMOL002", ts=f"{now - 30 * 86400:.6f}")
    backfill(
        context, client(fake_slack), LAB4, FAST, since=datetime.fromtimestamp(now - 40 * 86400, UTC)
    )
    for root, ago in ((open_root, 60), (old_root, 30)):
        reply = {"user": root["user"], "ts": f"{now - ago:.6f}", "thread_ts": root["ts"]}
        fake_slack.post(LAB4, "thanks, that worked!", **reply)
    result = backfill(
        context, client(fake_slack), LAB4, FAST, since=datetime.fromtimestamp(now - 3600, UTC)
    )
    assert result.finished and result.outcomes == {"stored": 1}
    with Session(context.engine) as session:
        resolved = dict(session.execute(select(Incident.root_ts, Incident.resolved_by)).all())
    # The open incident of two hours ago is resolved by its asker's reply; one opened 30 days
    # ago (older than OPEN_THREAD_DAYS) is not re-read.
    assert resolved == {open_root["ts"]: "asker", old_root["ts"]: None}


def test_backfill_from_the_command_line(fake_slack, tmp_path, sqlite_ledger):
    messages = day_files(EXPORT / "help-lab4")
    fake_slack.load_history("C0123HELP", messages)
    joins = sum(m.get("subtype") == "channel_join" for m in messages)
    kept = len(messages) - joins
    db = sqlite_ledger
    env = fake_slack.environ(socket_mode=False)
    result = friction("backfill", "--channel", "C0123HELP", "--db", str(db), env=env)
    assert result.returncode == 0, result.stderr
    assert f"Backfilled #help-lab4 (1 pages): {kept} messages, {kept} new" in result.stdout
    assert f"Skipped {joins} messages: {joins} subtype channel_join" in result.stdout
    report = json.loads(friction("report", "--db", str(db), "-f", "json").stdout)
    assert report["total_messages"] == kept and report["total_incidents"] >= 1
    again = friction("backfill", "--channel", "C0123HELP", "--db", str(db), env=env)
    assert "Backfilled #help-lab4 (1 pages): 0 messages" in again.stdout  # from the mark on


def test_slack_refusing_is_a_precise_error(fake_slack, tmp_path, sqlite_ledger):
    fake_slack.add_channel("C0999OUT", "not-invited", member=False)
    env = fake_slack.environ(socket_mode=False)
    db = str(sqlite_ledger)
    result = friction("backfill", "-c", "C0999OUT", "--db", db, env=env)
    assert result.returncode == 2
    assert "Slack refused conversations.history: not_in_channel" in result.stderr
    no_token = friction("backfill", "-c", "C0123HELP", "--db", db, env={"SLACK_BOT_TOKEN": None})
    assert no_token.returncode == 2 and "SLACK_BOT_TOKEN is not set" in no_token.stderr
    not_an_id = friction("backfill", "-c", "#help-lab4", "--db", db, env=env)
    assert not_an_id.returncode == 2 and "is not a channel id" in not_an_id.stderr
