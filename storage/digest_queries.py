"""Aggregations behind the weekly digest and the spike alerts, done by the database.

Each query scans the incident index on `opened_at` for the range it needs; the current and the
previous period are counted in one pass (with FILTER), and medians use window functions, so the
same SQL answers on SQLite and PostgreSQL without loading incident rows into Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlmodel import Session

from storage.models import Channel, Domain, Incident, Signature
from storage.queries import Window, medians_by

NO_COHORT = ""  # how channels without a cohort are keyed in per-cohort figures


@dataclass(frozen=True, slots=True)
class DomainPeriods:
    """One domain's figures in a period and in the period before it."""

    domain: str
    label: str
    incidents: int
    previous_incidents: int
    resolved: int
    downtime_seconds: int
    previous_downtime_seconds: int
    median_seconds_to_resolve: float | None


@dataclass(frozen=True, slots=True)
class SignatureFigures:
    signature: str
    domain: str
    title: str
    hint: str | None
    incidents: int


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """Where an incident's thread is in Slack."""

    channel_id: str
    ts: str


@dataclass(frozen=True, slots=True)
class SpikeCounts:
    """New incidents of one domain in one cohort: now, at the same hour in past weeks, overall."""

    cohort: str
    domain: str
    current: int
    same_hour: tuple[int, ...]  # one count per past week, most recent first
    trailing: int  # every incident in the trailing weeks before the current window


def cohort_clause(cohort: str | None) -> ColumnElement[bool]:
    """Filter on a cohort: None is every cohort, NO_COHORT the channels without one."""
    if cohort is None:
        return and_(True)
    if cohort == NO_COHORT:
        return Channel.cohort.is_(None)
    return Channel.cohort == cohort


def _incidents(window: Window, *, domains: Sequence[str] = (), cohort: str | None = None):
    """Counted incidents (not dismissed) opened in `window`, with their channel's columns."""
    clauses = [
        window.where(Incident.opened_at),
        Incident.dismissed.is_(False),
        cohort_clause(cohort),
    ]
    if domains:
        clauses.append(Incident.domain_id.in_(domains))
    return (
        select(
            Incident.id,
            Incident.opened_at,
            Incident.domain_id,
            Incident.signature_id,
            Incident.resolved_at,
            Incident.downtime_seconds,
            Incident.root_ts,
            Channel.channel_id,
            func.coalesce(Channel.cohort, NO_COHORT).label("cohort"),
        )
        .join(Channel, Channel.id == Incident.channel_pk)
        .where(*clauses)
        .subquery()
    )


def domain_periods(
    session: Session, window: Window, previous_since: datetime
) -> list[DomainPeriods]:
    """Per domain: the window's figures and the previous period's [previous_since, since)."""
    assert window.since is not None, "a digest period has a start"
    inc = _incidents(Window(previous_since, window.until, window.channels, window.cohort))
    current = inc.c.opened_at >= window.since
    totals = (
        select(
            inc.c.domain_id,
            func.count().filter(current).label("incidents"),
            func.count().filter(~current).label("previous"),
            func.count(inc.c.resolved_at).filter(current).label("resolved"),
            func.coalesce(func.sum(inc.c.downtime_seconds).filter(current), 0).label("downtime"),
            func.coalesce(func.sum(inc.c.downtime_seconds).filter(~current), 0).label("prev_down"),
        )
        .group_by(inc.c.domain_id)
        .subquery()
    )
    medians = medians_by(inc.c.domain_id, inc.c.downtime_seconds, current)
    query = (
        select(
            totals.c.domain_id,
            Domain.label,
            totals.c.incidents,
            totals.c.previous,
            totals.c.resolved,
            totals.c.downtime,
            totals.c.prev_down,
            medians.c.median,
        )
        .join(Domain, Domain.id == totals.c.domain_id)
        .outerjoin(medians, medians.c.key == totals.c.domain_id)
        .order_by(totals.c.incidents.desc(), totals.c.previous.desc(), totals.c.domain_id)
    )
    return [
        DomainPeriods(d, label, n, prev, res, int(down), int(prev_down), _float(med))
        for d, label, n, prev, res, down, prev_down, med in session.execute(query)
    ]


def top_signatures(
    session: Session,
    window: Window,
    limit: int,
    *,
    domains: Sequence[str] = (),
    cohort: str | None = None,
) -> list[SignatureFigures]:
    """The most frequent signatures in the window, with their title and remediation hint."""
    inc = _incidents(window, domains=domains, cohort=cohort)
    counts = (
        select(inc.c.signature_id, func.count().label("n"))
        .group_by(inc.c.signature_id)
        .order_by(func.count().desc(), inc.c.signature_id)
        .limit(limit)
        .subquery()
    )
    query = (
        select(Signature.id, Signature.domain_id, Signature.title, Signature.hint, counts.c.n)
        .join(counts, counts.c.signature_id == Signature.id)
        .order_by(counts.c.n.desc(), Signature.id)
    )
    return [SignatureFigures(*row) for row in session.execute(query)]


def example_threads(
    session: Session,
    window: Window,
    signatures: Sequence[str],
    per_signature: int = 2,
    *,
    cohort: str | None = None,
) -> dict[str, list[ThreadRef]]:
    """For each signature, the threads that blocked learners longest (open ones last)."""
    if not signatures:
        return {}
    inc = _incidents(window, cohort=cohort)
    ranked = (
        select(
            inc.c.signature_id,
            inc.c.channel_id,
            inc.c.root_ts,
            func.row_number()
            .over(
                partition_by=inc.c.signature_id,
                order_by=(
                    func.coalesce(inc.c.downtime_seconds, -1).desc(),
                    inc.c.opened_at,
                    inc.c.id,
                ),
            )
            .label("rn"),
        )
        .where(inc.c.signature_id.in_(signatures))
        .subquery()
    )
    query = (
        select(ranked.c.signature_id, ranked.c.channel_id, ranked.c.root_ts)
        .where(ranked.c.rn <= per_signature)
        .order_by(ranked.c.signature_id, ranked.c.rn)
    )
    examples: dict[str, list[ThreadRef]] = {s: [] for s in signatures}
    for signature, channel_id, ts in session.execute(query):
        examples[signature].append(ThreadRef(channel_id, ts))
    return examples


def cohorts_with_incidents(session: Session, window: Window) -> list[str]:
    """The named cohorts that had counted incidents in the window, in name order."""
    inc = _incidents(window)
    query = select(inc.c.cohort).where(inc.c.cohort != NO_COHORT).distinct().order_by(inc.c.cohort)
    return list(session.execute(query).scalars())


def spike_counts(
    session: Session,
    domains: Sequence[str],
    now: datetime,
    recent: timedelta,
    weeks: int,
) -> list[SpikeCounts]:
    """Per cohort and domain: new incidents in [now - recent, now), in the same window 1..weeks
    weeks earlier, and in all of the trailing `weeks` weeks before the current window."""
    week = timedelta(weeks=1)
    start = now - weeks * week - recent
    inc = _incidents(Window(start, now), domains=domains)

    def between(since: datetime, until: datetime):
        return func.count().filter(inc.c.opened_at >= since, inc.c.opened_at < until)

    query = (
        select(
            inc.c.cohort,
            inc.c.domain_id,
            between(now - recent, now),
            *(between(now - k * week - recent, now - k * week) for k in range(1, weeks + 1)),
            between(start, now - recent),
        )
        .group_by(inc.c.cohort, inc.c.domain_id)
        .order_by(inc.c.cohort, inc.c.domain_id)
    )
    return [
        SpikeCounts(cohort, domain, current, tuple(rest[:-1]), rest[-1])
        for cohort, domain, current, *rest in session.execute(query)
    ]


def _float(value) -> float | None:
    return None if value is None else float(value)
