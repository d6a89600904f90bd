"""What the ledger erases on request or with age: a person's traces, and old message text.

A forgotten person is remembered so that re-importing an export or backfilling history does not
bring them back, but not by their hash: by a SHA-256 of it (`forgotten-sha256:<digest>`), so the
hash that stood for them in the ledger, and still does in exports made before, is in no file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from storage.ledger import set_meta
from storage.models import Incident, Message, Meta, TagEvent

_FORGOTTEN = "forgotten-sha256:"


def forgotten_key(user_hash: str) -> str:
    """The meta key remembering that `user_hash` was forgotten, without holding it."""
    return _FORGOTTEN + hashlib.sha256(user_hash.encode()).hexdigest()[:32]


def messages_by(session: Session, user_hash: str) -> list[Message]:
    """Every message the person posted."""
    return list(session.exec(select(Message).where(Message.user_hash == user_hash)))


def anonymise_actor(session: Session, user_hash: str) -> int:
    """Drop the person from the audit trail of tags (the changes stay, unattributed)."""
    events = session.execute(
        update(TagEvent).where(TagEvent.actor_hash == user_hash).values(actor_hash=None)
    ).rowcount
    session.execute(
        update(Incident).where(Incident.asker_hash == user_hash).values(asker_hash=None)
    )
    return events


def mark_forgotten(session: Session, user_hash: str, at: datetime) -> None:
    set_meta(session, forgotten_key(user_hash), at.isoformat())


def forgotten_among(session: Session, hashes: Iterable[str | None]) -> set[str]:
    """Which of these people asked to be forgotten (one query for a whole batch)."""
    keys = {forgotten_key(h): h for h in hashes if h}
    if not keys:
        return set()
    found = session.execute(select(Meta.key).where(Meta.key.in_(keys))).scalars()
    return {keys[key] for key in found}


def expire_text(session: Session, before: datetime) -> int:
    """Delete the text (and what was read from it) of messages posted before `before`.

    Incidents keep their counts, times, domains and signatures: the figures do not change.
    """
    return session.execute(
        update(Message)
        .where(Message.posted_at < before, Message.text.is_not(None))
        .values(text=None, attributes={})
    ).rowcount


def checkpoint(engine: Engine) -> None:
    """Move SQLite's WAL into the file and truncate it, so deleted text leaves the disk."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
