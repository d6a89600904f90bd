"""The TAs' queue over signed Slack requests and the fake Web API: App Home and `/friction stats`
list the threads waiting for a human with links, oldest first; a nudge is posted once per
thread to the TAs' channel, in course hours only, never for a thread someone already answered,
and updated in place when the thread gets its answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from support.fake_slack import error
from support.learner_text import UPLOAD_FAILED
from support.slack_samples import (
    HELP_CHANNEL,
    LEADS_CHANNEL,
    TA,
    event_body,
)
from support.ta_app import Bot

from bot.slack.app import web_client
from bot.ta.links import WorkspaceUrl
from bot.ta.nudges import Nudger
from digests.config import DAYS, ResponseSettings
from digests.course_hours import CourseHours

PEER = "U0457PEER"
NOW = datetime.now(UTC)


def post_at(bot: Bot, at: datetime, text: str, user: str, thread_ts: str | None = None) -> str:
    """A message posted at `at` (in Slack's history and delivered as a signed event)."""
    return bot.post(text, user=user, ts=f"{at.timestamp():.6f}", thread_ts=thread_ts)


def nudger(bot: Bot, clock: datetime, *, days: list[str] | None = None) -> Nudger:
    settings = ResponseSettings(
        nudge_after="30m", hours="00:00-24:00", days=days or list(DAYS), nudge_channel=LEADS_CHANNEL
    )
    return Nudger(
        bot.context.engine,
        web_client(bot.context.settings),
        CourseHours(settings, "UTC"),
        WorkspaceUrl("https://cloudlabs.slack.com/"),
        clock=lambda: clock,
    )


def two_threads(bot: Bot) -> tuple[str, str]:
    """One thread waiting for an hour, one a TA answered after 10 minutes; a fresh one."""
    waiting = post_at(bot, NOW - timedelta(hours=1), UPLOAD_FAILED, PEER)
    answered = post_at(bot, NOW - timedelta(minutes=50), UPLOAD_FAILED, "U0458LRNR")
    post_at(bot, NOW - timedelta(minutes=40), "try another name", TA, thread_ts=answered)
    post_at(bot, NOW - timedelta(minutes=5), UPLOAD_FAILED, "U0459LRNR")  # not due yet
    return waiting, answered


def test_a_nudge_is_posted_once_and_updated_when_a_ta_answers(bot, fake_slack):
    waiting, answered = two_threads(bot)
    assert nudger(bot, NOW).run().posted == 1
    [post] = fake_slack.calls_to("chat.postMessage")
    assert post.params["channel"] == LEADS_CHANNEL
    assert f"archives/{HELP_CHANNEL}/p{waiting.replace('.', '')}" in post.params["text"]
    assert "Waiting 60 min for a human" in post.params["text"]
    assert answered.replace(".", "") not in post.params["text"]  # a TA answered that one
    # one line per thread in the TAs' channel: no preview of the thread or of what it links
    assert (post.params["unfurl_links"], post.params["unfurl_media"]) == (False, False)

    assert nudger(bot, NOW + timedelta(minutes=1)).run().posted == 0  # never twice
    post_at(bot, NOW + timedelta(minutes=2), "the bucket name is global", TA, thread_ts=waiting)
    run = nudger(bot, NOW + timedelta(minutes=3)).run()
    assert (run.posted, run.updated) == (0, 1)
    [update] = fake_slack.calls_to("chat.update")
    assert update.params["ts"] == fake_slack.messages(LEADS_CHANNEL)[-1]["ts"]
    assert "Answered by a TA after 62 min" in update.params["text"]
    assert nudger(bot, NOW + timedelta(minutes=4)).run().updated == 0  # updated once
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_nothing_is_posted_outside_course_hours(bot, fake_slack):
    two_threads(bot)
    closed = [day for day in DAYS if day != DAYS[NOW.weekday()]]
    assert nudger(bot, NOW, days=closed).run().posted == 0
    assert fake_slack.calls_to("chat.postMessage") == []


def test_a_learners_reply_answers_the_thread(bot, fake_slack):
    root = post_at(bot, NOW - timedelta(hours=1), UPLOAD_FAILED, PEER)
    post_at(bot, NOW - timedelta(minutes=55), "same for me, restart the lab", "U0458LRNR", root)
    assert nudger(bot, NOW).run().posted == 0


def test_app_home_and_stats_list_the_waiting_threads_oldest_first(bot, fake_slack):
    waiting, _ = two_threads(bot)
    older = post_at(bot, NOW - timedelta(hours=2), UPLOAD_FAILED, "U0460LRNR")
    assert bot.sender.event(event_body("app_home_opened", user=TA)).status == 200
    fake_slack.wait_for_call("views.publish")
    home = json.dumps(fake_slack.home_views[TA]["blocks"])
    stats = json.dumps(bot.command("stats")["blocks"])
    for text in (home, stats):
        assert "*Waiting for a human* (2): no reply after 30m of course time" in text
        first, second = (text.index(ts.replace(".", "")) for ts in (older, waiting))
        assert first < second


def test_a_failed_post_is_one_warning_and_posted_on_the_next_run(bot, fake_slack, caplog):
    two_threads(bot)
    fake_slack.queue("chat.postMessage", error("not_in_channel"))
    assert nudger(bot, NOW).run().posted == 0
    [warning] = [r for r in caplog.records if r.name == "bot.ta.nudges"]
    assert warning.levelname == "WARNING" and warning.exc_info is None
    assert nudger(bot, NOW + timedelta(minutes=1)).run().posted == 1
    assert len(fake_slack.messages(LEADS_CHANNEL)) == 1
