"""The weekly digest as plain data: built by SQL aggregation, rendered by the other modules.

One `Section` is the overall picture, and one more per cohort: per domain incidents, share,
hours blocked, median time to resolve and the change against the previous week; the top
signatures with their remediation hint and example threads; open and awaiting-triage counts;
who waited for a human and how long (digests/response.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from digests.config import ResponseSettings
from digests.course_hours import CourseHours
from digests.fix_effect import FixEffect, fix_effects
from digests.periods import Period
from digests.report import DomainRow, hours
from digests.response import WaitingLine, waiting_lines
from storage.digest_queries import ThreadRef, example_threads
from storage.hint_queries import HintRate, hint_rates
from storage.queries import (
    DomainPeriods,
    SignatureFigures,
    Window,
    domain_periods,
    top_signatures,
)

Linker = Callable[[ThreadRef], str]
MAX_FIXES = 5  # the most recent fixes a digest shows


@dataclass(frozen=True, slots=True)
class DomainLine(DomainRow):
    """The report's row of a domain, and the week before."""

    previous_incidents: int
    previous_downtime_hours: float

    @property
    def change(self) -> int:
        return self.incidents - self.previous_incidents


@dataclass(frozen=True, slots=True)
class SignatureLine:
    signature: str
    domain: str
    title: str
    incidents: int
    hint: str | None
    examples: list[str]  # links to example threads


@dataclass(frozen=True, slots=True)
class Section:
    cohort: str | None  # None: every cohort together
    incidents: int
    previous_incidents: int
    downtime_hours: float
    open_incidents: int
    awaiting_triage: int
    domains: list[DomainLine]
    signatures: list[SignatureLine]
    # Who waited for a human: all domains first (domain None), then per domain.
    waiting: list[WaitingLine] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Digest:
    period: str
    label: str
    since: datetime
    until: datetime
    overall: Section
    cohorts: list[Section]
    fixes: list[FixEffect] = field(default_factory=list)  # recent fixes, before vs after
    hints: list[HintRate] = field(default_factory=list)  # how hints in threads were answered
    nudge_after: str = "30m"  # course time after which a thread counts as waiting too long


def archive_link(workspace_url: str | None) -> Linker:
    """Links built like Slack's own (`.../archives/C.../p1731330000001100`), no API call."""
    base = (workspace_url or "https://slack.com/").rstrip("/")
    return lambda ref: f"{base}/archives/{ref.channel_id}/p{ref.ts.replace('.', '')}"


def build_digest(
    session: Session,
    period: Period,
    *,
    channels: tuple[str, ...] = (),
    top: int = 5,
    examples: int = 2,
    link: Linker | None = None,
    fix_window_weeks: int = 4,
    response: ResponseSettings | None = None,
) -> Digest:
    """Aggregate the ledger over `period` (and the week before it), overall and per cohort.

    Fixes made in the `2 * fix_window_weeks` before the period's end are measured as of then:
    each is followed while its after-window fills, and as long again once it is complete.
    """
    link = link or archive_link(None)
    window = Window(period.since, period.until, channels)
    # Three queries, each answering for every cohort and for all of them at once.
    figures = domain_periods(session, window, period.previous.since)
    signatures = top_signatures(session, window, top)
    wanted = sorted({s.signature for found in signatures.values() for s in found})
    threads = example_threads(session, window, wanted, examples)
    course = CourseHours(response or ResponseSettings(), period.timezone)
    now = datetime.now(UTC)
    waiting = waiting_lines(session, window, period.previous.since, course, now)

    def section(cohort: str | None) -> Section:
        domains = [d for d in figures if d.cohort == cohort]
        found = _section(cohort, domains, signatures.get(cohort, []), threads, link)
        return replace(found, waiting=waiting.get(cohort, []))

    # The named cohorts with incidents in the period or the one before.
    cohorts = sorted({d.cohort for d in figures if d.cohort})
    return Digest(
        period=period.key,
        label=period.label,
        since=period.since,
        until=period.until,
        overall=section(None),
        cohorts=[section(c) for c in cohorts] if len(cohorts) > 1 else [],
        fixes=_recent_fixes(session, min(period.until, now), fix_window_weeks),
        hints=hint_rates(session, window),
        nudge_after=course.settings.nudge_after,
    )


def _recent_fixes(session: Session, as_of: datetime, weeks: int) -> list[FixEffect]:
    window = timedelta(weeks=weeks)
    return fix_effects(session, as_of, window, since=as_of - 2 * window)[:MAX_FIXES]


def _section(
    cohort: str | None,
    domains: list[DomainPeriods],
    signatures: list[SignatureFigures],
    threads: dict[tuple[str | None, str], list[ThreadRef]],
    link: Linker,
) -> Section:
    total = sum(d.incidents for d in domains)
    return Section(
        cohort=cohort,
        incidents=total,
        previous_incidents=sum(d.previous_incidents for d in domains),
        downtime_hours=hours(sum(d.downtime_seconds for d in domains)),
        open_incidents=sum(d.open_incidents for d in domains),
        awaiting_triage=sum(d.awaiting_triage for d in domains),
        domains=[
            DomainLine.of(
                d,
                total,
                previous_incidents=d.previous_incidents,
                previous_downtime_hours=hours(d.previous_downtime_seconds),
            )
            for d in domains
        ],
        signatures=[
            SignatureLine(
                s.signature,
                s.domain,
                s.title,
                s.incidents,
                s.hint,
                [link(ref) for ref in threads.get((cohort, s.signature), [])],
            )
            for s in signatures
        ],
    )
