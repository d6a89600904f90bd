"""The figures behind a fix's before/after comparison, counted by the database.

Both sides are read in one pass over `[at - window, at + window)`: incidents of the fix's
target (its signature, or any signature of its domain), the distinct people who started a
thread (the active learners), and the median time to resolution on each side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlmodel import Session

from storage.models import Channel, Fix, Incident, Message
from storage.queries import cohort_clause, medians_by


@dataclass(frozen=True, slots=True)
class SideFigures:
    """One side of a fix (the window before it, or the window after)."""

    incidents: int
    learners: int  # distinct pseudonymised people who started a thread
    median_seconds_to_resolve: float | None


def before_after(session: Session, fix: Fix, window: timedelta) -> tuple[SideFigures, SideFigures]:
    """The target's figures over `[at - window, at)` and `[at, at + window)`."""
    since, until = fix.at - window, fix.at + window
    scope = cohort_clause(fix.cohort)
    target = (
        Incident.signature_id == fix.signature_id
        if fix.signature_id
        else Incident.domain_id == fix.domain_id
    )
    inc = (
        select((Incident.opened_at >= fix.at).label("after"), Incident.downtime_seconds)
        .join(Channel, Channel.id == Incident.channel_pk)
        .where(
            Incident.opened_at >= since,
            Incident.opened_at < until,
            Incident.dismissed.is_(False),
            target,
            scope,
        )
        .subquery()
    )
    counts = select(
        func.count().filter(inc.c.after.is_(False)), func.count().filter(inc.c.after.is_(True))
    )
    incidents = session.execute(counts).one()
    medians = dict(session.execute(select(medians_by(inc.c.after, inc.c.downtime_seconds))).all())
    later = Message.posted_at >= fix.at
    people = (
        select(
            func.count(Message.user_hash.distinct()).filter(~later),
            func.count(Message.user_hash.distinct()).filter(later),
        )
        .join(Channel, Channel.id == Message.channel_pk)
        .where(
            Message.posted_at >= since,
            Message.posted_at < until,
            or_(Message.thread_ts.is_(None), Message.thread_ts == Message.ts),
            scope,
        )
    )
    learners = session.execute(people).one()
    before, after = (
        SideFigures(incidents[i], learners[i], _float(medians.get(side)))
        for i, side in enumerate((False, True))
    )
    return before, after


def _float(value) -> float | None:
    return None if value is None else float(value)
