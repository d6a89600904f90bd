"""The one ingest path, on SQLite and PostgreSQL: idempotent, thread-aware, edit/delete/reaction."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session
from support.learner_text import UPLOAD_FAILED
from support.ledger_rows import incidents, tag_by_hand

from bot.config import ConfigError, Settings
from bot.context import open_context
from bot.history.forget import apply_retention
from bot.ingest.capture import CapturedMessage
from bot.ingest.ingestor import Ingestor
from classifiers import classify_thread
from classifiers.threads import ASKER
from storage.models import Channel, Incident, Message

TEAM, CHANNEL = "T0123ABCD", "C0123HELP"
LEARNER, TA = "U0456LRNR", "U0789TA01"
ROOT = "1731330000.001100"
PASSROLE = (
    "Deploy fails in lab 4:\n```An error occurred (AccessDeniedException) when calling the "
    "CreateFunction operation: User: arn:aws:sts::111122223333:assumed-role/voclabs/user1234 "
    "is not authorized to perform: iam:PassRole on resource: "
    "arn:aws:iam::111122223333:role/LabRole```"
)


def msg(ts, text, user=LEARNER, thread_ts=None, **extra) -> CapturedMessage:
    return CapturedMessage(TEAM, CHANNEL, ts, text, user_id=user, thread_ts=thread_ts, **extra)


@pytest.fixture
def context(db_url):
    return open_context(Settings(FRICTION_SALT="test-salt"), db_url)


def count(context, model) -> int:
    with Session(context.engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_message_ingested_twice_is_stored_once(context):
    first = context.ingestor.add(msg(ROOT, PASSROLE))
    again = context.ingestor.add(msg(ROOT, PASSROLE))
    assert (first.action, again.action) == ("stored", "unchanged")
    assert first.incident_id == again.incident_id is not None
    assert count(context, Message) == 1
    [incident] = incidents(context)
    assert (incident.domain_id, incident.signature_id) == ("iam", "iam.passrole")


def test_stored_text_is_redacted_and_user_hashed(context):
    context.ingestor.add(msg(ROOT, PASSROLE + " my key AKIAIOSFODNN7EXAMPLE"))
    with Session(context.engine) as session:
        row = session.execute(select(Message)).scalars().one()
    assert "111122223333" not in row.text and "AKIAIOSFODNN7EXAMPLE" not in row.text
    assert row.user_hash and LEARNER not in row.user_hash
    assert row.user_hash == context.pseudonymize(LEARNER)


def test_replies_attach_to_the_root_incident(context):
    context.ingestor.add(msg(ROOT, PASSROLE))
    context.ingestor.add(msg("1731330120.002200", "Use the existing LabRole", TA, ROOT))
    context.ingestor.add(msg("1731330200.003300", "still failing, same error", LEARNER, ROOT))
    [incident] = incidents(context)
    assert incident.signature_id == "iam.passrole"
    assert count(context, Message) == 3


THREAD_REPLIES = [
    (
        "1731330100.000100",
        TA,
        "I get the same error: NoSuchBucket The specified bucket does not exist",
    ),
    (
        "1731330200.000200",
        LEARNER,
        "still getting NoSuchBucket: The specified bucket does not exist",
    ),
    ("1731330300.000300", LEARNER, "now it says Task timed out after 3.00 seconds"),
]
THREAD_JUDGED = [
    (False, None),  # someone else's reply is not the thread's report
    (False, None),  # the asker repeating the open incident's error
    (True, "lambda.timeout"),  # the asker's new error
]


def judged_replies(context) -> list[tuple[bool, str | None]]:
    """(is incident, signature) of each of THREAD_REPLIES as stored."""
    with Session(context.engine) as session:
        rows = session.execute(select(Message.ts, Message.is_incident, Message.signature_id))
        stored = {ts: (is_incident, signature) for ts, is_incident, signature in rows}
    return [stored[ts] for ts, _, _ in THREAD_REPLIES]


def test_replies_are_judged_in_their_thread_whichever_batch_brought_the_root(context):
    """Each reply arrives alone, as live events do: the root is looked up for its context."""
    context.ingestor.add(msg(ROOT, UPLOAD_FAILED))
    for ts, user, text in THREAD_REPLIES:
        context.ingestor.add(msg(ts, text, user, ROOT))
    assert judged_replies(context) == THREAD_JUDGED
    [incident] = incidents(context)
    assert incident.signature_id == "s3.no_such_bucket"


def test_reclassifying_judges_each_reply_in_its_thread_as_the_live_path_did(context):
    """`friction reclassify` reads history thread by thread: the same rules change nothing."""
    context.ingestor.add_many(
        [
            msg(ROOT, UPLOAD_FAILED),
            *(msg(ts, text, user, ROOT) for ts, user, text in THREAD_REPLIES),
        ]
    )
    context.ingestor.add(msg("1731339000.000100", PASSROLE))  # another thread, read on its own
    assert judged_replies(context) == THREAD_JUDGED
    assert context.ingestor.reclassify() == {}
    assert judged_replies(context) == THREAD_JUDGED
    assert sorted(i.signature_id for i in incidents(context)) == [
        "iam.passrole",
        "s3.no_such_bucket",
    ]


def test_reclassifying_after_retention_took_the_roots_text_still_reads_replies_in_their_thread(
    context,
):
    """Retention deletes an old root's text before its replies': the root still says who asked
    and what they reported, so the replies are judged as when they arrived."""
    context.ingestor.add(msg(ROOT, UPLOAD_FAILED))
    for ts, user, text in THREAD_REPLIES:
        context.ingestor.add(msg(ts, text, user, ROOT))
    assert judged_replies(context) == THREAD_JUDGED
    between = datetime.fromtimestamp(float(ROOT) + 50, UTC)  # after the root, before its replies
    assert apply_retention(context, days=1, now=between + timedelta(days=1)) == 1
    assert context.ingestor.reclassify() == {}
    assert judged_replies(context) == THREAD_JUDGED
    [incident] = incidents(context)
    assert incident.signature_id == "s3.no_such_bucket"


TIMED_OUT = (
    "lab 5: my lambda keeps failing with Task timed out after 10.00 seconds when it calls S3"
)
FOUND_IT = "Turned out my lambda was in a VPC without a NAT gateway, added one and it works now"


def test_the_cause_the_asker_finds_later_moves_the_incident_and_deleting_it_moves_it_back(
    context,
):
    """A helper's guess moves nothing; the asker's own finding files the incident under the
    layer it names, whichever order the rows arrive in, and a deleted finding no longer counts."""
    context.ingestor.add(msg(ROOT, TIMED_OUT))
    context.ingestor.add(msg("1731330100.000100", f"Maybe this: {FOUND_IT}", TA, ROOT))
    assert [i.signature_id for i in incidents(context)] == ["lambda.timeout"]
    context.ingestor.add(msg("1731330200.000200", FOUND_IT, LEARNER, ROOT))
    [incident] = incidents(context)
    assert (incident.domain_id, incident.signature_id) == ("vpc", "vpc.connectivity")
    assert incident.resolved_at is not None  # "now it works" still resolves it
    context.ingestor.delete(TEAM, CHANNEL, "1731330200.000200")
    assert [i.signature_id for i in incidents(context)] == ["lambda.timeout"]


def test_the_ledger_and_the_scorer_take_the_same_report_as_the_threads_incident(context):
    """A vague root, then the asker's error, then the cause: the error is the incident the
    cause moves, in the ledger and in `friction eval`'s reading of the same thread alike."""
    thread = [
        (ROOT, "my lambda function for lab 3 keeps failing and I am stuck"),
        ("1731330100.000100", "now it says Task timed out after 10.00 seconds"),
        ("1731330200.000200", FOUND_IT),
    ]
    read = classify_thread(context.ingestor.classifier.classify, [(t, ASKER) for _, t in thread])
    assert [r.signature for r in read] == ["lambda.other", "vpc.connectivity", None]
    for ts, text in thread:
        context.ingestor.add(msg(ts, text, LEARNER, None if ts == ROOT else ROOT))
    assert [i.signature_id for i in incidents(context)] == ["vpc.connectivity"]


def test_a_human_tag_outranks_the_cause_the_asker_found(context):
    context.ingestor.add(msg(ROOT, TIMED_OUT))
    tag_by_hand(context, [ROOT], "lambda.sdk_config")
    context.ingestor.add(msg("1731330200.000200", FOUND_IT, LEARNER, ROOT))
    assert [i.signature_id for i in incidents(context)] == ["lambda.sdk_config"]


def test_chatter_opens_no_incident(context):
    context.ingestor.add(msg("1731335000.004400", "when is lab 3 due?"))
    context.ingestor.add(msg("1731335100.004500", "thanks!! that worked"))
    assert incidents(context) == []


def test_an_error_in_the_askers_reply_makes_the_thread_an_incident(context):
    context.ingestor.add(msg(ROOT, "hey, lab 4 upload is not working for me"))
    context.ingestor.add(msg("1731330100.000200", UPLOAD_FAILED, LEARNER, ROOT))
    [incident] = incidents(context)
    assert incident.signature_id == "s3.no_such_bucket"
    assert incident.opened_at == datetime.fromtimestamp(float(ROOT), UTC)


def test_an_edit_reclassifies_unless_a_human_tagged_it(context):
    context.ingestor.add(msg(ROOT, UPLOAD_FAILED))
    context.ingestor.add(msg(ROOT, PASSROLE, edited_ts="1731330050.000000"))
    [incident] = incidents(context)
    assert incident.signature_id == "iam.passrole"
    tag_by_hand(context, [ROOT], "lambda.other")
    context.ingestor.add(msg(ROOT, UPLOAD_FAILED, edited_ts="1731330090.000000"))
    [incident] = incidents(context)
    assert (incident.signature_id, incident.human_tagged) == ("lambda.other", True)


def test_deleting_the_root_removes_message_text_and_incident(context):
    context.ingestor.add(msg(ROOT, PASSROLE))
    context.ingestor.add(msg("1731330120.002200", "Use the existing LabRole", TA, ROOT))
    assert context.ingestor.delete(TEAM, CHANNEL, ROOT).action == "deleted"
    assert incidents(context) == []
    with Session(context.engine) as session:
        texts = session.execute(select(Message.text)).scalars().all()
    assert texts == ["Use the existing LabRole"]
    assert context.ingestor.delete(TEAM, CHANNEL, ROOT).action == "ignored"


def test_reaction_resolves_and_sets_downtime_and_removal_reopens(context):
    context.ingestor.add(msg(ROOT, PASSROLE))
    resolved_at = datetime.fromtimestamp(float(ROOT) + 1800, UTC)
    context.ingestor.react(TEAM, CHANNEL, ROOT, "white_check_mark", True, resolved_at)
    [incident] = incidents(context)
    assert (incident.resolved_by, incident.downtime_seconds) == ("reaction", 1800)
    context.ingestor.react(TEAM, CHANNEL, ROOT, "white_check_mark", False, resolved_at)
    [incident] = incidents(context)
    assert incident.resolved_at is None and incident.downtime_seconds is None


def test_other_emoji_change_nothing(context):
    context.ingestor.add(msg(ROOT, PASSROLE))
    outcome = context.ingestor.react(TEAM, CHANNEL, ROOT, "eyes", True, datetime.now(UTC))
    assert outcome.action == "ignored"
    assert incidents(context)[0].resolved_at is None


def test_the_asker_saying_it_worked_resolves_the_incident(context):
    context.ingestor.add(msg(ROOT, PASSROLE))
    context.ingestor.add(msg("1731330120.002200", "thanks! that worked", TA, ROOT))
    assert incidents(context)[0].resolved_at is None  # only the asker can say it works
    context.ingestor.add(msg("1731333600.000100", "thanks, that worked!", LEARNER, ROOT))
    [incident] = incidents(context)
    assert incident.resolved_by == "asker"
    assert incident.downtime_seconds == round(1731333600.0001 - 1731330000.0011)


def test_history_reaction_without_a_time_counts_resolved_without_downtime(context):
    context.ingestor.add(msg(ROOT, PASSROLE, resolution_reactions=("white_check_mark",)))
    [incident] = incidents(context)
    assert incident.resolved_by == "reaction"
    assert incident.resolved_at is not None and incident.downtime_seconds is None


def test_postgres_refuses_to_start_without_a_salt(pg_url):
    with pytest.raises(ConfigError, match="FRICTION_SALT"):
        open_context(Settings(), pg_url)


def test_sqlite_keeps_a_generated_salt_with_the_database(sqlite_url):
    url = sqlite_url
    first = open_context(Settings(), url).pseudonymize("U0456LRNR")
    assert open_context(Settings(), url).pseudonymize("U0456LRNR") == first


def two_replicas_at_once(db_url: str, write: Callable[[Ingestor, int], None]) -> Session:
    """Two replicas (each its own engine) call `write(ingestor, first ts)` in the same moment,
    with first ts 1731330000 and 1731340000; then a session on the ledger."""
    replicas = [open_context(Settings(FRICTION_SALT="test-salt"), db_url) for _ in range(2)]
    start = threading.Barrier(2)

    def run(ingestor: Ingestor, first: int) -> None:
        start.wait()
        write(ingestor, first)

    threads = [
        threading.Thread(target=run, args=(replica.ingestor, first))
        for replica, first in zip(replicas, (1731330000, 1731340000), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Session(replicas[0].engine)


def test_two_writers_meeting_new_channels_at_once_share_their_rows(db_url):
    def write(ingestor: Ingestor, first: int) -> None:
        ingestor.add_many(
            CapturedMessage(TEAM, f"C0NEW{n}", f"{first + n}.000100", "hi", LEARNER)
            for n in range(5)
        )

    with two_replicas_at_once(db_url, write) as session:
        rows = session.execute(
            select(Channel.channel_id, func.count(Message.id))
            .join(Message)
            .group_by(Channel.channel_id)
        ).all()
    assert sorted(rows) == [(f"C0NEW{n}", 2) for n in range(5)]


def test_incidents_name_their_own_roots_when_two_writers_insert_at_once(db_url):
    """New rows learn their ids without reading them back: two writers' rows must not mix."""

    def write(ingestor: Ingestor, first: int) -> None:
        batch = [msg(f"{first + n}.000100", PASSROLE if n % 2 else "hi all") for n in range(200)]
        ingestor.add_many(batch, batch=20)

    with two_replicas_at_once(db_url, write) as session:
        pairs = session.execute(
            select(Incident.root_ts, Message.ts).join(
                Message, Message.id == Incident.root_message_id
            )
        ).all()
    assert len(pairs) == 200 and all(root_ts == ts for root_ts, ts in pairs)


def test_a_renamed_channel_keeps_its_row_and_takes_the_new_name(context):
    context.ingestor.add(msg(ROOT, "hi", channel_name="help-lab4"))
    context.ingestor.add(msg("1731330120.002200", "hi again", channel_name="help-lab-4"))
    with Session(context.engine) as session:
        assert session.execute(select(Channel.name)).scalars().all() == ["help-lab-4"]
    assert count(context, Message) == 2


def test_listeners_hear_of_an_incident_once_it_is_committed(context):
    """An import commits every few batches; a listener told of an incident (the hints
    feature) must find it from its own connection."""
    heard: list[int] = []

    def look(ids: list[int]) -> None:
        with Session(context.engine) as session:
            heard.extend(i for i in ids if session.get(Incident, i) is not None)

    context.ingestor.opened_listeners.append(look)
    batch = [msg(f"17313{n:05d}.000100", PASSROLE) for n in range(30)]
    context.ingestor.add_read(((m, None) for m in batch), batch=4, per_commit=10)
    assert len(heard) == 30 == count(context, Incident)
