"""Who is waiting: time to first response, its percentiles, and the threads nobody answered.

Figures come per (cohort, domain), per domain over every cohort, per cohort over every domain
and overall, for a period and the one before it, from one pass over the covering index
`ix_incident_response`: each row is keyed at those four levels (UNION ALL) and ranked within
its group by a window function, and only the ranks that are the median or the 90th percentile
are kept, so no incident row is loaded into Python. The median is the middle row or the mean of
the middle two; the 90th percentile is the nearest rank, ceil(0.9 n).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlmodel import Session

from storage.digest_queries import NO_COHORT
from storage.models import Channel, Incident
from storage.queries import Window

TA = "ta"
LEARNER = "learner"


@dataclass(frozen=True, slots=True)
class Percentiles:
    """Median and 90th percentile of a delay, in seconds (None when nothing was timed)."""

    n: int
    median: float | None
    p90: float | None


@dataclass(frozen=True, slots=True)
class ResponseFigures:
    """First-response figures of incidents opened in a period, for one group.

    `cohort` None is every cohort, `domain` None every domain. `first` is the first reply by
    anyone but the asker, `ta` the first by a TA."""

    cohort: str | None
    domain: str | None
    first: Percentiles
    ta: Percentiles
    previous_first: Percentiles
    previous_ta: Percentiles


@dataclass(frozen=True, slots=True)
class WaitCounts:
    """Incidents of one group opened in a period: how they were first answered, and how many
    were still unanswered (no human reply, not resolved) at the period's end."""

    cohort: str | None
    domain: str | None
    incidents: int
    by_ta: int
    by_learner: int
    unanswered_at_end: int


@dataclass(frozen=True, slots=True)
class Wait:
    """One incident's wait for a human: from `opened_at` to `ended_at` (its first reply or its
    resolution, whichever came first; None while it waits)."""

    cohort: str
    domain: str
    opened_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class Waiting:
    """An incident nobody but its asker has answered and that is not resolved."""

    incident_id: int
    channel_id: str
    root_ts: str
    opened_at: datetime
    domain: str
    signature: str
    cohort: str


def _incidents(window: Window):
    """Counted incidents opened in `window`, with the columns of `ix_incident_response`."""
    return (
        select(
            Incident.opened_at,
            Incident.domain_id,
            Incident.first_reply_seconds,
            Incident.first_reply_by,
            Incident.ta_reply_seconds,
            Incident.first_reply_at,
            Incident.resolved_at,
            func.coalesce(Channel.cohort, NO_COHORT).label("cohort"),
        )
        .join(Channel, Channel.id == Incident.channel_pk)
        .where(window.where(Incident.opened_at), Incident.dismissed.is_(False))
        .subquery()
    )


def _levels(*columns: ColumnElement, source):
    """`source`'s rows keyed at every level: (cohort, domain), (-, domain), (cohort, -), (-, -)."""
    c = source.c
    keys = ((c.cohort, c.domain_id), (null(), c.domain_id), (c.cohort, null()), (null(), null()))
    return union_all(
        *(
            select(cohort.label("cohort"), domain.label("domain"), *columns)
            for cohort, domain in keys
        )
    ).subquery()


def response_percentiles(
    session: Session, window: Window, previous_since: datetime | None = None
) -> list[ResponseFigures]:
    """Median and p90 of the first response and of the first TA response, in `window` and in
    [previous_since, window.since) (None: no previous period), at every level (see the
    module's docstring)."""
    if previous_since is None:
        inc = _incidents(window)
        current = literal(1).label("current")
    else:
        assert window.since is not None, "a period before needs a start"
        inc = _incidents(Window(previous_since, window.until, window.channels, window.cohort))
        current = cast(inc.c.opened_at >= window.since, Integer).label("current")
    found: dict[tuple[str | None, str | None], dict[tuple[str, int], Percentiles]] = {}
    for kind, value in (("first", inc.c.first_reply_seconds), ("ta", inc.c.ta_reply_seconds)):
        levels = _levels(current, value.label("value"), source=inc)
        lv = levels.c
        group = (lv.cohort, lv.domain, lv.current)
        ranked = select(
            *group,
            lv.value,
            func.row_number().over(partition_by=group, order_by=lv.value).label("rn"),
            func.count().over(partition_by=group).label("n"),
        ).where(lv.value.is_not(None))
        r = ranked.subquery().c
        middle = or_(r.rn == (r.n + 1) // 2, r.rn == (r.n + 2) // 2)
        p90 = r.rn == (9 * r.n + 9) // 10
        query = (
            select(
                r.cohort,
                r.domain,
                r.current,
                func.max(r.n),
                func.avg(case((middle, r.value))),
                func.max(case((p90, r.value))),
            )
            .where(or_(middle, p90))
            .group_by(r.cohort, r.domain, r.current)
        )
        for cohort, domain, now, n, median, high in session.execute(query):
            found.setdefault((cohort, domain), {})[kind, int(now)] = Percentiles(
                int(n), float(median), float(high)
            )
    empty = Percentiles(0, None, None)
    return [
        ResponseFigures(
            cohort,
            domain,
            *(got.get(key, empty) for key in (("first", 1), ("ta", 1), ("first", 0), ("ta", 0))),
        )
        for (cohort, domain), got in found.items()
    ]


def wait_counts(session: Session, window: Window) -> list[WaitCounts]:
    """Per level: incidents opened in `window`, first answered by a TA or by a learner, and
    still unanswered and unresolved at the window's end (no end: now)."""
    inc = _incidents(window)
    c = inc.c
    if window.until is None:
        waiting_at_end = and_(c.first_reply_at.is_(None), c.resolved_at.is_(None))
    else:
        waiting_at_end = and_(
            or_(c.first_reply_at.is_(None), c.first_reply_at >= window.until),
            or_(c.resolved_at.is_(None), c.resolved_at >= window.until),
        )
    levels = _levels(
        literal(1).label("one"),
        cast(c.first_reply_by == TA, Integer).label("ta"),
        cast(c.first_reply_by == LEARNER, Integer).label("learner"),
        cast(waiting_at_end, Integer).label("waiting"),
        source=inc,
    )
    lv = levels.c
    query = select(
        lv.cohort,
        lv.domain,
        func.count(),
        *(func.coalesce(func.sum(col), 0) for col in (lv.ta, lv.learner, lv.waiting)),
    ).group_by(lv.cohort, lv.domain)
    return [WaitCounts(co, d, *(int(v) for v in rest)) for co, d, *rest in session.execute(query)]


def long_waits(session: Session, window: Window, longer_than_seconds: int) -> list[Wait]:
    """Incidents opened in `window` whose wall-clock wait for a human exceeded the given
    seconds (or that still wait): the candidates for a wait longer than the nudge time in
    course hours, which only ever counts less than the wall clock."""
    inc = _incidents(window)
    c = inc.c
    query = select(c.cohort, c.domain_id, c.opened_at, c.first_reply_at, c.resolved_at).where(
        or_(c.first_reply_seconds.is_(None), c.first_reply_seconds > longer_than_seconds)
    )
    return [
        Wait(cohort, domain, opened, min((t for t in (reply, resolved) if t), default=None))
        for cohort, domain, opened, reply, resolved in session.execute(query)
    ]


def unanswered(session: Session, since: datetime, channels: tuple[str, ...] = ()) -> list[Waiting]:
    """Incidents opened since `since` with no reply from anyone but their asker, not resolved
    and not dismissed: oldest first."""
    query = (
        select(
            Incident.id,
            Channel.channel_id,
            Incident.root_ts,
            Incident.opened_at,
            Incident.domain_id,
            Incident.signature_id,
            func.coalesce(Channel.cohort, NO_COHORT),
        )
        .join(Channel, Channel.id == Incident.channel_pk)
        .where(
            Window(since, channels=channels).where(Incident.opened_at),
            Incident.dismissed.is_(False),
            Incident.first_reply_at.is_(None),
            Incident.resolved_at.is_(None),
        )
        .order_by(Incident.opened_at, Incident.id)
    )
    return [Waiting(*row) for row in session.execute(query)]
