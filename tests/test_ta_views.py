"""The modal and the report blocks: read back as Slack sends them, within Slack's limits."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from support.slack_samples import interaction

from bot.labels import Label
from bot.ta.command import period_window
from bot.ta.report_blocks import report_blocks
from bot.ta.tag_actions import Current, Thread
from bot.ta.tag_modal import SubmissionError, read_submission, tag_modal
from classifiers import catalog
from digests.report import DomainRow, FrictionReport, SignatureRow

THREAD = Thread("T0123ABCD", "C0123HELP", "1731330000.001100")


def current(signature: str | None, **flags) -> Current:
    domain = signature.split(".")[0] if signature else None
    return Current(
        domain,
        signature,
        0.4,
        flags.get("tagged", False),
        flags.get("dismissed", False),
        "text <@U1> & more",
    )


def test_the_sample_submission_is_read_as_slack_sends_it():
    view = interaction("view_submission")["view"]
    submission = read_submission(view, "T0123ABCD")
    assert submission.thread == THREAD
    assert submission.label == Label("iam", "iam.passrole")
    assert submission.note == "LabRole exists; learner created a new role"


def test_a_signature_outside_the_picked_domain_is_an_error_on_its_block():
    view = interaction("view_submission")["view"]
    view["state"]["values"]["signature"]["signature_select"]["selected_option"]["value"] = (
        "s3.other"
    )
    with pytest.raises(SubmissionError) as raised:
        read_submission(view, "T0123ABCD")
    assert raised.value.errors == {
        "signature": "Pick one of the Identity & Access (IAM) signatures."
    }


@pytest.mark.parametrize("domain", [d.id for d in catalog().domains])
def test_every_domains_modal_fits_slacks_limits_and_is_prefilled(domain):
    view = tag_modal(THREAD, current("iam.passrole"), domain)
    assert len(view["blocks"]) <= 100 and len(view["title"]["text"]) <= 24
    assert len(view["private_metadata"]) <= 3000
    picker = next(b for b in view["blocks"] if b.get("block_id") == f"signature_{domain}")
    options = picker["element"]["options"]
    assert 1 <= len(options) <= 100
    assert all(len(o["text"]["text"]) <= 75 for o in options)
    assert picker["element"]["initial_option"] in options
    expected = "iam.passrole" if domain == "iam" else f"{domain}.other"
    assert picker["element"]["initial_option"]["value"] == expected


def test_the_modal_says_what_the_thread_is_now():
    missed = tag_modal(THREAD, current(None))
    assert "initial_option" not in missed["blocks"][2]["element"]  # no domain to prefill
    assert "not counted as friction" in json.dumps(missed)
    assert "&lt;@U1&gt; &amp; more" in json.dumps(missed)  # the excerpt is escaped for mrkdwn
    dismissed = tag_modal(THREAD, current("s3.other", tagged=True, dismissed=True))
    assert dismissed["blocks"][2]["element"]["initial_option"]["value"] == "none"
    assert "dismissed by a TA" in json.dumps(dismissed)
    assert "tagged by a TA" in json.dumps(tag_modal(THREAD, current("s3.other", tagged=True)))


def test_report_blocks_fit_slacks_limits_with_every_domain():
    cat = catalog()
    report = FrictionReport(
        since=None,
        until=None,
        total_messages=99_999,
        total_incidents=99_999,
        open_incidents=9_999,
        awaiting_triage=999,
        domains=[DomainRow(d.id, d.label, 9_999, 0.1, 9_999.5, 999.0) for d in cat.domains],
        signatures=[SignatureRow(s.id, 999) for s in cat.signatures[:10]],
    )
    blocks = report_blocks(report, "Friction over the last 30 days " + "x" * 200)
    assert len(blocks) <= 50 and len(blocks[0]["text"]["text"]) <= 150
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks[1:])
    table = blocks[2]["text"]["text"]
    assert all(label in table for label in (d.label for d in cat.domains))


def test_stats_weeks_are_the_courses_weeks_and_rolling_windows_end_now():
    now = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)  # Sunday in UTC, Monday 09:00 in Auckland
    auckland, title = period_window("this-week", now, "Pacific/Auckland")
    assert (auckland.since, auckland.until) == (datetime(2026, 11, 22, 11, 0, tzinfo=UTC), now)
    assert title == "Friction 2026-W48 (23-29 Nov 2026)"
    utc, _ = period_window("this-week", now, "UTC")
    assert utc.since == datetime(2026, 11, 16, tzinfo=UTC)
    last, _ = period_window("last-week", now, "UTC")
    assert (last.since, last.until) == (datetime(2026, 11, 9, tzinfo=UTC), utc.since)
    rolling, title = period_window("30d", now, "UTC")
    assert (rolling.since, rolling.until, title) == (
        now - timedelta(days=30),
        now,
        "Friction over the last 30 days",
    )
    with pytest.raises(ValueError, match="`fortnight` is not a period"):
        period_window("fortnight", now, "UTC")
