"""The weekly digest: figures against a hand-counted ledger, its renderings, and its posting."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import numpy as np
import pytest
from PIL import Image
from sqlmodel import Session, select
from support.digest_ledgers import (
    WEEK47,
    Writer,
    ledger_context,
    mark_needs_triage,
)
from support.fake_slack import LEADS_CHANNEL, error
from support.friction_cli import friction
from support.learner_text import NO_SUCH_BUCKET, PASSROLE

from digests.blocks import MAX_BLOCKS, MAX_HEADER, MAX_TEXT, digest_blocks
from digests.chart import DOWNTIME_COLOUR, DPI, INCIDENT_COLOUR, SIZE_INCHES, digest_png
from digests.config import DigestSettings
from digests.model import Digest, DomainLine, Section, SignatureLine, archive_link, build_digest
from digests.periods import parse_period
from digests.report import build_report
from digests.runs import due_period, post_digest_once
from storage.models import DigestRun, Signature
from storage.queries import Window

MIN = timedelta(minutes=1)
W47 = parse_period("2026-W47", "UTC")


@pytest.fixture
def ledger(seeded, tmp_path):
    """Week 2026-W47: lab4 has 3 PassRole incidents resolved after 10, 20 and 60 min; lab5 has
    1 PassRole resolved after 30 min and 1 NoSuchBucket still open (awaiting triage), plus
    chatter. Week W46: lab4 had 1 PassRole (40 min) and 2 NoSuchBucket (5 min each).
    Week W44: 1 PassRole, in neither period."""
    url, roots = seeded(write_weeks)
    context = ledger_context(url, tmp_path)
    context.roots = roots
    return context


def write_weeks(url, folder):
    """The `ledger` fixture's data set; its value is the incidents' roots by name."""
    context = ledger_context(url, folder)
    w = Writer(context)
    day = WEEK47 + timedelta(hours=9)
    roots = {}
    for i, minutes in enumerate((10, 20, 60)):
        roots[f"lab4-{minutes}"] = w.incident(
            "C1", day + i * timedelta(hours=2), PASSROLE, minutes * MIN
        )
    roots["lab5-30"] = w.incident("C2", day + timedelta(days=2), PASSROLE, 30 * MIN)
    roots["lab5-open"] = w.incident("C2", day + timedelta(days=3), NO_SUCH_BUCKET)
    w.chatter("C2", day + timedelta(days=3, hours=1))
    before = day - timedelta(days=7)
    w.incident("C1", before, PASSROLE, 40 * MIN)
    w.incident("C1", before + timedelta(hours=1), NO_SUCH_BUCKET, 5 * MIN)
    w.incident("C1", before + timedelta(hours=2), NO_SUCH_BUCKET, 5 * MIN)
    w.incident("C1", day - timedelta(days=21), PASSROLE, 15 * MIN)
    mark_needs_triage(context.engine, roots["lab5-open"])
    context.engine.dispose()
    return roots


def _digest(context, **options) -> Digest:
    with Session(context.engine) as session:
        return build_digest(session, W47, **options)


def test_the_digest_has_the_hand_counted_figures(ledger):
    digest = _digest(ledger)
    overall = digest.overall
    assert (digest.period, overall.incidents, overall.previous_incidents) == ("2026-W47", 5, 3)
    assert (overall.open_incidents, overall.awaiting_triage, overall.downtime_hours) == (1, 1, 2.0)
    iam, s3 = overall.domains
    assert iam == DomainLine(
        domain="iam",
        label="Identity & Access (IAM)",
        incidents=4,
        share=0.8,
        downtime_hours=2.0,
        median_minutes_to_resolve=25.0,
        previous_incidents=1,
        previous_downtime_hours=0.67,
    )
    assert iam.change == 3
    assert (s3.domain, s3.incidents, s3.share, s3.downtime_hours) == ("s3", 1, 0.2, 0.0)
    assert (s3.median_minutes_to_resolve, s3.previous_incidents, s3.change) == (None, 2, -1)
    assert (s3.previous_downtime_hours) == 0.17


def test_top_signatures_carry_the_hint_and_the_longest_blocked_threads(ledger):
    top = _digest(ledger, link=archive_link("https://cloudlabs.slack.com/")).overall.signatures
    with Session(ledger.engine) as session:
        hints = {s.id: s.hint for s in session.exec(select(Signature))}
    assert [(s.signature, s.incidents) for s in top] == [
        ("iam.passrole", 4),
        ("s3.no_such_bucket", 1),
    ]
    assert top[0].hint == hints["iam.passrole"] and top[0].hint
    roots = ledger.roots
    assert top[0].examples == [  # blocked 60 and 30 minutes: the longest two
        f"https://cloudlabs.slack.com/archives/C1/p{roots['lab4-60'].replace('.', '')}",
        f"https://cloudlabs.slack.com/archives/C2/p{roots['lab5-30'].replace('.', '')}",
    ]
    assert top[1].examples == [
        f"https://cloudlabs.slack.com/archives/C2/p{roots['lab5-open'].replace('.', '')}"
    ]


def test_each_cohort_gets_its_own_figures(ledger):
    lab4, lab5 = _digest(ledger).cohorts
    assert (lab4.cohort, lab4.incidents, lab4.previous_incidents, lab4.open_incidents) == (
        "lab4",
        3,
        3,
        0,
    )
    assert [(d.domain, d.incidents, d.previous_incidents) for d in lab4.domains] == [
        ("iam", 3, 1),
        ("s3", 0, 2),
    ]
    assert lab4.domains[0].median_minutes_to_resolve == 20.0
    assert lab4.domains[0].downtime_hours == 1.5
    assert (lab5.cohort, lab5.incidents, lab5.open_incidents, lab5.awaiting_triage) == (
        "lab5",
        2,
        1,
        1,
    )
    assert [(d.domain, d.share) for d in lab5.domains] == [("iam", 0.5), ("s3", 0.5)]


def test_the_report_agrees_on_an_even_count_median(ledger):
    with Session(ledger.engine) as session:
        report = build_report(session, Window(W47.since, W47.until))
    assert report.domains[0].median_minutes_to_resolve == 25.0  # mean of 20 and 30


def test_a_week_without_incidents_is_an_empty_digest(ledger):
    with Session(ledger.engine) as session:
        digest = build_digest(session, parse_period("2026-W40", "UTC"))
    assert (digest.overall.incidents, digest.overall.domains, digest.cohorts) == (0, [], [])
    assert len(digest_png(digest)) > 1000  # the chart says "No incidents", it does not fail


def test_periods_are_weeks_in_the_course_timezone():
    sydney = parse_period("2026-W47", "Australia/Sydney")
    assert sydney.since.isoformat() == "2026-11-15T13:00:00+00:00"  # Monday 00:00 AEDT
    assert (sydney.until - sydney.since) == timedelta(days=7)
    assert parse_period("last-week", "UTC", now=WEEK47 + timedelta(days=2)).key == "2026-W46"
    assert parse_period("this-week", "UTC", now=WEEK47).key == "2026-W47"
    assert parse_period("2026-W47", "UTC").previous.key == "2026-W46"
    with pytest.raises(ValueError, match="last-week, this-week or a week like 2026-W47"):
        parse_period("yesterday", "UTC")
    with pytest.raises(ValueError, match="2025-W53 is not a week of 2025"):
        parse_period("2025-W53", "UTC")


def test_the_digest_due_is_the_week_before_the_last_scheduled_time():
    monday_9 = DigestSettings(timezone="Europe/Paris", day="mon", time="09:00")
    paris_monday_0830 = WEEK47 + timedelta(hours=7, minutes=30)  # 08:30 in Paris
    assert due_period(monday_9, paris_monday_0830).key == "2026-W45"
    assert due_period(monday_9, paris_monday_0830 + timedelta(hours=1)).key == "2026-W46"
    assert due_period(monday_9, WEEK47 + timedelta(days=4)).key == "2026-W46"


# -- renderings ---------------------------------------------------------------------------


def test_json_and_csv_carry_every_figure(ledger, tmp_path):
    url = str(ledger.engine.url.render_as_string(hide_password=False))
    config = {"FRICTION_SALT": "s", "FRICTION_CONFIG": str(ledger.settings.friction_config)}
    result = friction("digest", "--period", "2026-W47", "-f", "json", "--db", url, env=config)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["overall"]["domains"][0]["incidents"] == 4
    assert [c["cohort"] for c in data["cohorts"]] == ["lab4", "lab5"]
    out = tmp_path / "digest.csv"
    result = friction(
        "digest", "--period", "2026-W47", "-f", "csv", "-o", str(out), "--db", url, env=config
    )
    assert result.returncode == 0, result.stderr
    rows = [
        (r["cohort"], r["domain"], r["incidents"], r["change"]) for r in csv.DictReader(out.open())
    ]
    assert rows == [
        ("all", "iam", "4", "3"),
        ("all", "s3", "1", "-1"),
        ("lab4", "iam", "3", "2"),
        ("lab4", "s3", "0", "-2"),
        ("lab5", "iam", "1", "1"),
        ("lab5", "s3", "1", "1"),
    ]


def test_the_terminal_table_when_piped(ledger):
    url = str(ledger.engine.url.render_as_string(hide_password=False))
    env = {"FRICTION_SALT": "s", "FRICTION_CONFIG": str(ledger.settings.friction_config)}
    result = friction("digest", "--period", "2026-W47", "--db", url, env=env)
    assert result.returncode == 0, result.stderr
    assert "Friction digest · 2026-W47 (16-22 Nov 2026)" in result.stdout
    assert "Identity & Access (IAM)" in result.stdout and "Cohort lab5" in result.stdout
    assert "5 incidents (+2 vs the week before)" in result.stdout
    assert "\x1b[" not in result.stdout


def test_the_digest_command_names_a_bad_period(tmp_path):
    result = friction("digest", "--period", "2026-47", "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2
    assert "--period takes last-week, this-week or a week like 2026-W47" in result.stderr


def _big_digest() -> Digest:
    """More cohorts and longer texts than Slack takes in one message."""
    long_hint = "Check the role's policy. " * 200  # 5,000 characters
    domains = [
        DomainLine(f"d{i}", f"Domain number {i} " * 3, 10, 0.1, 1.0, 5.0, 9, 1.0) for i in range(40)
    ]
    signatures = [
        SignatureLine(f"d{i}.x", f"d{i}", "A failure " * 40, 10, long_hint, ["https://x/y"] * 2)
        for i in range(20)
    ]
    section = Section(None, 400, 360, 40.0, 3, 2, domains, signatures)
    cohorts = [Section(f"cohort-{i}", 10, 9, 1.0, 0, 0, domains, []) for i in range(80)]
    return Digest("2026-W47", "2026-W47 " + "x" * 200, W47.since, W47.until, section, cohorts)


def test_block_kit_stays_within_slacks_limits(fake_slack):
    blocks = digest_blocks(_big_digest())
    assert len(blocks) <= MAX_BLOCKS
    texts = [b["text"] for b in blocks if "text" in b]
    assert all(len(t["text"]) <= MAX_TEXT for t in texts)
    assert len(blocks[0]["text"]["text"]) <= MAX_HEADER
    assert blocks[-2]["text"]["text"].startswith("…and ")  # the cohorts that did not fit, named
    assert "cohort-79" in blocks[-2]["text"]["text"]
    table = blocks[2]["text"]["text"]
    assert table.startswith("```\n") and table.endswith("…\n```")  # cut, code block still closed
    response = fake_slack.client().chat_postMessage(channel=LEADS_CHANNEL, text="t", blocks=blocks)
    assert response["ok"]


# -- the chart ----------------------------------------------------------------------------


def _bar_lengths(png: bytes, colour: str) -> list[int]:
    """Widths in pixels of the horizontal bars drawn in `colour`, top to bottom."""
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    mask = np.abs(image - rgb).sum(axis=2) < 12
    widths, current = [], 0
    for row in mask:
        width = int(row.sum())
        if width and not current:
            widths.append(width)
        current = width
    return widths


def test_the_chart_is_a_png_whose_bars_match_the_figures(ledger):
    png = digest_png(_digest(ledger))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (int(SIZE_INCHES[0] * DPI), int(SIZE_INCHES[1] * DPI))
    assert image.text["Title"] == "Friction digest 2026-W47"
    incidents = _bar_lengths(png, INCIDENT_COLOUR)
    assert len(incidents) == 2  # IAM (4) above S3 (1)
    assert incidents[0] / incidents[1] == pytest.approx(4, rel=0.05)
    assert len(_bar_lengths(png, DOWNTIME_COLOUR)) == 1  # S3's open incident blocked 0 hours


def test_friction_digest_writes_a_png(ledger, tmp_path):
    url = str(ledger.engine.url.render_as_string(hide_password=False))
    out = tmp_path / "chart.png"
    result = friction(
        "digest",
        "--period",
        "2026-W47",
        "-f",
        "png",
        "-o",
        str(out),
        "--db",
        url,
        env={"FRICTION_SALT": "s"},
    )
    assert result.returncode == 0, result.stderr
    assert Image.open(out).size == (1200, 600)


# -- posting once ---------------------------------------------------------------------------


def _settings(**fields) -> DigestSettings:
    return DigestSettings(
        channel=LEADS_CHANNEL, workspace_url="https://cloudlabs.slack.com/", **fields
    )


def test_posting_sends_blocks_then_the_chart_in_the_thread_once(ledger, fake_slack):
    fake_slack.add_channel("C1", "help-lab4")
    lab4_root = ledger.roots["lab4-60"]
    fake_slack.post("C1", "PassRole…", ts=lab4_root)  # C2 is unknown to Slack: link built
    client = fake_slack.client()
    outcome = post_digest_once(ledger.engine, client, _settings(), W47, "replica-a")
    assert outcome.status == "posted"
    (post,) = fake_slack.calls_to("chat.postMessage")
    assert post.params["channel"] == LEADS_CHANNEL
    blocks = (
        json.loads(post.params["blocks"])
        if isinstance(post.params["blocks"], str)
        else post.params["blocks"]
    )
    text = json.dumps(blocks, ensure_ascii=False)
    assert "Friction digest · 2026-W47" in text
    assert f"https://cloudlabs.slack.com/archives/C1/p{lab4_root.replace('.', '')}" in text
    assert (
        f"https://cloudlabs.slack.com/archives/C2/p{ledger.roots['lab5-30'].replace('.', '')}"
        in text
    )
    asked = {c.params["message_ts"] for c in fake_slack.calls_to("chat.getPermalink")}
    assert lab4_root in asked
    (upload,) = fake_slack.uploads.values()
    assert (upload.channel, upload.thread_ts) == (LEADS_CHANNEL, outcome.message_ts)
    assert upload.content.startswith(b"\x89PNG") and upload.filename == "friction-2026-W47.png"
    assert "Identity & Access (IAM): 4 incidents" in upload.alt_txt

    again = post_digest_once(ledger.engine, client, _settings(), W47, "replica-b")
    assert (again.status, again.message_ts) == ("already posted", outcome.message_ts)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_a_failed_post_is_recorded_and_retried(ledger, fake_slack):
    fake_slack.queue("chat.postMessage", error("not_in_channel"))
    client = fake_slack.client()
    first = post_digest_once(ledger.engine, client, _settings(), W47, "replica-a")
    assert first.status == "failed" and "not_in_channel" in first.error
    with Session(ledger.engine) as session:
        run = session.exec(select(DigestRun)).one()
        assert (run.posted_at, run.attempts, run.claimed_by) == (None, 1, "")
        assert "not_in_channel" in run.last_error
    second = post_digest_once(ledger.engine, client, _settings(), W47, "replica-b")
    assert second.status == "posted"
    top_level = [
        m
        for m in fake_slack.messages(LEADS_CHANNEL)
        if "thread_ts" not in m or m["thread_ts"] == m["ts"]
    ]
    assert len(top_level) == 1
    with Session(ledger.engine) as session:
        run = session.exec(select(DigestRun)).one()
        assert (run.attempts, run.claimed_by, run.message_ts) == (2, "replica-b", second.message_ts)


def test_a_failed_chart_upload_keeps_the_digest_posted(ledger, fake_slack):
    fake_slack.queue("files.getUploadURLExternal", error("file_uploads_disabled"))
    outcome = post_digest_once(ledger.engine, fake_slack.client(), _settings(), W47, "a")
    assert outcome.status == "posted"
    assert "file_uploads_disabled" in outcome.error
    again = post_digest_once(ledger.engine, fake_slack.client(), _settings(), W47, "a")
    assert again.status == "already posted"
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_friction_digest_post_over_http(ledger, fake_slack):
    url = str(ledger.engine.url.render_as_string(hide_password=False))
    env = {"FRICTION_SALT": "s", **fake_slack.environ(socket_mode=False)}
    args = ("digest", "--period", "2026-W47", "--post", "--channel", LEADS_CHANNEL, "--db", url)
    first = friction(*args, env=env)
    assert first.returncode == 0, first.stderr
    assert f"Posted the 2026-W47 digest to {LEADS_CHANNEL}" in first.stdout
    second = friction(*args, env=env)
    assert "was already posted" in second.stdout
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
