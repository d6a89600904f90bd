"""Hints in learners' threads: claimed once per thread, answered once, switched off per signature.

A hint is claimed by inserting its row before anything is posted: the unique incident lets one
claim win, whichever replica or redelivered event asks. An answer is a compare-and-set on an
unanswered outcome, so a double click (or Slack retrying the interaction) counts once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from storage.claims import insert_once
from storage.ledger import set_resolution
from storage.models import Hint, HintSwitch, Incident

FIXED = "fixed"
NOT_IT = "not_it"
OUTCOMES = (FIXED, NOT_IT)


def claim_hint(session: Session, incident: Incident, now: datetime) -> Hint | None:
    """The new hint row for the incident's thread, or None when its thread already had one."""
    hint = Hint(incident_id=incident.id, signature_id=incident.signature_id, claimed_at=now)
    return insert_once(session, hint)


def record_post(session: Session, hint: Hint, message_ts: str) -> None:
    """Remember the hint's message, so figures count it as posted."""
    hint.message_ts = message_ts
    session.add(hint)
    session.commit()


def thread_hint(session: Session, channel_pk: int, root_ts: str) -> tuple[Hint, Incident] | None:
    """The hint posted in a thread, with the thread's incident."""
    row = session.exec(
        select(Hint, Incident)
        .join(Incident, Incident.id == Hint.incident_id)
        .where(Incident.channel_pk == channel_pk, Incident.root_ts == root_ts)
    ).first()
    return (row[0], row[1]) if row else None


def answer_hint(
    session: Session, hint: Hint, incident: Incident, outcome: str, actor_hash: str, now: datetime
) -> bool:
    """Record the first answer to a hint; False when it had one already.

    "fixed" resolves the incident now (`resolved_by = hint`, downtime from its first message)
    unless it is resolved or dismissed already; "not it" asks for a TA, for good.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"a hint's outcome is one of {OUTCOMES}, not {outcome!r}")
    answered = session.execute(
        update(Hint)
        .where(Hint.id == hint.id, Hint.outcome.is_(None))
        .values(outcome=outcome, outcome_at=now, outcome_by_hash=actor_hash)
    )
    if answered.rowcount != 1:
        session.rollback()
        return False
    if outcome == FIXED and incident.resolved_at is None and not incident.dismissed:
        set_resolution(incident, now, "hint")
    elif outcome == NOT_IT:
        incident.triage_requested = True
        incident.needs_triage = True
    session.add(incident)
    session.commit()
    session.refresh(hint)
    return True


def hint_disabled(session: Session, signature_id: str) -> bool:
    switch = session.get(HintSwitch, signature_id)
    return switch is not None and switch.disabled


def switch_hint(
    session: Session, signature_id: str, *, disabled: bool, actor_hash: str, now: datetime
) -> bool:
    """Turn a signature's hint off (or on again); False when it already was."""
    switch = session.get(HintSwitch, signature_id)
    if (switch.disabled if switch else False) == disabled:
        return False
    switch = switch or HintSwitch(signature_id=signature_id, disabled=disabled, at=now)
    switch.disabled, switch.actor_hash, switch.at = disabled, actor_hash, now
    session.add(switch)
    session.commit()
    return True


def disabled_hints(session: Session) -> list[str]:
    """Signatures whose hint a TA turned off."""
    query = select(HintSwitch.signature_id).where(HintSwitch.disabled)
    return sorted(session.exec(query.order_by(HintSwitch.signature_id)))
