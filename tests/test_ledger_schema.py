"""The ledger's schema: migrated on first use, identical to the models, constraints enforced."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from storage.db import current_revision, head_revision, open_ledger
from storage.models import Channel, Domain, Message, Signature

TAXONOMY = (Path(__file__).parents[1] / "docs" / "taxonomy.md").read_text()


def test_an_empty_database_is_migrated_on_first_use(empty_db_url):
    engine = open_ledger(empty_db_url)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {
        "domain",
        "signature",
        "channel",
        "message",
        "incident",
        "tagevent",
        "digestrun",
        "alertstate",
    } <= tables


def test_migrations_build_exactly_the_models(db_url):
    engine = open_ledger(db_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_lookup_tables_hold_every_taxonomy_id_with_its_label(empty_db_url):
    """What the migrations seed (the template ledgers are also synced with the catalog)."""
    domains = dict(re.findall(r"^\| ([a-z0-9]+) \| ([^|]+?) \|$", TAXONOMY, re.M))
    domains.pop("id")
    signatures = set(re.findall(r"^\| ([a-z0-9]+\.[a-z_]+) \|", TAXONOMY, re.M))
    with Session(open_ledger(empty_db_url)) as session:
        stored_domains = {d.id: d.label for d in session.exec(select(Domain)).scalars()}
        stored_signatures = {s.id for s in session.exec(select(Signature)).scalars()}
    assert stored_domains == domains
    assert signatures <= stored_signatures
    assert {f"{d}.other" for d in domains} <= stored_signatures


def test_foreign_keys_are_enforced(db_url):
    with Session(open_ledger(db_url)) as session:
        session.add(Message(channel_pk=999, ts="1.0", posted_at=_now(), source="test"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_a_message_is_unique_per_team_channel_and_ts(db_url):
    with Session(open_ledger(db_url)) as session:
        channel = Channel(team_id="T1", channel_id="C1")
        session.add(channel)
        session.flush()
        for _ in range(2):
            session.add(Message(channel_pk=channel.id, ts="1.0", posted_at=_now(), source="t"))
        with pytest.raises(IntegrityError):
            session.commit()


def _now() -> datetime:
    return datetime.now(UTC)
