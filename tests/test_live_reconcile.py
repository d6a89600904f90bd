"""Catch-up: what was posted while the bot was away lands once, resumably, within rate limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError
from sqlmodel import Session
from support.fake_slack import FakeSlack, ratelimited
from support.live_harness import Running, running_bot
from support.slack_samples import HELP_CHANNEL, TA

from bot.slack.app import web_client
from bot.slack.conversations import TIERS, Tier
from bot.slack.live import LiveBot
from bot.slack.reconcile import Progress, Reconciler
from storage.ledger import find_channel

FAST = Tier("test", 60_000, 15)  # no pacing in tests, Slack's small pages


@pytest.fixture
def live(fake_slack: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Running]:
    with running_bot(fake_slack, db_url, tmp_path / "spool.db") as running:
        yield running


def reconciler(bot: LiveBot, client=None, tier: Tier = FAST) -> Reconciler:
    return Reconciler(bot.context, client or bot.client, bot.spool, bot.names, tier)


def help_channel(passes: list[Progress]) -> Progress:
    """The help channel's pass (with no watch list, the leads' channel is read too)."""
    return next(p for p in passes if p.channel_id == HELP_CHANNEL)


def posted_while_away(fake: FakeSlack, count: int) -> list[str]:
    """`count` top-level posts, the 5th with a thread of 3 replies and a resolution emoji."""
    stamps = [
        fake.post(HELP_CHANNEL, f"lab {i}: AccessDenied on s3:GetObject")["ts"]
        for i in range(count)
    ]
    for n in range(3):
        stamps.append(fake.post(HELP_CHANNEL, f"try {n}", user=TA, thread_ts=stamps[4])["ts"])
    fake.add_reaction(HELP_CHANNEL, stamps[4], "white_check_mark")
    return sorted(stamps, key=float)


def test_a_pass_brings_in_everything_once_and_moves_the_high_water_mark(
    live: Running, fake_slack: FakeSlack
) -> None:
    stamps = posted_while_away(fake_slack, 40)
    progress = help_channel(reconciler(live.bot).run())
    assert progress.finished and progress.pages == 3 and progress.messages == 43
    live.settle()
    assert [m.ts for m in live.messages()] == stamps
    assert {m.source for m in live.messages()} == {"history"}
    resolved = [i for i in live.incidents() if i.root_ts == stamps[4]]
    assert resolved and resolved[0].resolved_by == "reaction"
    [channel] = [c for c in live.channels() if c.channel_id == HELP_CHANNEL]
    assert float(channel.high_water_ts) >= float(stamps[-1])

    later = fake_slack.post(HELP_CHANNEL, "Lambda: Task timed out after 3.00 seconds")["ts"]
    again = help_channel(reconciler(live.bot).run())
    assert again.messages == 1  # only what came after the high-water mark is read
    live.settle()
    assert [m.ts for m in live.messages()] == [*stamps, later]


def test_a_pass_reads_new_replies_in_open_threads_older_than_its_window(
    live: Running, fake_slack: FakeSlack
) -> None:
    root = fake_slack.post(HELP_CHANNEL, "lab 4: AccessDenied on s3:GetObject")["ts"]
    help_channel(reconciler(live.bot).run())
    live.settle()  # the incident is in the ledger
    fake_slack.post(HELP_CHANNEL, "thanks, that worked!", thread_ts=root)
    again = help_channel(reconciler(live.bot).run())
    assert again.messages == 1  # history from the high-water mark lists no thread root
    live.settle()
    [incident] = [i for i in live.incidents() if i.root_ts == root]
    assert incident.resolved_by == "asker"


def test_a_pass_cut_short_resumes_from_its_checkpoint(live: Running, fake_slack: FakeSlack) -> None:
    stamps = posted_while_away(fake_slack, 40)
    fake_slack.rate_limit("conversations.history", calls=2, per=3600)
    impatient = fake_slack.client()  # no retry handler: the 429 ends the pass
    with pytest.raises(SlackApiError):
        reconciler(live.bot, impatient).run()
    with Session(live.engine) as session:
        channel = find_channel(session, "T0123ABCD", HELP_CHANNEL)
        assert channel is None or channel.high_water_ts is None  # not moved by a partial pass
    cursor = fake_slack.calls_to("conversations.history")[1]
    fake_slack.rate_limit("conversations.history", calls=100, per=1)
    progress = help_channel(reconciler(live.bot).run())
    assert progress.finished and progress.pages == 3
    resumed = fake_slack.calls_to("conversations.history")[3]
    assert resumed.params.get("cursor") and resumed.params.get("latest") == cursor.params["latest"]
    live.settle()
    assert [m.ts for m in live.messages()] == stamps
    history_bodies = live.bot.spool.counts().done
    assert history_bodies == 43  # no page was read twice


def test_a_429_is_waited_out_with_retry_after(live: Running, fake_slack: FakeSlack) -> None:
    stamps = posted_while_away(fake_slack, 5)
    fake_slack.queue("conversations.history", ratelimited(retry_after=1))
    progress = help_channel(reconciler(live.bot, web_client(live.bot.context.settings)).run())
    assert progress.finished
    limited, retried = fake_slack.calls_to("conversations.history")[:2]
    assert retried.at - limited.at >= 1.0
    live.settle()
    assert [m.ts for m in live.messages()] == stamps


def test_unwatched_and_non_member_channels_are_not_read(
    fake_slack: FakeSlack, tmp_path: Path, sqlite_url: str
) -> None:
    fake_slack.add_channel("C0RANDOM", "random")
    fake_slack.add_channel("C0HELPX", "help-lab9", member=False)
    config = tmp_path / "friction.toml"
    config.write_text('[channels]\nwatch = ["help-*"]\n')
    url = sqlite_url
    with running_bot(fake_slack, url, tmp_path / "s.db", config) as live:
        assert [(p.channel_id) for p in reconciler(live.bot).run()] == [HELP_CHANNEL]
    read = {c.params["channel"] for c in fake_slack.calls_to("conversations.history")}
    assert read == {HELP_CHANNEL}


def test_the_eta_follows_the_tier() -> None:
    progress = Progress("C1", oldest="1000.0", latest="2000.0", reached="1750.0", calls=2)
    # a quarter of the window took 2 calls: 6 more calls, one a minute at the limited tier
    assert progress.eta_seconds(TIERS["limited"]) == 360
    assert progress.eta_seconds(TIERS["tier3"]) == pytest.approx(7.2)


def test_catch_up_spools_history_with_secrets_already_redacted(
    live: Running, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """What catch-up reads waits in the spool like a live event: nothing the ledger would not
    hold may touch the disk there either."""
    live.bot.writer.stop()  # everything read stays in the spool, as while the database is down
    fake_slack.post(HELP_CHANNEL, "lab 4: AccessDenied with my key AKIAIOSFODNN7EXAMPLE")
    assert help_channel(reconciler(live.bot).run()).messages == 1
    spooled = b"".join(p.read_bytes() for p in tmp_path.glob("spool.db*"))
    assert b"lab 4: AccessDenied" in spooled
    assert b"AKIAIOSFODNN7EXAMPLE" not in spooled
