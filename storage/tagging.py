"""A TA's changes to an incident (tag, dismiss, resolve, reopen), each with a `tag_event` row.

A human tag is final: it sets `human_tagged`, and re-deriving a thread never changes a
human-tagged incident's domain or signature. A dismissal keeps the row (marked `dismissed`), so
re-ingesting the thread cannot bring the incident back, while every figure leaves it out.
Resolving and re-opening use the explicit resolutions of `storage.ledger`, which re-deriving
never undoes. Each function returns the audit row, or None when there was nothing to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from storage.ledger import incident_row, set_resolution
from storage.models import Channel, Incident, Message, TagEvent
from storage.queries import Window


class TagError(ValueError):
    """A change that makes no sense for this incident; the message says why, for the TA."""


def tag(
    session: Session,
    root: Message,
    domain_id: str,
    signature_id: str,
    *,
    actor_hash: str,
    at: datetime,
    note: str | None = None,
) -> TagEvent | None:
    """Label a thread's incident by hand; a thread the classifier missed gets one, human-tagged."""
    incident = incident_row(session, root.channel_pk, root.ts)
    if incident is None:
        incident = Incident(
            channel_pk=root.channel_pk,
            root_ts=root.ts,
            root_message_id=root.id,
            asker_hash=root.user_hash,
            opened_at=root.posted_at,
            domain_id=domain_id,
            signature_id=signature_id,
            confidence=root.confidence,
            classifier_version=root.classifier_version,
            attributes=dict(root.attributes),
        )
        old: tuple[str | None, str | None] = (None, None)
    elif (
        incident.human_tagged
        and not incident.dismissed
        and (incident.domain_id, incident.signature_id) == (domain_id, signature_id)
    ):
        return None
    else:
        old = (incident.domain_id, incident.signature_id)
    incident.domain_id, incident.signature_id = domain_id, signature_id
    incident.human_tagged = True
    incident.dismissed = False
    return _audit(session, incident, "tag", actor_hash, at, note, old, (domain_id, signature_id))


def dismiss(
    session: Session, incident: Incident, *, actor_hash: str, at: datetime, note: str | None = None
) -> TagEvent | None:
    """Mark an incident as not friction: it stays in the ledger, out of every figure."""
    if incident.dismissed:
        return None
    incident.dismissed = True
    incident.human_tagged = True
    old = (incident.domain_id, incident.signature_id)
    return _audit(session, incident, "dismiss", actor_hash, at, note, old, (None, None))


def resolve(
    session: Session, incident: Incident, *, actor_hash: str, at: datetime, note: str | None = None
) -> TagEvent | None:
    """Close an open incident now; its downtime runs from its first message until `at`."""
    _not_dismissed(incident, "resolved")
    if incident.resolved_at is not None:
        return None
    set_resolution(incident, at, "command")
    return _audit(session, incident, "resolve", actor_hash, at, note)


def reopen(
    session: Session, incident: Incident, *, actor_hash: str, at: datetime, note: str | None = None
) -> TagEvent | None:
    """Re-open a resolved incident for good: a later ✅ or "thanks" does not close it again."""
    _not_dismissed(incident, "re-opened")
    if incident.resolved_at is None:
        return None
    set_resolution(incident, None, "reopened")
    return _audit(session, incident, "reopen", actor_hash, at, note)


def _not_dismissed(incident: Incident, verb: str) -> None:
    if incident.dismissed:
        raise TagError(
            f"this thread was dismissed as not friction, so it cannot be {verb}; "
            "tag it with a domain or signature first"
        )


def _audit(
    session: Session,
    incident: Incident,
    action: str,
    actor_hash: str,
    at: datetime,
    note: str | None,
    old: tuple[str | None, str | None] = (None, None),
    new: tuple[str | None, str | None] = (None, None),
) -> TagEvent:
    session.add(incident)
    session.flush()
    event = TagEvent(
        incident_id=incident.id,
        actor_hash=actor_hash,
        action=action,
        old_domain_id=old[0],
        old_signature_id=old[1],
        new_domain_id=new[0],
        new_signature_id=new[1],
        note=note or None,
        at=at,
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class TagRow:
    """One audited change, with where its thread is (None once the thread was deleted)."""

    event: TagEvent
    channel_id: str | None
    root_ts: str | None
    signature_id: str | None


def recent_tags(session: Session, since: datetime, limit: int = 500) -> list[TagRow]:
    """Audited changes made at or after `since`, newest first."""
    query = (
        select(TagEvent, Channel.channel_id, Incident.root_ts, Incident.signature_id)
        .outerjoin(Incident, Incident.id == TagEvent.incident_id)
        .outerjoin(Channel, Channel.id == Incident.channel_pk)
        .where(TagEvent.at >= since)
        .order_by(TagEvent.at.desc(), TagEvent.id.desc())
        .limit(limit)
    )
    return [TagRow(*row) for row in session.exec(query)]


@dataclass(frozen=True, slots=True)
class TriageItem:
    """An incident the classifier was unsure of, which no TA has looked at yet."""

    channel_id: str
    root_ts: str
    signature_id: str
    confidence: float
    opened_at: datetime


def awaiting_triage(session: Session, window: Window, limit: int = 10) -> list[TriageItem]:
    """The least confident untagged incidents of `window`, least confident first.

    A dismissed incident is human-tagged, so it never awaits triage.
    """
    query = (
        select(
            Channel.channel_id,
            Incident.root_ts,
            Incident.signature_id,
            Incident.confidence,
            Incident.opened_at,
        )
        .join(Channel, Channel.id == Incident.channel_pk)
        .where(window.where(Incident.opened_at), Incident.needs_triage, ~Incident.human_tagged)
        .order_by(Incident.confidence, Incident.opened_at)
        .limit(limit)
    )
    return [TriageItem(*row) for row in session.exec(query)]
