"""Nudges about unanswered threads: claimed once per incident, posted, updated once answered.

Like hints, a nudge is claimed by inserting its row before anything is posted, so however many
replicas or runs ask, one message per thread is posted; a failed post gives the claim back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, select

from storage.claims import insert_once
from storage.models import Channel, Incident, Nudge


def claim_nudge(session: Session, incident_id: int, channel_id: str, now: datetime) -> Nudge | None:
    """The new nudge row for the incident, or None when it was nudged (or claimed) already."""
    return insert_once(
        session, Nudge(incident_id=incident_id, channel_id=channel_id, claimed_at=now)
    )


def record_nudge(session: Session, nudge: Nudge, message_ts: str | None) -> None:
    """Remember the posted message; None gives the claim back (the post failed)."""
    if message_ts is None:
        session.delete(nudge)
    else:
        nudge.message_ts = message_ts
        session.add(nudge)
    session.commit()


def nudged_ids(session: Session, incident_ids: list[int]) -> set[int]:
    """Which of these incidents were nudged already."""
    query = select(Nudge.incident_id).where(Nudge.incident_id.in_(incident_ids))
    return set(session.exec(query))


def answered_nudges(session: Session) -> list[tuple[Nudge, Incident, str]]:
    """Posted nudges not yet updated whose thread got a human reply or was resolved since,
    with the thread's channel id."""
    query = (
        select(Nudge, Incident, Channel.channel_id)
        .join(Incident, Incident.id == Nudge.incident_id)
        .join(Channel, Channel.id == Incident.channel_pk)
        .where(
            Nudge.message_ts.is_not(None),
            Nudge.answered_at.is_(None),
            or_(Incident.first_reply_at.is_not(None), Incident.resolved_at.is_not(None)),
        )
        .order_by(Nudge.id)
    )
    return [(n, i, c) for n, i, c in session.exec(query)]


def mark_answered(session: Session, nudge: Nudge, now: datetime) -> None:
    nudge.answered_at = now
    session.add(nudge)
    session.commit()
