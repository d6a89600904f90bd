"""A large import reads (parses, redacts, classifies) in a worker process: the ledger must not
notice."""

import json
from datetime import UTC
from pathlib import Path

from sqlmodel import Session, select
from support.demo_ledger import COHORT

from bot.config import Settings
from bot.context import open_context
from bot.history.export_reader import ExportReader
from bot.ingest.ingestor import DEFAULT_RESOLUTION_EMOJI
from bot.ingest.reading import read_export
from classifiers import classify, is_resolution
from storage.models import Channel, Incident, Message

DEV_SET = Path(__file__).parent / "data" / "dev.jsonl"


def ingest(url: str, *, parallel: bool) -> dict:
    """The demo cohort in small batches, read in-process (`add_many`) or, as `friction import`
    does, 4 day files per task in the reading worker (`add_read`); then the ledger as values."""
    context = open_context(Settings(FRICTION_SALT="salt"), url)
    with ExportReader(COHORT, DEFAULT_RESOLUTION_EMOJI) as reader:
        if parallel:
            classifier = context.ingestor.classifier
            days = reader.day_files()
            pairs = read_export(classifier, reader, days, reader.team_id(), per_task=4)
            counts = context.ingestor.add_read(pairs, batch=64)
        else:
            counts = context.ingestor.add_many(reader, batch=64)
    with Session(context.engine) as session:
        channels = dict(session.execute(select(Channel.id, Channel.channel_id)).all())
        messages = {
            (channels[m.channel_pk], m.ts): (
                m.text,
                m.thread_ts,
                m.user_hash,
                m.posted_at.replace(tzinfo=UTC),
                m.is_incident,
                m.resolves,
                m.domain_id,
                m.signature_id,
                m.confidence,
                m.attributes,
                m.resolution_reaction,
            )
            for m in session.exec(select(Message))
        }
        incidents = {
            (channels[i.channel_pk], i.root_ts): (
                i.signature_id,
                i.confidence,
                i.needs_triage,
                i.resolved_by,
                i.resolved_at and i.resolved_at.replace(tzinfo=UTC),
                i.downtime_seconds,
                i.attributes,
            )
            for i in session.exec(select(Incident))
        }
    return {"counts": counts, "messages": messages, "incidents": incidents}


def test_a_parallel_import_stores_what_an_in_process_one_does(db_url, new_sqlite_ledger):
    in_process = ingest(new_sqlite_ledger("in_process.db"), parallel=False)
    parallel = ingest(db_url, parallel=True)
    assert in_process["counts"]["stored"] > 10 * 64  # enough batches for the worker to run
    assert sum(resolves for *_, resolves, _d, _s, _c, _a, _r in in_process["messages"].values())
    assert parallel == in_process


def test_a_parallel_reimport_changes_nothing(sqlite_url):
    url = sqlite_url
    first = ingest(url, parallel=True)
    again = ingest(url, parallel=True)
    assert set(again["counts"]) == {"unchanged"}
    assert (again["messages"], again["incidents"]) == (first["messages"], first["incidents"])


def test_one_pass_says_whether_a_reply_reports_a_fix():
    texts = [json.loads(line)["text"] for line in DEV_SET.read_text().splitlines()]
    texts += ["thanks, that worked!", "fixed it, thank you", "thanks but it still fails"]
    for text in texts:
        assert classify(text, reply=True).says_resolved == is_resolution(text), text
