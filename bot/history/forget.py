"""`friction forget-user` and retention: the ledger lets go of a person, and of old text.

Forgetting deletes every message the person posted through `Ingestor.remove`, so incidents and
threads follow exactly as when Slack deletes a message, then removes their hash from the audit
trail and remembers (as a hash) not to capture them again, all in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from bot.context import Context
from storage.erasure import (
    anonymise_actor,
    checkpoint,
    expire_text,
    mark_forgotten,
    messages_by,
)


@dataclass(frozen=True, slots=True)
class Forgotten:
    messages: int
    incidents: int
    tag_events: int


def forget_user(context: Context, user_id: str, now: datetime | None = None) -> Forgotten:
    """Delete all the user's messages (matched by their hash) and unattribute their tags."""
    if not user_id.strip() or not user_id[:1].isalpha():
        raise ValueError(f"{user_id!r} is not a Slack user id (like U0456LRNR)")
    user_hash = context.pseudonymize(user_id.strip())
    with Session(context.engine) as session:
        rows = messages_by(session, user_hash)
        incidents = context.ingestor.remove(session, rows)
        events = anonymise_actor(session, user_hash)
        mark_forgotten(session, user_hash, now or datetime.now(UTC))
        session.commit()
    checkpoint(context.engine)
    return Forgotten(messages=len(rows), incidents=incidents, tag_events=events)


def apply_retention(context: Context, days: int | None = None, now: datetime | None = None) -> int:
    """Delete the text of messages older than `days` (default: `[retention] retention_days`).

    Returns how many messages lost their text. Callable from a scheduler as from the CLI.
    """
    days = days or context.settings.file.retention.retention_days
    if not days or days < 1:
        raise ValueError(
            "no retention configured: set retention_days under [retention] in the file "
            "FRICTION_CONFIG names, or pass --days"
        )
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    with Session(context.engine) as session:
        expired = expire_text(session, cutoff)
        session.commit()
    checkpoint(context.engine)
    return expired
