"""Aggregations over the ledger, done by the database: counts, shares, downtime and medians.

Medians use window functions (ROW_NUMBER over each group), which SQLite and PostgreSQL both
run, so the same SQL answers on either backend without loading rows into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import Session

from storage.models import Channel, Domain, Incident, Message


@dataclass(frozen=True, slots=True)
class Window:
    """Which incidents and messages a figure covers: a time range and, optionally, channels."""

    since: datetime | None = None
    until: datetime | None = None
    channels: tuple[str, ...] = ()  # channel ids or names
    cohort: str | None = None

    def where(self, moment) -> ColumnElement[bool]:
        """The filter for rows timed by `moment`, joined to `channel`."""
        clauses = []
        if self.since is not None:
            clauses.append(moment >= self.since)
        if self.until is not None:
            clauses.append(moment < self.until)
        if self.channels:
            clauses.append(
                or_(Channel.channel_id.in_(self.channels), Channel.name.in_(self.channels))
            )
        if self.cohort is not None:
            clauses.append(Channel.cohort == self.cohort)
        return and_(True, *clauses)


@dataclass(frozen=True, slots=True)
class DomainFriction:
    domain: str
    label: str
    incidents: int
    resolved: int
    downtime_seconds: int
    median_seconds_to_resolve: float | None


@dataclass(frozen=True, slots=True)
class SignatureCount:
    signature: str
    domain: str
    incidents: int


def _incidents(window: Window):
    """The window's incidents, without those a TA dismissed as not friction."""
    return (
        select(Incident)
        .join(Channel, Channel.id == Incident.channel_pk)
        .where(window.where(Incident.opened_at), Incident.dismissed.is_(False))
        .subquery()
    )


def medians_by(key: ColumnElement, value: ColumnElement, *where: ColumnElement[bool]):
    """A subquery of (key, median): the median of `value` per `key`, NULLs left out.

    Rows are ranked within each key by window functions; the median is the middle row, or the
    mean of the middle two (hence integer division), on SQLite and PostgreSQL alike.
    """
    ranked = (
        select(
            key.label("key"),
            value.label("value"),
            func.row_number().over(partition_by=key, order_by=value).label("rn"),
            func.count().over(partition_by=key).label("n"),
        )
        .where(value.is_not(None), *where)
        .subquery()
    )
    return (
        select(ranked.c.key, func.avg(ranked.c.value).label("median"))
        .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
        .group_by(ranked.c.key)
        .subquery()
    )


def friction_by_domain(session: Session, window: Window) -> list[DomainFriction]:
    """Per domain: incidents, resolved, hours blocked and median time to resolution."""
    inc = _incidents(window)
    totals = (
        select(
            inc.c.domain_id,
            func.count().label("incidents"),
            func.count(inc.c.resolved_at).label("resolved"),
            func.coalesce(func.sum(inc.c.downtime_seconds), 0).label("downtime"),
        )
        .group_by(inc.c.domain_id)
        .subquery()
    )
    medians = medians_by(inc.c.domain_id, inc.c.downtime_seconds)
    query = (
        select(
            totals.c.domain_id,
            Domain.label,
            totals.c.incidents,
            totals.c.resolved,
            totals.c.downtime,
            medians.c.median,
        )
        .join(Domain, Domain.id == totals.c.domain_id)
        .outerjoin(medians, medians.c.key == totals.c.domain_id)
        .order_by(totals.c.incidents.desc(), totals.c.domain_id)
    )
    return [
        DomainFriction(d, label, n, resolved, int(downtime), None if med is None else float(med))
        for d, label, n, resolved, downtime, med in session.execute(query)
    ]


def friction_by_signature(
    session: Session, window: Window, limit: int = 10
) -> list[SignatureCount]:
    """The most frequent signatures, most first."""
    inc = _incidents(window)
    query = (
        select(inc.c.signature_id, inc.c.domain_id, func.count().label("n"))
        .group_by(inc.c.signature_id, inc.c.domain_id)
        .order_by(func.count().desc(), inc.c.signature_id)
        .limit(limit)
    )
    return [SignatureCount(s, d, n) for s, d, n in session.execute(query)]


def message_count(session: Session, window: Window) -> int:
    query = (
        select(func.count())
        .select_from(Message)
        .join(Channel, Channel.id == Message.channel_pk)
        .where(window.where(Message.posted_at))
    )
    return session.execute(query).scalar_one()


def open_and_triage_counts(session: Session, window: Window) -> tuple[int, int]:
    """How many incidents are still open, and how many await a TA's triage."""
    inc = _incidents(window)
    query = select(
        func.count().filter(inc.c.resolved_at.is_(None)),
        func.count().filter(inc.c.needs_triage & ~inc.c.human_tagged),
    )
    opened, triage = session.execute(query).one()
    return opened, triage
