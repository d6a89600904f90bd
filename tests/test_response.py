"""Time to first response and unanswered threads, on a ledger with known reply times (SQLite and
PostgreSQL): derived on ingest whatever the order, kept right by edits and deletes, aggregated
exactly (median, p90, TA vs learner, waits in course hours, unanswered at the week's end)."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session
from support.learner_text import PASSROLE

from bot.config import ConfigError, Settings, load_file
from bot.context import open_context
from bot.ingest.capture import CapturedMessage
from digests.blocks import digest_blocks
from digests.config import ResponseSettings
from digests.course_hours import CourseHours
from digests.export import digest_json
from digests.model import build_digest
from digests.periods import parse_period
from digests.response import waiting_lines
from storage.models import Incident
from storage.queries import Window
from storage.response_queries import unanswered

TEAM, CHANNEL = "T0123ABCD", "C0123HELP"
ASKER, PEER, TA = "U0456LRNR", "U0457PEER", "U0789TA01"
MONDAY = datetime(2026, 11, 16, tzinfo=UTC)  # week 2026-W47, course timezone UTC
HOURS = CourseHours(ResponseSettings(nudge_after="30m", hours="09:00-18:00"), "UTC")


def ts(at: datetime) -> str:
    return f"{at.timestamp():.6f}"


def root(at: datetime, user: str = ASKER) -> CapturedMessage:
    return CapturedMessage(TEAM, CHANNEL, ts(at), PASSROLE, user_id=user)


def reply(
    at: datetime, root_at: datetime, user: str, text: str = "try the role"
) -> CapturedMessage:
    return CapturedMessage(TEAM, CHANNEL, ts(at), text, user_id=user, thread_ts=ts(root_at))


@pytest.fixture
def context(db_url, tmp_path):
    config = tmp_path / "friction.toml"
    config.write_text(f'[people]\ntas = ["{TA}"]\n')
    return open_context(Settings(FRICTION_SALT="s", FRICTION_CONFIG=str(config)), db_url)


def incident(context, at: datetime) -> Incident:
    with Session(context.engine) as session:
        return session.exec(select(Incident).where(Incident.root_ts == ts(at))).scalar_one()


A = MONDAY + timedelta(hours=10)  # a learner answers after 5 min, a TA after 12
B = MONDAY + timedelta(hours=11)  # a TA answers after 20 min
C = MONDAY + timedelta(hours=12)  # only the asker writes again: unanswered all week
D = MONDAY + timedelta(days=1, hours=17, minutes=50)  # a TA at 18:50: 1 h, 10 min of course time
E = MONDAY - timedelta(days=3)  # the week before: a TA after 10 min
MIN = timedelta(minutes=1)


def known_week() -> list[CapturedMessage]:
    return [
        root(A),
        reply(A + 5 * MIN, A, PEER, "same here"),
        reply(A + 12 * MIN, A, TA),
        root(B),
        reply(B + 20 * MIN, B, TA),
        root(C),
        reply(C + 3 * MIN, C, ASKER, "still failing, anyone?"),
        root(D),
        reply(D + 60 * MIN, D, TA),
        root(E),
        reply(E + 10 * MIN, E, TA),
    ]


def test_first_response_is_the_first_reply_by_someone_else_a_tas_counted_apart(context):
    context.ingestor.add_many(known_week())
    a, b, c = incident(context, A), incident(context, B), incident(context, C)
    assert (a.first_reply_seconds, a.first_reply_by, a.ta_reply_seconds) == (300, "learner", 720)
    assert a.first_reply_at == A + 5 * MIN
    assert (b.first_reply_seconds, b.first_reply_by, b.ta_reply_seconds) == (1200, "ta", 1200)
    assert (c.first_reply_seconds, c.first_reply_by, c.first_reply_at) == (None, None, None)


def test_a_reply_seen_only_through_history_counts_at_its_real_time(context):
    context.ingestor.add(root(A))
    context.ingestor.add(reply(A + 30 * MIN, A, TA))  # live
    # catch-up or an import later brings the earlier learner reply
    context.ingestor.add_many([replace(reply(A + 5 * MIN, A, PEER), source="history")])
    a = incident(context, A)
    assert (a.first_reply_seconds, a.first_reply_by, a.ta_reply_seconds) == (300, "learner", 1800)


def test_deleting_the_first_reply_moves_the_first_response_and_an_edit_keeps_it(context):
    context.ingestor.add_many(known_week())
    context.ingestor.add(reply(A + 5 * MIN, A, PEER, "same here (edited)"))
    assert incident(context, A).first_reply_seconds == 300
    context.ingestor.delete(TEAM, CHANNEL, ts(A + 5 * MIN))
    a = incident(context, A)
    assert (a.first_reply_seconds, a.first_reply_by) == (720, "ta")
    context.ingestor.delete(TEAM, CHANNEL, ts(A + 12 * MIN))
    assert incident(context, A).first_reply_at is None


def test_the_weeks_waiting_figures_are_exact(context):
    context.ingestor.add_many(known_week())
    window = Window(MONDAY, MONDAY + timedelta(weeks=1))
    with Session(context.engine) as session:
        lines = waiting_lines(
            session, window, MONDAY - timedelta(weeks=1), HOURS, MONDAY + timedelta(weeks=2)
        )
    [overall] = [line for line in lines[None] if line.domain is None]
    # first responses 5, 20, 60 min (C never): median 20, p90 (nearest rank 3 of 3) 60
    assert (overall.incidents, overall.by_ta, overall.by_learner) == (4, 2, 1)
    assert (overall.median_minutes, overall.p90_minutes) == (20.0, 60.0)
    assert (overall.ta_median_minutes, overall.ta_p90_minutes) == (20.0, 60.0)
    assert (overall.previous_median_minutes, overall.previous_p90_minutes) == (10.0, 10.0)
    # C waited all week; D's hour after 17:50 was 10 minutes of course time
    assert (overall.waited_over_nudge, overall.unanswered_at_end) == (1, 1)
    assert [line.domain for line in lines[None]] == [None, "iam"]


def test_unanswered_lists_threads_without_a_human_reply_oldest_first(context):
    context.ingestor.add_many([*known_week(), root(A + 2 * MIN, user=PEER)])
    with Session(context.engine) as session:
        waiting = unanswered(session, MONDAY - timedelta(weeks=2))
    assert [w.root_ts for w in waiting] == [ts(A + 2 * MIN), ts(C)]


def test_the_digest_carries_the_waiting_figures_in_json_and_in_slack(context):
    context.ingestor.add_many(known_week())
    with Session(context.engine) as session:
        digest = build_digest(session, parse_period("2026-W47", "UTC"), response=HOURS.settings)
    data = json.loads(digest_json(digest))["overall"]["waiting"][0]
    assert data["median_minutes"] == 20.0 and data["p90_minutes"] == 60.0
    assert (data["waited_over_nudge"], data["unanswered_at_end"]) == (1, 1)
    text = json.dumps(digest_blocks(digest), ensure_ascii=False)
    assert "First response: median 20 min (10 min the week before), p90 60 min" in text
    assert "1 waited over 30m of course time · 1 unanswered at the week's end" in text


def test_course_time_runs_only_in_course_hours():
    paris = CourseHours(ResponseSettings(nudge_after="30m"), "Europe/Paris")
    friday_evening = datetime(2026, 11, 20, 16, 50, tzinfo=UTC)  # 17:50 in Paris
    assert paris.due(friday_evening) == datetime(2026, 11, 23, 8, 20, tzinfo=UTC)  # Mon 09:20
    assert paris.due(datetime(2026, 11, 18, 3, tzinfo=UTC)) == datetime(
        2026, 11, 18, 8, 30, tzinfo=UTC
    )
    assert not paris.is_open(datetime(2026, 11, 21, 10, tzinfo=UTC))  # a Saturday


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ('nudge_after = "soon"', "response.nudge_after"),
        ('hours = "18:00-09:00"', "response.hours"),
        ('days = ["mon", "funday"]', "response.days"),
    ],
)
def test_a_bad_response_setting_is_named(tmp_path, section, named):
    config = tmp_path / "friction.toml"
    config.write_text(f"[response]\n{section}\n")
    with pytest.raises(ConfigError, match=named):
        load_file(config)
