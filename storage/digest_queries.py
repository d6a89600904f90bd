"""The digest's and the spike alerts' own queries: example threads and hourly spike counts.

They read the same counted incidents as the per-domain figures (`storage.queries`, the one
aggregation path), per cohort and over every cohort together, with window functions that
SQLite and PostgreSQL both run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from storage.queries import Window, counted_incidents


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
    inc = counted_incidents(window)
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
    inc = counted_incidents(Window(start, now), domains=domains)

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
