"""Aggregations over the ledger, done by the database: the one path for per-domain figures.

The report, the digest, App Home and `/friction stats` all read their per-domain rows from
`domain_periods` and their top signatures from `top_signatures`, so every view shows the same
figures. Each query reads the covering index on `opened_at` once for the range it needs and
answers for every cohort and for all of them together: rows are grouped per cohort, and the
overall figures are the sum of those groups (a UNION ALL over the grouped CTE, a ROLLUP both
backends run). The current and the previous period are counted in the same pass (with
FILTER). There is one median (`middle`): rows are ranked by window functions and the middle
one, or the mean of the middle two, is kept, so the same SQL answers on SQLite and PostgreSQL
without loading incident rows into Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    cast,
    false,
    func,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlmodel import Session

from storage.models import Channel, Domain, Incident, Message, Signature

NO_COHORT = ""  # how channels without a cohort are keyed in per-cohort figures


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
class DomainPeriods:
    """One domain's figures in a window and in the period before it, in one cohort or all."""

    cohort: str | None  # None: every cohort together
    domain: str
    label: str
    incidents: int
    previous_incidents: int  # 0 when no previous period was asked for
    resolved: int
    downtime_seconds: int
    previous_downtime_seconds: int
    median_seconds_to_resolve: float | None
    open_incidents: int  # opened in the window and still open
    awaiting_triage: int  # opened in the window and still untriaged


@dataclass(frozen=True, slots=True)
class SignatureFigures:
    signature: str
    domain: str
    title: str
    hint: str | None
    incidents: int


def cohort_clause(cohort: str | None) -> ColumnElement[bool]:
    """Filter on a cohort: None is every cohort, NO_COHORT the channels without one."""
    if cohort is None:
        return and_(True)
    if cohort == NO_COHORT:
        return Channel.cohort.is_(None)
    return Channel.cohort == cohort


INCIDENT_COLUMNS = (
    Incident.opened_at,
    Incident.domain_id,
    Incident.signature_id,
    Incident.resolved_at,
    Incident.downtime_seconds,
    Incident.needs_triage,
    Incident.human_tagged,
    Incident.root_ts,
    Channel.channel_id,
)
"""What the report, digest and alerts read of an incident (`counted_incidents`' default)."""


def counted_incidents(
    window: Window, *, domains: Sequence[str] = (), columns: Sequence[Any] = INCIDENT_COLUMNS
):
    """Counted incidents (not dismissed) opened in `window`: `columns` and the channel's cohort.

    The one place that says which incidents count; callers that read an index only (the
    response figures) pass just that index's columns."""
    clauses = [window.where(Incident.opened_at), Incident.dismissed.is_(False)]
    if domains:
        clauses.append(Incident.domain_id.in_(domains))
    return (
        select(*columns, func.coalesce(Channel.cohort, NO_COHORT).label("cohort"))
        .join(Channel, Channel.id == Incident.channel_pk)
        .where(*clauses)
        .subquery()
    )


def domain_periods(
    session: Session, window: Window, previous_since: datetime | None = None
) -> list[DomainPeriods]:
    """Per cohort and domain, and per domain over every cohort (cohort None): the window's
    figures and, given `previous_since`, the previous period's [previous_since, since).

    One pass counts both periods per (cohort, domain); another ranks the window's downtimes
    within their (cohort, domain) and within their domain and keeps each group's middle rows
    (sum and count), so the overall median is the rollup of the cohorts' middle rows, exact.
    """
    if previous_since is None:
        inc = counted_incidents(window)
        now, before = true(), false()
    else:
        assert window.since is not None, "a window with a previous period has a start"
        inc = counted_incidents(replace(window, since=previous_since))
        now = inc.c.opened_at >= window.since
        before = ~now
    counts = (
        select(
            inc.c.cohort,
            inc.c.domain_id,
            func.count().filter(now).label("incidents"),
            func.count().filter(before).label("previous"),
            func.count(inc.c.resolved_at).filter(now).label("resolved"),
            func.coalesce(func.sum(inc.c.downtime_seconds).filter(now), 0).label("downtime"),
            func.coalesce(func.sum(inc.c.downtime_seconds).filter(before), 0).label("prev_down"),
            func.count().filter(now, inc.c.resolved_at.is_(None)).label("open"),
            func.count().filter(now, inc.c.needs_triage, ~inc.c.human_tagged).label("triage"),
            func.count(inc.c.downtime_seconds).filter(now).label("timed"),
        )
        .group_by(inc.c.cohort, inc.c.domain_id)
        .cte("counts")
    )
    middles = _middles(window, counts)
    c, m = counts.c, middles.c
    figures = ("incidents", "previous", "resolved", "downtime", "prev_down", "open", "triage")
    middle_sums = ("cohort_mid", "cohort_mid_n", "domain_mid", "domain_mid_n")
    groups = (
        select(c, *(func.coalesce(m[k], 0).label(k) for k in middle_sums))
        .outerjoin(middles, and_(m.cohort == c.cohort, m.domain_id == c.domain_id))
        .cte("groups")
    )
    g = groups.c
    levels = union_all(
        select(g.cohort, g.domain_id, *(g[f] for f in figures), g.cohort_mid, g.cohort_mid_n),
        select(
            null().label("cohort"),
            g.domain_id,
            *(func.sum(g[f]).label(f) for f in figures),
            func.sum(g.domain_mid),
            func.sum(g.domain_mid_n),
        ).group_by(g.domain_id),
    ).subquery()
    lv = levels.c
    query = (
        select(lv.cohort, lv.domain_id, Domain.label, *(lv[f] for f in figures))
        .add_columns(lv.cohort_mid, lv.cohort_mid_n)
        .join(Domain, Domain.id == lv.domain_id)
        .order_by(lv.incidents.desc(), lv.previous.desc(), lv.domain_id)
    )
    return [
        DomainPeriods(
            cohort,
            domain,
            label,
            *(int(n) for n in counts[:5]),
            median(mid, mid_n),
            *(int(n) for n in counts[5:]),
        )
        for cohort, domain, label, *counts, mid, mid_n in session.execute(query)
    ]


def overall_by_domain(session: Session, window: Window) -> list[DomainPeriods]:
    """`domain_periods` over every cohort together, without a previous period: the report's."""
    return [d for d in domain_periods(session, window) if d.cohort is None]


def _middles(window: Window, counts):
    """Per (cohort, domain): the sum and count of the median rows of the window's downtimes
    within the cohort (`cohort_mid`, `cohort_mid_n`) and within the domain over every cohort
    (`domain_mid`, `domain_mid_n`). `counts` has each group's number of downtimes (`timed`).

    Rows are ranked by window functions and only the middle ones are kept before grouping.
    The ranked rows are the outer side of LEFT JOINs to the small `counts`, so SQLite streams
    them instead of materialising and indexing them.
    """
    inc = counted_incidents(window)
    value = inc.c.downtime_seconds
    ranked = (
        select(
            inc.c.cohort,
            inc.c.domain_id,
            value,
            func.row_number()
            .over(partition_by=(inc.c.cohort, inc.c.domain_id), order_by=value)
            .label("cohort_rank"),
            func.row_number()
            .over(partition_by=inc.c.domain_id, order_by=value)
            .label("domain_rank"),
        )
        .where(value.is_not(None))
        .subquery()
    )
    domain_n = (  # a SUM of counts is NUMERIC on PostgreSQL: cast for integer division
        select(counts.c.domain_id, cast(func.sum(counts.c.timed), Integer).label("n"))
        .group_by(counts.c.domain_id)
        .subquery()
    )
    r, c, d = ranked.c, counts.c, domain_n.c
    in_cohort = middle(r.cohort_rank, c.timed)
    in_domain = middle(r.domain_rank, d.n)
    return (
        select(
            r.cohort,
            r.domain_id,
            *_middle_rows("cohort", in_cohort, value=r.downtime_seconds),
            *_middle_rows("domain", in_domain, value=r.downtime_seconds),
        )
        .select_from(ranked)
        .outerjoin(counts, and_(c.cohort == r.cohort, c.domain_id == r.domain_id))
        .outerjoin(domain_n, d.domain_id == r.domain_id)
        .where(or_(in_cohort, in_domain))
        .group_by(r.cohort, r.domain_id)
        .subquery()
    )


def middle(rank: ColumnElement, count: ColumnElement) -> ColumnElement[bool]:
    """Whether a row ranked `rank` (from 1) of `count` is the median row or one of the middle
    two (hence integer division); a median is the mean of the rows this keeps."""
    return or_(rank == (count + 1) // 2, rank == (count + 2) // 2)


def median(total, count) -> float | None:
    """A median from the sum and count of its middle rows; None when nothing was timed."""
    return float(total) / int(count) if count else None


def _middle_rows(name: str, is_middle: ColumnElement[bool], *, value: ColumnElement) -> tuple:
    """`<name>_mid` and `<name>_mid_n`: the sum and count of a group's median rows."""
    return (
        func.coalesce(func.sum(value).filter(is_middle), 0).label(f"{name}_mid"),
        func.count().filter(is_middle).label(f"{name}_mid_n"),
    )


def medians_by(key: ColumnElement, value: ColumnElement):
    """A subquery of (key, median): the median of `value` per `key`, NULLs left out."""
    ranked = (
        select(
            key.label("key"),
            value.label("value"),
            func.row_number().over(partition_by=key, order_by=value).label("rn"),
            func.count().over(partition_by=key).label("n"),
        )
        .where(value.is_not(None))
        .subquery()
    )
    return (
        select(ranked.c.key, func.avg(ranked.c.value).label("median"))
        .where(middle(ranked.c.rn, ranked.c.n))
        .group_by(ranked.c.key)
        .subquery()
    )


def top_signatures(
    session: Session, window: Window, limit: int, *, domains: Sequence[str] = ()
) -> dict[str | None, list[SignatureFigures]]:
    """Per cohort, and over every cohort (key None): the most frequent signatures in the
    window, with their title and remediation hint, most first."""
    inc = counted_incidents(window, domains=domains)
    groups = (
        select(inc.c.cohort, inc.c.signature_id, func.count().label("n"))
        .group_by(inc.c.cohort, inc.c.signature_id)
        .cte("signature_groups")
    )
    g = groups.c
    levels = union_all(
        select(g.cohort, g.signature_id, g.n),
        select(null().label("cohort"), g.signature_id, func.sum(g.n).label("n")).group_by(
            g.signature_id
        ),
    ).subquery()
    ranked = select(
        levels,
        func.row_number()
        .over(partition_by=levels.c.cohort, order_by=(levels.c.n.desc(), levels.c.signature_id))
        .label("rn"),
    ).subquery()
    query = (
        select(
            ranked.c.cohort,
            Signature.id,
            Signature.domain_id,
            Signature.title,
            Signature.hint,
            ranked.c.n,
        )
        .join(Signature, Signature.id == ranked.c.signature_id)
        .where(ranked.c.rn <= limit)
        .order_by(ranked.c.rn)
    )
    found: dict[str | None, list[SignatureFigures]] = {}
    for cohort, signature, domain, title, hint, n in session.execute(query):
        found.setdefault(cohort, []).append(
            SignatureFigures(signature, domain, title, hint, int(n))
        )
    return found


def incident_count(session: Session, window: Window) -> int:
    """How many incidents count in `window` (see `counted_incidents`)."""
    counted = counted_incidents(window, columns=(Incident.id,))
    return session.execute(select(func.count()).select_from(counted)).scalar_one()


def message_count(session: Session, window: Window) -> int:
    query = (
        select(func.count())
        .select_from(Message)
        .join(Channel, Channel.id == Message.channel_pk)
        .where(window.where(Message.posted_at))
    )
    return session.execute(query).scalar_one()
