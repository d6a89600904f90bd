"""Fixes: recorded from the shell and from Slack, and their before/after effect on a ledger with a
known effect, written through the one ingest path.

The fix (`iam.passrole` in cohort lab4) took effect on Monday 2026-10-05; measured as of six
weeks later, each side is the default four weeks. In lab4's help channel:

- before: 20 PassRole incidents by 20 learners, 10 resolved after 45 min and 10 after 75 min
  (median 60 min), and 5 other learners asking other things: 25 active learners;
- after: 4 PassRole incidents by 4 learners, two resolved after 10 and 20 min (median 15 min),
  two still open, and 16 other learners: 20 active learners;
- outside both windows: a PassRole incident 29 days before and one 29 days after.

So 0.80 incidents per active learner before, 0.20 after (5.0 and 1.0 a week): a ratio of 0.25.
Lab5's channel has 6 PassRole incidents on each side, by 12 more learners: a fix scoped to
lab4 leaves them out; a fix for the whole `iam` domain, every cohort, counts them.
"""

from __future__ import annotations

import io
import json
import math
import re
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console
from sqlmodel import Session, select
from support.digest_ledgers import CHANNEL_NAMES, ledger_context, ts
from support.friction_cli import friction
from support.learner_text import PASSROLE
from support.slack_samples import LEAD, LEARNER, TA

from bot.ingest.capture import CapturedMessage
from bot.remediation.fixes import REFUSED, NewFix, record_fix
from digests.blocks import digest_blocks
from digests.export import digest_json
from digests.fix_effect import clopper_pearson, fix_effects, rate_ratio, regularized_beta
from digests.model import build_digest
from digests.periods import parse_period
from digests.terminal import print_digest
from storage.models import Fix

FIX_AT = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday
AS_OF = FIX_AT + timedelta(weeks=6)  # 2026-11-16, the end of week 2026-W46
DAY = timedelta(days=1)
MIN = timedelta(minutes=1)
HALF_HOUR = 30 * MIN  # keeps chatter off the incidents' timestamps


def binomial_tail(k: int, n: int, p: float, upper: bool) -> float:
    """P(X >= k) (upper) or P(X <= k), X ~ Binomial(n, p), summed term by term."""
    terms = range(k, n + 1) if upper else range(0, k + 1)
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in terms)


def messages(channel: str, at: datetime, text: str, user: str | None, resolved: timedelta | None):
    root = ts(at)
    name = CHANNEL_NAMES[channel]
    yield CapturedMessage("T1", channel, root, text, user, channel_name=name)
    if resolved is not None:
        reply = "thanks, that worked!"
        yield CapturedMessage(
            "T1", channel, ts(at + resolved), reply, user, root, channel_name=name
        )


def known_effect(url: str, tmp_path):
    """The ledger described at the top of this module, ingested in one batch."""
    context = ledger_context(url, tmp_path)
    batch = []
    start = FIX_AT - 28 * DAY + timedelta(hours=9)
    for i in range(20):  # before: one a day or so, 9:00 + i hours
        resolved = (45 if i % 2 else 75) * MIN
        at = start + i * timedelta(hours=31)
        batch += messages("C1", at, PASSROLE, f"UB{i}", resolved)
    for i in range(5):
        batch += messages(
            "C1", start + i * 5 * DAY + HALF_HOUR, "when is lab 3 due?", f"UCB{i}", None
        )
    after = FIX_AT + timedelta(hours=9)
    for i, resolved in enumerate((10 * MIN, 20 * MIN, None, None)):
        batch += messages("C1", after + i * 6 * DAY, PASSROLE, f"UA{i}", resolved)
    for i in range(16):
        batch += messages("C1", after + i * DAY + HALF_HOUR, "is the quiz open?", f"UCA{i}", None)
    batch += messages("C1", FIX_AT - 29 * DAY, PASSROLE, "UOUT1", 5 * MIN)
    batch += messages("C1", FIX_AT + 29 * DAY, PASSROLE, "UOUT2", 5 * MIN)
    for i in range(6):
        batch += messages("C2", FIX_AT - (i + 1) * 3 * DAY, PASSROLE, f"U5B{i}", 30 * MIN)
        batch += messages("C2", FIX_AT + (i + 1) * 3 * DAY, PASSROLE, f"U5A{i}", 30 * MIN)
    context.ingestor.add_many(batch)
    return context


@pytest.fixture
def ledger(db_url, tmp_path):
    context = known_effect(db_url, tmp_path)
    lab4 = NewFix("iam.passrole", "Lab 3 now creates LabRole", FIX_AT.isoformat(), "lab4")
    record_fix(context.engine, lab4, context.pseudonymize("ULEAD"))
    record_fix(context.engine, NewFix("iam", "IAM primer added to week 1", "2026-10-05"), None)
    return context


def test_the_before_and_after_figures_match_the_hand_counts(ledger):
    with Session(ledger.engine) as session:
        domain_wide, lab4 = fix_effects(session, AS_OF)  # same moment: newest id first

    assert (lab4.target, lab4.cohort, lab4.window_days, lab4.per_learner) == (
        "iam.passrole",
        "lab4",
        28.0,
        True,
    )
    before, after = lab4.before, lab4.after
    assert (before.incidents, before.learners, after.incidents, after.learners) == (20, 25, 4, 20)
    assert (before.per_learner, after.per_learner) == (0.8, 0.2)
    assert (before.per_week, after.per_week) == (5.0, 1.0)
    assert (before.median_minutes_to_resolve, after.median_minutes_to_resolve) == (60.0, 15.0)
    assert lab4.ratio == pytest.approx(0.25)
    # The interval's ends are the ratios at which 4 of 24 is just in the 2.5 % tail, with the
    # per-learner exposures: ratio = p / (1 - p) * 25 / 20.
    p_low, p_high = (r / 1.25 / (1 + r / 1.25) for r in (lab4.low, lab4.high))
    assert binomial_tail(4, 24, p_low, upper=True) == pytest.approx(0.025, abs=1e-9)
    assert binomial_tail(4, 24, p_high, upper=False) == pytest.approx(0.025, abs=1e-9)
    assert (round(lab4.low, 3), round(lab4.high, 3)) == (0.062, 0.746)
    assert lab4.verdict == "fell"
    assert lab4.summary == (
        "Not allowed to pass a role to a service: fell from 0.80 to 0.20 per active learner "
        "(5.0 to 1.0 a week), -75 %, interval -94 % to -25 %; median time to resolve 60 min "
        "before, 15 min after (20 incidents in the 4 weeks before, 4 in the 4 weeks after)."
    )

    # The whole domain, every cohort: lab5's 6 + 6 PassRole and its 12 learners count too.
    assert (domain_wide.target, domain_wide.title) == ("iam", "Identity & Access (IAM)")
    figures = domain_wide.before, domain_wide.after
    assert [(s.incidents, s.learners) for s in figures] == [(26, 31), (10, 26)]
    assert domain_wide.ratio == pytest.approx((10 / 26) / (26 / 31))
    assert domain_wide.verdict == "fell"

    # Who recorded a fix is kept only as a salted hash; the command line leaves it empty.
    with Session(ledger.engine) as session:
        by = {f.id: f.created_by_hash for f in session.exec(select(Fix))}
    assert by == {1: ledger.pseudonymize("ULEAD"), 2: None}


def test_no_clear_change_too_little_data_and_too_early_say_so(ledger):
    office_hours = NewFix("iam.passrole", "TA office hours", "2026-10-05", "lab5")
    record_fix(ledger.engine, office_hours, None)
    with Session(ledger.engine) as session:
        lab5 = fix_effects(session, AS_OF)[0]  # 6 incidents and 6 learners on each side
        one_week = fix_effects(session, AS_OF, timedelta(weeks=1))[0]
        early = fix_effects(session, FIX_AT + 5 * DAY)[0]

    assert (lab5.verdict, lab5.ratio) == ("no clear change", 1.0)
    assert (round(lab5.low, 3), round(lab5.high, 3)) == (0.267, 3.741)  # 6 of 12, as odds
    assert lab5.summary == (
        "Not allowed to pass a role to a service: no clear change: from 1.00 to 1.00 per active "
        "learner (1.5 to 1.5 a week), 0 %, interval -73 % to +274 %; median time to resolve "
        "30 min before, 30 min after (6 incidents in the 4 weeks before, 6 in the 4 weeks after)."
    )
    assert (one_week.verdict, one_week.ratio, one_week.low) == ("too little data", None, None)
    assert one_week.summary.endswith(
        "too little data to tell: 2 incidents in the 1 week before, 2 in the 1 week after "
        "(at least 10 incidents are needed)."
    )
    assert early.verdict == "too early"
    assert early.summary.endswith(
        "too early to tell: 1 incident in the 5 days before, 1 in the 5 days after "
        "(a comparison needs 7 days on each side)."
    )


def test_learners_unknown_gives_a_rate_per_week(tmp_path, sqlite_url):
    """An export without user ids: 12 incidents before, 3 after, rates per week."""
    context = ledger_context(sqlite_url, tmp_path)
    batch = []
    for i in range(12):
        batch += messages("C1", FIX_AT - (i + 1) * 2 * DAY, PASSROLE, None, None)
    for i in range(3):
        batch += messages("C1", FIX_AT + (i + 1) * 2 * DAY, PASSROLE, None, None)
    context.ingestor.add_many(batch)
    record_fix(context.engine, NewFix("iam.passrole", "LabRole pre-created", "2026-10-05"), None)
    with Session(context.engine) as session:
        [result] = fix_effects(session, AS_OF)
    assert (result.per_learner, result.before.per_week, result.after.per_week) == (
        False,
        3.0,
        0.75,
    )
    # Equal windows: the ratio is 3/12, its interval the exact one on 3 of 15, as odds.
    assert result.ratio == pytest.approx(0.25)
    assert result.low == pytest.approx(0.043312 / (1 - 0.043312), abs=1e-5)
    assert result.high == pytest.approx(0.480891 / (1 - 0.480891), abs=1e-5)
    assert "fell from 3.0 to 0.8 a week, -75 %, interval -95 % to -7 %" in result.summary


def test_the_exact_interval_matches_the_binomial_tails_it_is_defined_by():
    for k, n in [(0, 10), (1, 10), (4, 24), (10, 10), (37, 400), (450, 1000)]:
        low, high = clopper_pearson(k, n)
        if k:
            assert binomial_tail(k, n, low, upper=True) == pytest.approx(0.025, rel=1e-6)
        else:
            assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / n))
        if k < n:
            assert binomial_tail(k, n, high, upper=False) == pytest.approx(0.025, rel=1e-6)
        else:
            assert high == 1.0 and low == pytest.approx(0.025 ** (1 / n))
    assert regularized_beta(0.3, 1, 1) == pytest.approx(0.3)
    # Nothing before and something after: the rise has no upper bound.
    ratio, low, high = rate_ratio(0, 12, 4, 4)
    assert (ratio, high) == (None, None) and low > 1


def invoke(*args: str):
    return friction(*args, env={"FRICTION_SALT": "s", "FRICTION_CONFIG": None})


def test_a_fix_recorded_in_the_shell_shows_in_the_report_and_the_digest(
    tmp_path, sqlite_ledger, sqlite_url
):
    db = str(sqlite_ledger)
    context = known_effect(sqlite_url, tmp_path)

    added = invoke(
        "fix", "add", "iam.passrole", "Lab 3 creates LabRole, key AKIAIOSFODNN7EXAMPLE",
        "--at", "2026-10-05", "--cohort", "lab4", "--db", db,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout == (
        "Recorded fix #1 2026-10-05 · iam.passrole · cohort lab4: Lab 3 creates LabRole, "
        "key [REDACTED-ACCESS-KEY]\n"
    )
    for args, error in [
        (("iam.pasrole", "x"), "`iam.pasrole` is not a domain or signature id: did you mean"),
        (("none", "x"), "A fix targets a domain (`iam`) or a signature"),
        (
            ("iam", "x", "--cohort", "lab9"),
            "`lab9` is not a cohort: did you mean `lab5` or `lab4`?",
        ),
        (("iam", "x", "--at", "2099-01-01"), "is in the future"),
        (("iam", "x", "--at", "last tuesday"), "`--at` takes a date like 2026-10-01"),
        (("iam", "  "), "Say what changed"),
    ]:
        result = invoke("fix", "add", *args, "--db", db)
        assert result.returncode == 2 and error in result.stderr, (args, result.stderr)

    listed = invoke("fix", "list", "--db", db)
    assert "#1 2026-10-05 · iam.passrole · cohort lab4" in listed.stdout
    assert "(by command line," in listed.stdout
    mistake = invoke("fix", "add", "s3", "recorded by mistake", "--db", db)
    assert mistake.stdout.startswith("Recorded fix #2 ")
    removed = invoke("fix", "remove", "#2", "--db", db)
    assert removed.returncode == 0 and removed.stdout.startswith("Removed fix #2 "), removed
    assert "#2 " not in invoke("fix", "list", "--db", db).stdout
    for number, error in [("2", "There is no fix #2"), ("two", "`two` is not a fix number")]:
        result = invoke("fix", "remove", number, "--db", db)
        assert result.returncode == 2 and error in result.stderr, (number, result.stderr)

    report = invoke("report", "--fixes", "--until", "2026-11-16", "--db", db)
    assert report.returncode == 0, report.stderr
    assert "fell from 0.80 to 0.20 per active learner (5.0 to 1.0 a week), -75 %" in report.stdout
    as_json = invoke("report", "--fixes", "--until", "2026-11-16", "-f", "json", "--db", db)
    [data] = json.loads(as_json.stdout)
    assert (data["before"]["incidents"], data["after"]["incidents"], data["verdict"]) == (
        20,
        4,
        "fell",
    )
    as_csv = invoke("report", "--fixes", "--until", "2026-11-16", "-f", "csv", "--db", db)
    header, row = as_csv.stdout.splitlines()
    assert dict(zip(header.split(","), row.split(","), strict=True))["after_rate"] == "0.2"
    clash = invoke("report", "--fixes", "--channel", "help-lab4", "--db", db)
    assert clash.returncode == 2 and "drop --channel" in clash.stderr

    # The digest of the week ending six weeks after the fix shows it, in every rendering.
    with Session(context.engine) as session:
        digest = build_digest(session, parse_period("2026-W46", "UTC"))
        later = build_digest(session, parse_period("2026-W52", "UTC"))
    [section] = [
        b["text"]["text"]
        for b in digest_blocks(digest)
        if "Fixes: before and after" in b.get("text", {}).get("text", "")
    ]
    assert section.startswith(
        "*Fixes: before and after*\n• *#1 2026-10-05 · iam.passrole · cohort lab4: Lab 3 "
        "creates LabRole, key [REDACTED-ACCESS-KEY]*\nNot allowed to pass a role to a service: "
        "fell from 0.80 to 0.20 per active learner (5.0 to 1.0 a week), -75 %, interval -94 % "
        "to -25 %;"
    )
    assert json.loads(digest_json(digest))["fixes"][0]["after"]["incidents"] == 4
    terminal = Console(file=io.StringIO(), width=200, color_system=None)
    print_digest(digest, terminal)
    assert "Fixes: before and after\n  #1 2026-10-05 · iam.passrole" in terminal.file.getvalue()
    assert later.fixes == []  # eleven weeks on, past twice the window: no longer followed


def fixes_in(engine) -> list[Fix]:
    with Session(engine) as session:
        return list(session.exec(select(Fix).order_by(Fix.id)))


def test_leads_and_tas_record_and_list_fixes_in_slack_and_learners_cannot(bot):
    ten_days_ago = (datetime.now(UTC) - 10 * DAY).date().isoformat()
    reply = bot.command(
        f"fix add iam.passrole “Lab 3 now creates LabRole” —at {ten_days_ago}", user=LEAD
    )
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith(
        f"Recorded fix #1 {ten_days_ago} · iam.passrole: Lab 3 now creates LabRole\n"
    )
    today = datetime.now(UTC).date().isoformat()
    reply = bot.command("fix add s3 Lab 2 doesn't hide the bucket's name any more", user=TA)
    assert (
        f"Recorded fix #2 {today} · s3: Lab 2 doesn't hide the bucket's name any more"
        in (reply["text"])
    )

    refused = bot.command("fix add iam.passrole sneaky", user=LEARNER)
    assert refused["text"] == REFUSED
    assert bot.command("fix list", user=LEARNER)["text"] == refused["text"]
    typo = bot.command("fix add iam.pasrole Lab 3 now creates LabRole", user=LEAD)
    assert typo["text"].startswith(
        "`iam.pasrole` is not a domain or signature id: did you mean `iam.passrole` or"
    )
    assert "Usage: `/friction fix add" in bot.command("fix add iam.passrole", user=LEAD)["text"]
    assert "`--when` is not an option" in bot.command("fix add iam x --when 1", user=LEAD)["text"]
    assert [f.description for f in fixes_in(bot.context.engine)] == [
        "Lab 3 now creates LabRole",
        "Lab 2 doesn't hide the bucket's name any more",
    ]

    listed = bot.command("fix list", user=LEAD)["text"]
    newest, older = listed.split("\n*#1")
    assert newest.startswith(f"*#2 {today} · s3:") and "too early to tell" in newest
    # the days since --at's midnight, to a tenth: 10.0 to 10.9, or 11 late in the (UTC) day
    assert re.search(r"too little data to tell: 0 incidents in the (10(\.\d)?|11) days", older)

    assert bot.command("fix remove 2", user=LEARNER)["text"] == REFUSED
    removed = bot.command("fix remove #2", user=TA)["text"]
    assert removed == f"Removed fix #2 {today} · s3: Lab 2 doesn't hide the bucket's name any more"
    assert "There is no fix #2" in bot.command("fix remove 2", user=LEAD)["text"]
    assert "Usage: `/friction fix add" in bot.command("fix remove", user=LEAD)["text"]
    assert [f.id for f in fixes_in(bot.context.engine)] == [1]
