"""Who is waiting: time to first response, its percentiles, and the threads nobody answered.

Figures come per (cohort, domain), per domain over every cohort, per cohort over every domain
and overall, for a period and the one before it, each from one pass over the covering index
`ix_incident_response`. Counts are grouped by the database (each row keyed at the four levels
by a UNION ALL). Percentiles are taken in Python from the answered incidents' delays (two
weeks: about 35,000 integers on the benchmark's ledger): ranking the four levels with window
functions cost SQLite 780 ms of CPU there, sorting the fetched delays a tenth of that. The
median is the middle value or the mean of the middle two; the 90th percentile is the nearest
rank, ceil(0.9 n).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlmodel import Session

from storage.models import Channel, Incident
from storage.queries import Window, counted_incidents

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


# The columns of `ix_incident_response`: the response figures read that index only.
RESPONSE_COLUMNS = (
    Incident.opened_at,
    Incident.domain_id,
    Incident.first_reply_seconds,
    Incident.first_reply_by,
    Incident.ta_reply_seconds,
    Incident.first_reply_at,
    Incident.resolved_at,
    Incident.downtime_seconds,
)

# What the TAs' queue shows of a waiting incident, and what says it still waits.
UNANSWERED_COLUMNS = (
    Incident.id,
    Channel.channel_id,
    Incident.root_ts,
    Incident.opened_at,
    Incident.domain_id,
    Incident.signature_id,
    Incident.first_reply_at,
    Incident.resolved_at,
)


def _incidents(window: Window):
    """Counted incidents opened in `window`, with the columns of `ix_incident_response`."""
    return counted_incidents(window, columns=RESPONSE_COLUMNS)


def response_percentiles(
    session: Session, window: Window, previous_since: datetime | None = None
) -> list[ResponseFigures]:
    """Median and p90 of the first response and of the first TA response, in `window` and in
    [previous_since, window.since) (None: no previous period), at every level (see the
    module's docstring)."""
    if previous_since is None:
        inc = _incidents(window)
        current = literal(True)
    else:
        assert window.since is not None, "a period before needs a start"
        inc = _incidents(replace(window, since=previous_since))
        current = inc.c.opened_at >= window.since
    c = inc.c
    query = select(c.cohort, c.domain_id, current, c.first_reply_seconds, c.ta_reply_seconds).where(
        c.first_reply_seconds.is_not(None)
    )
    # Each (cohort, domain, period) group's delays, then every level from those groups.
    firsts: dict[tuple, list[int]] = defaultdict(list)
    tas: dict[tuple, list[int]] = defaultdict(list)
    for cohort, domain, now, first, ta in session.connection().execute(query):
        firsts[cohort, domain, bool(now)].append(first)
        if ta is not None and now:  # TA figures are shown for the period itself only
            tas[cohort, domain, True].append(ta)
    found = {
        (*level, kind, now): _percentiles(values)
        for kind, groups in (("first", firsts), ("ta", tas))
        for (level, now), values in _levels_of(groups).items()
    }
    empty = Percentiles(0, None, None)
    return [
        ResponseFigures(
            cohort,
            domain,
            *(
                found.get((cohort, domain, kind, now), empty)
                for kind, now in (("first", True), ("ta", True), ("first", False))
            ),
        )
        for cohort, domain in {key[:2] for key in found}
    ]


def levels_of(cohort: str | None, domain: str | None) -> tuple[tuple[str | None, str | None], ...]:
    """The four levels a (cohort, domain) group counts in: itself, its domain over every
    cohort, its cohort over every domain, and everything."""
    return ((cohort, domain), (None, domain), (cohort, None), (None, None))


def _levels_of(groups: dict[tuple, list[int]]) -> dict[tuple, list[int]]:
    """((cohort, domain), period) -> values, at the four levels, from per-group values."""
    levels: dict[tuple, list[int]] = defaultdict(list)
    for (cohort, domain, now), values in groups.items():
        values.sort()  # a level is then a few sorted runs, which sort merges cheaply
        for key in levels_of(cohort, domain):
            levels[key, now] += values
    return levels


def _percentiles(values: list[int]) -> Percentiles:
    """The median (the middle value, or the mean of the middle two) and the nearest-rank p90."""
    values.sort()
    n = len(values)
    median = (values[(n - 1) // 2] + values[n // 2]) / 2
    return Percentiles(n, median, float(values[(9 * n + 9) // 10 - 1]))


def wait_counts(session: Session, window: Window) -> list[WaitCounts]:
    """Per level: incidents opened in `window`, first answered by a TA or by a learner, and
    still unanswered and unresolved at the window's end (no end: now). The database counts
    per (cohort, domain); the other levels are their sums."""
    inc = _incidents(window)
    c = inc.c
    if window.until is None:
        waiting_at_end = _still_waiting(c)
    else:
        waiting_at_end = and_(
            or_(c.first_reply_at.is_(None), c.first_reply_at >= window.until),
            or_(c.resolved_at.is_(None), c.resolved_at >= window.until),
        )
    query = select(
        c.cohort,
        c.domain_id,
        func.count(),
        func.count().filter(c.first_reply_by == TA),
        func.count().filter(c.first_reply_by == LEARNER),
        func.count().filter(waiting_at_end),
    ).group_by(c.cohort, c.domain_id)
    totals: dict[tuple[str | None, str | None], list[int]] = defaultdict(lambda: [0] * 4)
    for cohort, domain, *counts in session.execute(query):
        for key in levels_of(cohort, domain):
            totals[key] = [a + b for a, b in zip(totals[key], counts, strict=True)]
    return [WaitCounts(cohort, domain, *counts) for (cohort, domain), counts in totals.items()]


def long_waits(session: Session, window: Window, longer_than_seconds: int) -> list[Wait]:
    """Incidents opened in `window` whose wall-clock wait for a human exceeded the given
    seconds (or that still wait): the candidates for a wait longer than the nudge time in
    course hours, which only ever counts less than the wall clock."""
    inc = _incidents(window)
    c = inc.c
    query = select(
        c.cohort,
        c.domain_id,
        c.opened_at,
        c.first_reply_seconds,
        # A resolution with an unknown moment (seen only in history) ended the wait at once.
        case((c.resolved_at.is_(None), None), else_=func.coalesce(c.downtime_seconds, 0)),
    ).where(or_(c.first_reply_seconds.is_(None), c.first_reply_seconds > longer_than_seconds))
    # Delays in seconds, not moments: SQLite's datetimes cost more to read than the query.
    return [
        Wait(cohort, domain, opened, None if wait is None else opened + timedelta(seconds=wait))
        for cohort, domain, opened, *delays in session.connection().execute(query)
        for wait in [min((d for d in delays if d is not None), default=None)]
    ]


def unanswered(session: Session, since: datetime, channels: tuple[str, ...] = ()) -> list[Waiting]:
    """Counted incidents opened since `since` with no reply from anyone but their asker and not
    resolved: oldest first. Read through `ix_incident_unanswered` (EXPLAIN on PostgreSQL 15
    and SQLite: the subquery is flattened, the index's predicate proven)."""
    inc = counted_incidents(Window(since, channels=channels), columns=UNANSWERED_COLUMNS)
    c = inc.c
    query = (
        select(c.id, c.channel_id, c.root_ts, c.opened_at, c.domain_id, c.signature_id, c.cohort)
        .where(_still_waiting(c))
        .order_by(c.opened_at, c.id)
    )
    return [Waiting(*row) for row in session.execute(query)]


def _still_waiting(c) -> ColumnElement[bool]:
    """No human reply and not resolved: `storage.models.UNANSWERED`, the partial index's
    predicate, which a query must state to be read through it."""
    return and_(c.first_reply_at.is_(None), c.resolved_at.is_(None))
