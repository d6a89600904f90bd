"""Aggregations behind the weekly digest and the spike alerts, done by the database.

Each query reads the covering index on `opened_at` once for the range it needs and answers for
every cohort and for all of them together: rows are grouped per cohort, and the overall figures
are the sum of those groups (a UNION ALL over the grouped CTE, a ROLLUP both backends run). The
current and the previous period are counted in the same pass (with FILTER), and medians use
window functions, so the same SQL answers on SQLite and PostgreSQL without loading incident
rows into Python. A digest is three queries, whatever the number of cohorts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Integer, and_, cast, func, null, or_, select, union_all
from sqlmodel import Session

from storage.models import Channel, Domain, Incident, Signature
from storage.queries import Window

NO_COHORT = ""  # how channels without a cohort are keyed in per-cohort figures


@dataclass(frozen=True, slots=True)
class DomainPeriods:
    """One domain's figures in a period and in the period before it, in one cohort or all."""

    cohort: str | None  # None: every cohort together
    domain: str
    label: str
    incidents: int
    previous_incidents: int
    resolved: int
    downtime_seconds: int
    previous_downtime_seconds: int
    median_seconds_to_resolve: float | None
    open_incidents: int  # opened in the period and still open
    awaiting_triage: int  # opened in the period and still untriaged


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


def _incidents(window: Window, *, domains: Sequence[str] = ()):
    """Counted incidents (not dismissed) opened in `window`, with their channel's columns."""
    clauses = [window.where(Incident.opened_at), Incident.dismissed.is_(False)]
    if domains:
        clauses.append(Incident.domain_id.in_(domains))
    return (
        select(
            Incident.opened_at,
            Incident.domain_id,
            Incident.signature_id,
            Incident.resolved_at,
            Incident.downtime_seconds,
            Incident.needs_triage,
            Incident.human_tagged,
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
    """Per cohort and domain, and per domain over every cohort (cohort None): the window's
    figures and the previous period's [previous_since, since).

    One pass counts both periods per (cohort, domain); another ranks the window's downtimes
    within their (cohort, domain) and within their domain and keeps each group's middle rows
    (sum and count), so the overall median is the rollup of the cohorts' middle rows, exact.
    """
    assert window.since is not None, "a digest period has a start"
    inc = _incidents(Window(previous_since, window.until, window.channels, window.cohort))
    now = inc.c.opened_at >= window.since
    counts = (
        select(
            inc.c.cohort,
            inc.c.domain_id,
            func.count().filter(now).label("incidents"),
            func.count().filter(~now).label("previous"),
            func.count(inc.c.resolved_at).filter(now).label("resolved"),
            func.coalesce(func.sum(inc.c.downtime_seconds).filter(now), 0).label("downtime"),
            func.coalesce(func.sum(inc.c.downtime_seconds).filter(~now), 0).label("prev_down"),
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
    middle = ("cohort_mid", "cohort_mid_n", "domain_mid", "domain_mid_n")
    groups = (
        select(c, *(func.coalesce(m[k], 0).label(k) for k in middle))
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
            _ratio(mid, mid_n),
            *(int(n) for n in counts[5:]),
        )
        for cohort, domain, label, *counts, mid, mid_n in session.execute(query)
    ]


def _middles(window: Window, counts):
    """Per (cohort, domain): the sum and count of the median rows of the window's downtimes
    within the cohort (`cohort_mid`, `cohort_mid_n`) and within the domain over every cohort
    (`domain_mid`, `domain_mid_n`). `counts` has each group's number of downtimes (`timed`).

    Rows are ranked by window functions and only the middle ones are kept before grouping.
    The ranked rows are the outer side of LEFT JOINs to the small `counts`, so SQLite streams
    them instead of materialising and indexing them.
    """
    inc = _incidents(window)
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
    in_cohort = _middle(r.cohort_rank, c.timed)
    in_domain = _middle(r.domain_rank, d.n)
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


def _middle(rank: ColumnElement, count: ColumnElement) -> ColumnElement[bool]:
    """Whether a row ranked `rank` of `count` is the median row, or one of the middle two."""
    return or_(rank == (count + 1) // 2, rank == (count + 2) // 2)


def _middle_rows(name: str, middle: ColumnElement[bool], *, value: ColumnElement) -> tuple:
    """`<name>_mid` and `<name>_mid_n`: the sum and count of a group's median rows."""
    return (
        func.coalesce(func.sum(value).filter(middle), 0).label(f"{name}_mid"),
        func.count().filter(middle).label(f"{name}_mid_n"),
    )


def top_signatures(
    session: Session, window: Window, limit: int, *, domains: Sequence[str] = ()
) -> dict[str | None, list[SignatureFigures]]:
    """Per cohort, and over every cohort (key None): the most frequent signatures in the
    window, with their title and remediation hint, most first."""
    inc = _incidents(window, domains=domains)
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


def example_threads(
    session: Session, window: Window, signatures: Sequence[str], per_signature: int = 2
) -> dict[tuple[str | None, str], list[ThreadRef]]:
    """For each signature, per cohort and over every cohort (cohort None): the threads that
    blocked learners longest (open ones last), keyed (cohort, signature).

    Threads are ranked within their cohort; the overall best are among the cohorts' best, so
    only those few are ranked again.
    """
    if not signatures:
        return {}
    inc = _incidents(window)
    ranked = (
        select(
            inc.c.cohort,
            inc.c.signature_id,
            inc.c.channel_id,
            inc.c.root_ts,
            inc.c.downtime_seconds,
            inc.c.opened_at,
            func.row_number()
            .over(partition_by=(inc.c.cohort, inc.c.signature_id), order_by=_longest_first(inc.c))
            .label("in_cohort"),
        )
        .where(inc.c.signature_id.in_(signatures))
        .subquery()
    )
    r = ranked.c
    query = select(
        r.cohort,
        r.signature_id,
        r.channel_id,
        r.root_ts,
        r.in_cohort,
        func.row_number()
        .over(partition_by=r.signature_id, order_by=_longest_first(r))
        .label("overall"),
    ).where(r.in_cohort <= per_signature)
    ranks: dict[tuple[str | None, str], list[tuple[int, ThreadRef]]] = {}
    for cohort, signature, channel_id, ts, in_cohort, overall in session.execute(query):
        ref = ThreadRef(channel_id, ts)
        ranks.setdefault((cohort, signature), []).append((in_cohort, ref))
        if overall <= per_signature:
            ranks.setdefault((None, signature), []).append((overall, ref))
    return {
        key: [ref for _, ref in sorted(refs, key=lambda r: r[0])] for key, refs in ranks.items()
    }


def _longest_first(columns) -> tuple:
    """The order of example threads: longest downtime first, open ones (no downtime) last,
    then the first opened. (channel, root ts) breaks ties: it is unique, and unlike the row id
    it is in the covering index, so PostgreSQL never reads the table for it."""
    return (
        func.coalesce(columns.downtime_seconds, -1).desc(),
        columns.opened_at,
        columns.channel_id,
        columns.root_ts,
    )


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


def _ratio(total, count) -> float | None:
    """A median from the sum and count of its middle rows; None when nothing was timed."""
    return float(total) / int(count) if count else None
