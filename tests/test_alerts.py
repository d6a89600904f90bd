"""Spike alerts: the rule, the lifecycle against a hand-made storm, and what Slack is told.

The storm: in cohort lab4 one IAM incident at 14:00 in each of the four previous weeks (a
baseline of 1 for the hour), then 8 PassRole incidents from 14:00 to 14:35, one every five
minutes. Checks every five minutes count the hour before the check:

    14:25  5 incidents  p = 0.0037  not yet significant (p must be < 0.001)
    14:30  6            p = 0.0006  hot: pending
    14:35  7            hot again: firing, announced once
    14:40 .. 15:25      still elevated (3 or more, far above the quiet hour after): quiet
    15:30  2            (the hour from 14:30) cool: 1 of 2
    15:35  1            cool: 2 of 2, resolved, said once in the alert's thread
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session
from support.digest_ledgers import S3_ACCESS_DENIED, Writer, ledger_context
from support.fake_slack import LEADS_CHANNEL, error
from support.friction_cli import friction
from support.learner_text import PASSROLE
from support.slack_samples import LEAD, LEARNER

from digests.alerts import AlertChecker, backtest, silence, silenced_until, silences
from digests.config import AlertSettings, Inhibition, parse_duration
from digests.spikes import poisson_upper_tail
from storage.db import open_ledger

T0 = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
CONFIG = AlertSettings(domains=["iam", "s3"], min_count=5, for_checks=2, resolve_checks=2)


def checks(start: timedelta, end: timedelta, every: timedelta = 5 * MIN):
    at = T0 + start
    while at <= T0 + end:
        yield at
        at += every


def write_storm(url, folder):
    context = ledger_context(url, folder)
    w = Writer(context)
    for week in range(1, 5):
        w.incident("C1", T0 - timedelta(weeks=week), PASSROLE, 10 * MIN)
    for i in range(8):
        w.incident("C1", T0 + i * 5 * MIN, PASSROLE)
    context.engine.dispose()


@pytest.fixture
def storm(seeded, tmp_path):
    url, _ = seeded(write_storm)
    return ledger_context(url, tmp_path)


def _checker(context, fake_slack=None, config=CONFIG, fresh_engine=False) -> AlertChecker:
    engine = (
        open_ledger(str(context.engine.url.render_as_string(hide_password=False)))
        if fresh_engine
        else context.engine
    )
    return AlertChecker(
        engine,
        config,
        channel=LEADS_CHANNEL,
        client=fake_slack.client() if fake_slack else None,
    )


def _run(checker: AlertChecker, moments) -> list:
    return [event for at in moments for event in checker.check(at)]


def _top_level(fake_slack):
    return [m for m in fake_slack.messages(LEADS_CHANNEL) if m.get("thread_ts") in (None, m["ts"])]


def _replies(fake_slack):
    return [
        m for m in fake_slack.messages(LEADS_CHANNEL) if m.get("thread_ts") not in (None, m["ts"])
    ]


def test_the_poisson_tail_matches_hand_computed_values():
    assert poisson_upper_tail(5, 1.0) == pytest.approx(0.0036598, rel=1e-4)
    assert poisson_upper_tail(6, 1.0) == pytest.approx(0.0005942, rel=1e-4)
    assert poisson_upper_tail(0, 3.0) == 1.0
    assert poisson_upper_tail(1, 0.0) == 0.0
    assert poisson_upper_tail(400, 300.0) < 1e-7  # large counts do not overflow


def test_a_storm_fires_once_stays_quiet_and_resolves_in_its_thread(storm, fake_slack):
    events = _run(_checker(storm, fake_slack), checks(0 * MIN, 60 * MIN))
    assert [(e.at - T0, e.action, e.domain, e.cohort) for e in events] == [
        (30 * MIN, "pending", "iam", "lab4"),
        (35 * MIN, "fire", "iam", "lab4"),
    ]
    (alert,) = _top_level(fake_slack)
    assert "Identity & Access (IAM) spike in cohort lab4" in alert["text"]
    assert "7 new incidents in the last 60 min (usual for this time: 1.0)" in alert["text"]
    assert "`iam.passrole`" in alert["text"] and "Grant iam:PassRole" in alert["text"]
    assert alert["text"].count("|thread ") == 2
    assert "/friction silence iam 2h" in alert["text"]

    # A restart: a new process, a new engine, the state read back from alert_state.
    later = _run(_checker(storm, fake_slack, fresh_engine=True), checks(65 * MIN, 120 * MIN))
    assert [(e.at - T0, e.action) for e in later] == [(95 * MIN, "resolve")]
    assert len(_top_level(fake_slack)) == 1
    (reply,) = _replies(fake_slack)
    assert reply["thread_ts"] == alert["ts"]
    assert reply["text"].startswith(":white_check_mark: Resolved:")


@pytest.mark.parametrize(("for_checks", "fires"), [(3, False), (2, True)])
def test_a_burst_must_hold_for_consecutive_checks(storm, fake_slack, for_checks, fires):
    # Six incidents within a minute in lab5; a 10-minute window holds them for two checks.
    w = Writer(storm)
    for i in range(6):
        w.incident("C2", T0 + 10 * i * timedelta(seconds=1), PASSROLE)
    short = CONFIG.model_copy(update={"window_minutes": 10, "for_checks": for_checks})
    events = _run(_checker(storm, fake_slack, short), checks(0 * MIN, 60 * MIN))
    lab5 = [(e.at - T0, e.action) for e in events if e.cohort == "lab5"]
    if fires:
        assert lab5 == [(5 * MIN, "pending"), (10 * MIN, "fire"), (20 * MIN, "resolve")]
        assert len(_top_level(fake_slack)) == 1 and len(_replies(fake_slack)) == 1
    else:
        assert lab5 == [(5 * MIN, "pending")]
        assert fake_slack.calls_to("chat.postMessage") == []


def test_a_firing_alert_is_repeated_after_the_repeat_interval(storm, fake_slack):
    often = CONFIG.model_copy(update={"repeat_hours": 0.25})
    events = _run(_checker(storm, fake_slack, often), checks(0 * MIN, 90 * MIN))
    assert [(e.at - T0, e.action) for e in events if e.action in ("fire", "repeat")] == [
        (35 * MIN, "fire"),
        (50 * MIN, "repeat"),
        (65 * MIN, "repeat"),
        (80 * MIN, "repeat"),
    ]
    replies = _replies(fake_slack)
    assert len(replies) == 3 and all(r["text"].startswith("Still firing") for r in replies)


# Replicas share a PostgreSQL ledger; one process serves a SQLite file.
@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_two_replicas_checking_at_once_post_one_alert(storm, fake_slack):
    replicas = [_checker(storm, fake_slack, fresh_engine=True) for _ in range(2)]
    for at in checks(0 * MIN, 45 * MIN):
        start = threading.Barrier(2)

        def check(replica, at=at, start=start):
            start.wait()
            replica.check(at)

        threads = [threading.Thread(target=check, args=(r,)) for r in replicas]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_a_failed_alert_post_is_retried_at_the_next_check(storm, fake_slack):
    fake_slack.queue("chat.postMessage", error("ratelimited"))
    events = _run(_checker(storm, fake_slack), checks(30 * MIN, 45 * MIN))
    assert [(e.at - T0, e.action) for e in events] == [(30 * MIN, "pending"), (40 * MIN, "fire")]
    assert len(_top_level(fake_slack)) == 1


def test_a_silence_mutes_the_domain_until_it_ends(storm, fake_slack):
    with Session(storm.engine) as session:
        ends = silence(session, "iam", parse_duration("40m"), now=T0)
        assert ends == T0 + 40 * MIN
        assert silenced_until(session, "iam", "lab4", T0 + 39 * MIN) == ends
        assert silenced_until(session, "iam", "lab4", T0 + 40 * MIN) is None
        with pytest.raises(ValueError, match=r"no domain 'iamm'; known domains: .*iam"):
            silence(session, "iamm", parse_duration("2h"), now=T0)
    events = _run(_checker(storm, fake_slack), checks(30 * MIN, 50 * MIN))
    assert [(e.at - T0, e.action) for e in events] == [
        (30 * MIN, "pending"),
        (35 * MIN, "muted"),
        (40 * MIN, "fire"),  # the silence ended while it still fires
    ]
    assert len(_top_level(fake_slack)) == 1


def test_quiet_hours_hold_the_alert_back(storm, fake_slack):
    quiet = CONFIG.model_copy(update={"quiet_hours": "13:00-16:00"})
    events = _run(_checker(storm, fake_slack, quiet), checks(0 * MIN, 120 * MIN))
    assert [e.action for e in events] == ["pending", "muted", "resolve"]
    assert fake_slack.calls_to("chat.postMessage") == []


def test_an_iam_storm_inhibits_s3_access_denied_in_the_same_cohort(storm, fake_slack):
    w = Writer(storm)
    for i in range(8):
        w.incident("C1", T0 + i * 5 * MIN + MIN, S3_ACCESS_DENIED)  # lab4: explained by IAM
        w.incident("C2", T0 + i * 5 * MIN + MIN, S3_ACCESS_DENIED)  # lab5: on its own
    events = _run(_checker(storm, fake_slack), checks(0 * MIN, 40 * MIN))
    fired = [(e.action, e.domain, e.cohort) for e in events if e.action in ("fire", "muted")]
    assert sorted(fired) == [
        ("fire", "iam", "lab4"),
        ("fire", "s3", "lab5"),
        ("muted", "s3", "lab4"),
    ]
    texts = [m["text"] for m in _top_level(fake_slack)]
    assert len(texts) == 2
    assert any(
        "Storage Services (S3) spike in cohort lab5" in t and "s3.access_denied" in t for t in texts
    )


def test_without_the_inhibition_rule_both_fire(storm, fake_slack):
    w = Writer(storm)
    for i in range(8):
        w.incident("C1", T0 + i * 5 * MIN + MIN, S3_ACCESS_DENIED)
    plain = CONFIG.model_copy(update={"inhibit": [Inhibition(source="iam", targets=["ec2"])]})
    events = _run(_checker(storm, fake_slack, plain), checks(0 * MIN, 40 * MIN))
    assert {(e.domain, e.cohort) for e in events if e.action == "fire"} == {
        ("iam", "lab4"),
        ("s3", "lab4"),
    }


def test_backtest_lists_when_the_rule_would_have_fired(storm):
    events = list(backtest(storm.engine, CONFIG, T0 - 60 * MIN, T0 + 3 * 60 * MIN))
    assert [(e.at - T0, e.action, e.domain, e.cohort) for e in events] == [
        (35 * MIN, "fire", "iam", "lab4"),
        (95 * MIN, "resolve", "iam", "lab4"),
    ]


def test_friction_alerts_backtest_and_check(storm, tmp_path):
    url = str(storm.engine.url.render_as_string(hide_password=False))
    env = {"FRICTION_SALT": "s"}
    result = friction(
        "alerts", "backtest", "--since", "2026-11-18", "--until", "2026-11-19", "--db", url, env=env
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if " UTC " in line]
    assert (
        lines[0].startswith("2026-11-18 14:35 UTC  fire")
        and "iam" in lines[0]
        and "lab4" in lines[0]
    )
    assert lines[1].startswith("2026-11-18 15:35 UTC  resolve")
    assert "1 alert would have fired" in result.stdout

    dry = friction("alerts", "check", "--at", "2026-11-18T14:35", "--db", url, env=env)
    assert dry.returncode == 0, dry.stderr
    assert "iam" in dry.stdout and "lab4" in dry.stdout and "7" in dry.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("alerts", "backtest", "--since", "last week"), "--since takes a date like 2026-09-07"),
        (("alerts", "silence", "iam", "forever"), "expected a duration like 30m, 2h or 1d"),
    ],
)
def test_alert_command_mistakes_are_one_line(tmp_path, args, message):
    result = friction(*args, "--db", str(tmp_path / "x.db"), env={"FRICTION_SALT": "s"})
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_quiet_hours_across_midnight_in_the_course_timezone_end_with_the_announcement(
    storm, fake_slack
):
    # Kiritimati is UTC+14: the storm's 14:00 UTC is 04:00 there, in quiet hours until 04:45.
    quiet = CONFIG.model_copy(update={"quiet_hours": "22:00-04:45"})
    checker = _checker(storm, fake_slack, quiet)
    checker.zone = ZoneInfo("Pacific/Kiritimati")
    events = _run(checker, checks(0 * MIN, 50 * MIN))
    assert [(e.at - T0, e.action) for e in events] == [
        (30 * MIN, "pending"),
        (35 * MIN, "muted"),
        (45 * MIN, "fire"),  # quiet hours are over and it still fires
    ]
    assert len(_top_level(fake_slack)) == 1


def test_quiet_hours_still_let_the_resolved_reply_through(storm, fake_slack):
    quiet = CONFIG.model_copy(update={"quiet_hours": "15:00-18:00"})  # from after it fired
    events = _run(_checker(storm, fake_slack, quiet), checks(0 * MIN, 100 * MIN))
    assert [(e.at - T0, e.action) for e in events if e.action != "pending"] == [
        (35 * MIN, "fire"),
        (95 * MIN, "resolve"),
    ]
    (reply,) = _replies(fake_slack)
    assert reply["text"].startswith(":white_check_mark: Resolved:")


def test_a_ta_silences_iam_over_slack_and_the_alert_checker_holds_it_back(bot, fake_slack):
    for _ in range(8):  # an IAM storm now, in a ledger with no history: far above baseline
        bot.post(PASSROLE)
    now = datetime.now(UTC)
    checker = AlertChecker(
        bot.context.engine, AlertSettings(), channel=LEADS_CHANNEL, client=fake_slack.client()
    )

    reply = bot.command("silence iam 2h")
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("Spike alerts for `iam` are silenced in every cohort until ")
    assert "(UTC). `/friction silence off iam` lifts it." in reply["text"]
    with Session(bot.context.engine) as session:
        (held,) = silences(session, now)
    assert held.domain == "iam" and held.cohort is None
    assert timedelta(hours=2) <= held.until - now < timedelta(hours=2, minutes=1)
    listed = bot.command("silence list")["text"]
    assert "`iam` (every cohort) until" in listed

    assert [e.action for e in _run(checker, [now, now + 5 * MIN])] == ["pending", "muted"]
    assert fake_slack.messages(LEADS_CHANNEL) == []

    assert bot.command("silence off iam")["text"] == "Spike alerts for `iam` are on again."
    assert [e.action for e in checker.check(now + 10 * MIN)] == ["fire"]
    (alert,) = fake_slack.messages(LEADS_CHANNEL)
    assert "Identity & Access (IAM) spike" in alert["text"]
    assert bot.command("silence list")["text"] == "No silences: every watched domain alerts."
    off = bot.command("silence off iam")["text"]
    assert off == "No silence on `iam` was in force: nothing changed."


USAGE = "Usage: `/friction silence <domain> <duration>`"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("silence iam forever", "Cannot silence: expected a duration like 30m, 2h or 1d, not "),
        ("silence iam 45d", "Cannot silence: a silence lasts at most 30d."),
        ("silence iam 99999999999w", "Cannot silence: '99999999999w' is too long a duration."),
        ("silence iamm 2h", "Cannot silence: no domain 'iamm'; known domains: "),
        ("silence iam", USAGE),
        ("silence", USAGE),
    ],
)
def test_silence_mistakes_get_a_precise_reply_and_silence_nothing(bot, text, expected):
    reply = bot.command(text)["text"]
    assert expected in reply and USAGE in reply
    assert bot.command("silence list")["text"] == "No silences: every watched domain alerts."


def test_only_tas_may_silence(bot):
    for user in (LEARNER, LEAD):
        reply = bot.command("silence iam 2h", user=user)["text"]
        assert reply.startswith("Only TAs can tag, resolve or re-open friction, or silence alerts.")
    assert bot.command("silence list")["text"] == "No silences: every watched domain alerts."


def test_silencing_a_domain_no_spike_check_watches_says_so(bot):
    reply = bot.command("silence ec2 1h")["text"]
    assert "Spike alerts for `ec2` are silenced" in reply
    assert "(Spike checks watch `iam` only: add `ec2` to [alerts] domains" in reply
    assert "/friction silence <domain> <30m|2h|1d>" in bot.command("help")["text"]
