"""A TA's changes on SQLite and PostgreSQL: tags, dismissals, resolutions; audited and final."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session
from support.learner_text import UPLOAD_FAILED

from bot.config import Settings
from bot.context import open_context
from bot.ingest.capture import CapturedMessage
from bot.labels import Label, parse_label
from bot.ta.tag_actions import ActionError, TagActions, Thread
from digests.report import build_report
from storage.models import Incident, TagEvent
from storage.queries import Window
from storage.tagging import awaiting_triage, recent_tags

TEAM, CHANNEL = "T0123ABCD", "C0123HELP"
LEARNER, TA = "U0456LRNR", "U0789TA01"
ROOT = "1731330000.001100"
MISSED = "the console looks different from the screenshots"  # the classifier sees no blocker
UNSURE = "cannot open the lab"  # other.other, low confidence: awaits triage
NOW = datetime(2024, 11, 11, 15, 0, tzinfo=UTC)


def msg(ts, text, user=LEARNER, thread_ts=None, **extra) -> CapturedMessage:
    return CapturedMessage(TEAM, CHANNEL, ts, text, user_id=user, thread_ts=thread_ts, **extra)


@pytest.fixture
def context(db_url):
    return open_context(Settings(FRICTION_SALT="test-salt"), db_url)


@pytest.fixture
def actions(context):
    return TagActions(context, now=lambda: NOW)


def thread(ts=ROOT) -> Thread:
    return Thread(TEAM, CHANNEL, ts)


def incident(context, ts=ROOT) -> Incident | None:
    with Session(context.engine) as session:
        return session.execute(select(Incident).where(Incident.root_ts == ts)).scalars().first()


def events(context) -> list[TagEvent]:
    with Session(context.engine) as session:
        return list(session.execute(select(TagEvent).order_by(TagEvent.id)).scalars())


def report(context):
    with Session(context.engine) as session:
        return build_report(session, Window())


def test_a_tag_corrects_the_classifier_for_good_and_is_audited(context, actions):
    context.ingestor.add(msg(ROOT, UPLOAD_FAILED))
    reply = actions.label(thread(), parse_label("iam.passrole"), TA, "LabRole exists")
    assert "`iam.passrole`" in reply and "was `s3.no_such_bucket`" in reply

    tagged = incident(context)
    assert (tagged.domain_id, tagged.signature_id, tagged.human_tagged) == (
        "iam",
        "iam.passrole",
        True,
    )
    [event] = events(context)
    assert (event.action, event.old_domain_id, event.old_signature_id) == (
        "tag",
        "s3",
        "s3.no_such_bucket",
    )
    assert (event.new_domain_id, event.new_signature_id, event.note) == (
        "iam",
        "iam.passrole",
        "LabRole exists",
    )
    assert event.actor_hash == context.pseudonymize(TA) and TA not in event.actor_hash

    # The asker edits the message and adds a reply with another error: the tag stands.
    context.ingestor.add(msg(ROOT, UPLOAD_FAILED + " again", edited_ts="1731330300.000100"))
    context.ingestor.add(msg("1731330400.000200", "Task timed out after 3.00 s", thread_ts=ROOT))
    assert incident(context).signature_id == "iam.passrole"
    assert [d.domain for d in report(context).domains] == ["iam"]


def test_tagging_a_thread_the_classifier_missed_opens_a_human_tagged_incident(context, actions):
    context.ingestor.add(msg(ROOT, MISSED))
    context.ingestor.add(msg("1731330600.000300", "thanks, that worked!", thread_ts=ROOT))
    assert incident(context) is None

    reply = actions.label(thread(), parse_label("cloudformation"), TA)

    assert "`cloudformation.other`" in reply and "was not friction" in reply
    created = incident(context)
    assert created.human_tagged and created.signature_id == "cloudformation.other"
    # The thread's own resolution (the asker's thanks, 10 min later) applies to it.
    assert (created.resolved_by, created.downtime_seconds) == ("asker", 600)
    assert report(context).total_incidents == 1


def test_a_bare_domain_keeps_the_signature_when_it_belongs_to_it(context, actions):
    context.ingestor.add(msg(ROOT, UPLOAD_FAILED))
    actions.label(thread(), parse_label("s3"), TA)
    assert incident(context).signature_id == "s3.no_such_bucket"
    actions.label(thread(), parse_label("iam"), TA)
    assert incident(context).signature_id == "iam.other"


def test_repeating_a_tag_changes_nothing_and_writes_no_audit_row(context, actions):
    context.ingestor.add(msg(ROOT, UPLOAD_FAILED))
    actions.label(thread(), parse_label("s3.no_such_bucket"), TA)  # confirms the classifier
    assert len(events(context)) == 1
    reply = actions.label(thread(), parse_label("s3.no_such_bucket"), TA)
    assert "already tagged" in reply and "Nothing changed" in reply
    assert len(events(context)) == 1


def test_a_dismissed_incident_leaves_every_figure_and_stays_dismissed(context, actions):
    context.ingestor.add(msg(ROOT, UNSURE))
    context.ingestor.add(msg("1731331000.000100", UPLOAD_FAILED))
    with Session(context.engine) as session:
        assert len(awaiting_triage(session, Window())) == 1

    reply = actions.label(thread(), parse_label("none"), TA, "a question, not a blocker")

    assert "Dismissed" in reply and "was `other.other`" in reply
    figures = report(context)
    assert (figures.total_incidents, figures.open_incidents, figures.awaiting_triage) == (1, 1, 0)
    with Session(context.engine) as session:
        assert awaiting_triage(session, Window()) == []
    # Re-ingesting the thread (an edit, a reply with a real error) does not bring it back.
    context.ingestor.add(msg(ROOT, UNSURE + "!!", edited_ts="1731330100.000100"))
    context.ingestor.add(msg("1731330200.000100", UPLOAD_FAILED, thread_ts=ROOT))
    assert incident(context).dismissed
    assert report(context).total_incidents == 1
    assert [e.action for e in events(context)] == ["dismiss"]
    assert "Nothing changed" in actions.label(thread(), parse_label("none"), TA)

    # A later tag brings it back, as the TA says.
    actions.label(thread(), parse_label("s3"), TA)
    assert not incident(context).dismissed and report(context).total_incidents == 2


def test_dismissing_what_is_not_an_incident_changes_nothing(context, actions):
    context.ingestor.add(msg(ROOT, MISSED))
    reply = actions.label(thread(), Label(None, None), TA)
    assert "does not count" in reply and "Nothing changed" in reply
    assert events(context) == [] and incident(context) is None


def test_resolve_and_reopen_are_explicit_and_survive_rederiving(context, actions):
    context.ingestor.add(msg(ROOT, UPLOAD_FAILED))  # opened 2024-11-11 13:00 UTC
    reply = actions.resolve(thread(), TA)
    assert "2.0 h" in reply
    resolved = incident(context)
    assert (resolved.resolved_by, resolved.downtime_seconds) == ("command", 2 * 3600)
    assert "already resolved" in actions.resolve(thread(), TA)

    actions.reopen(thread(), TA, "still broken")
    # The asker's "thanks" would resolve a derived incident; a TA's re-open stands.
    context.ingestor.add(msg("1731331000.000200", "thanks, that worked!", thread_ts=ROOT))
    reopened = incident(context)
    assert (reopened.resolved_at, reopened.resolved_by) == (None, "reopened")
    assert "already open" in actions.reopen(thread(), TA)
    assert [(e.action, e.note) for e in events(context)] == [
        ("resolve", None),
        ("reopen", "still broken"),
    ]


def test_a_dismissed_thread_cannot_be_resolved(context, actions):
    context.ingestor.add(msg(ROOT, UPLOAD_FAILED))
    actions.label(thread(), parse_label("none"), TA)
    with pytest.raises(ActionError, match=r"dismissed as not friction.*Nothing changed"):
        actions.resolve(thread(), TA)
    assert incident(context).resolved_at is None


def test_recent_tags_lists_changes_newest_first_and_keeps_them_after_a_delete(context, actions):
    context.ingestor.add(msg(ROOT, UPLOAD_FAILED))
    actions.label(thread(), parse_label("iam.passrole"), TA)
    TagActions(context, now=lambda: NOW + timedelta(minutes=5)).resolve(thread(), TA)
    with Session(context.engine) as session:
        rows = recent_tags(session, NOW - timedelta(days=1))
        assert [(r.event.action, r.channel_id, r.root_ts) for r in rows] == [
            ("resolve", CHANNEL, ROOT),
            ("tag", CHANNEL, ROOT),
        ]
        assert recent_tags(session, NOW + timedelta(minutes=1))[0].event.action == "resolve"

    context.ingestor.delete(TEAM, CHANNEL, ROOT)
    with Session(context.engine) as session:
        rows = recent_tags(session, NOW - timedelta(days=1))
    assert [(r.event.action, r.channel_id) for r in rows] == [("resolve", None), ("tag", None)]


def test_a_note_is_redacted_like_any_text_the_ledger_keeps(context, actions):
    context.ingestor.add(msg(ROOT, UPLOAD_FAILED))
    note = "<@U0456LRNR> pasted AKIAIOSFODNN7EXAMPLE for account 111122223333, mail a@b.edu"
    actions.label(thread(), parse_label("iam.credentials"), TA, note)
    [event] = events(context)
    for secret in ("U0456LRNR", "AKIAIOSFODNN7EXAMPLE", "111122223333", "a@b.edu"):
        assert secret not in event.note
    assert event.note.startswith("@user pasted")


def test_reclassifying_history_keeps_tags_and_dismissals(context, actions):
    context.ingestor.add(msg(ROOT, UPLOAD_FAILED))
    context.ingestor.add(msg("1731331000.000100", UNSURE))
    actions.label(thread(), parse_label("iam.passrole"), TA)
    actions.label(thread("1731331000.000100"), parse_label("none"), TA)

    context.ingestor.reclassify()

    assert incident(context).signature_id == "iam.passrole"
    assert incident(context, "1731331000.000100").dismissed
    assert report(context).total_incidents == 1
