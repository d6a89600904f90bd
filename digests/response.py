"""The waiting figures: how long learners waited for a human, and who is still waiting.

Per cohort (None: every cohort), one `WaitingLine` for all domains (`domain` None) first, then
one per domain: median and p90 time to first response against the week before, the same for
the first TA response, how the incidents were first answered, how many waited longer than the
nudge time in course hours, and how many were still unanswered at the period's end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from digests.course_hours import CourseHours
from digests.report import duration, fixed_width, minutes
from storage.queries import Window
from storage.response_queries import (
    Percentiles,
    levels_of,
    long_waits,
    response_percentiles,
    wait_counts,
)

Key = tuple[str | None, str | None]  # (cohort, domain); None: all of them


@dataclass(frozen=True, slots=True)
class WaitingLine:
    domain: str | None  # None: every domain
    incidents: int
    by_ta: int  # first answered by a TA
    by_learner: int  # first answered by a fellow learner
    median_minutes: float | None  # to the first human response
    p90_minutes: float | None
    previous_median_minutes: float | None
    previous_p90_minutes: float | None
    ta_median_minutes: float | None  # to the first TA response
    ta_p90_minutes: float | None
    waited_over_nudge: int  # waited longer than the nudge time, in course hours
    unanswered_at_end: int  # no human reply and not resolved when the period ended


def waiting_lines(
    session: Session,
    window: Window,
    previous_since: datetime | None,
    hours: CourseHours,
    now: datetime,
) -> dict[str | None, list[WaitingLine]]:
    """Per cohort (None: every cohort): the overall line, then one per domain by incidents.
    `previous_since` None: no week before to compare with (the report's arbitrary range)."""
    percentiles = {
        (f.cohort, f.domain): f for f in response_percentiles(session, window, previous_since)
    }
    over = waited_over(session, window, hours, min(window.until or now, now))
    empty = Percentiles(0, None, None)
    found: dict[str | None, list[WaitingLine]] = {}
    for counts in sorted(
        wait_counts(session, window),
        key=lambda c: (c.domain is not None, -c.incidents, c.domain or ""),
    ):
        key = (counts.cohort, counts.domain)
        figures = percentiles.get(key)
        first, ta, previous = (
            (figures.first, figures.ta, figures.previous_first) if figures else (empty,) * 3
        )
        found.setdefault(counts.cohort, []).append(
            WaitingLine(
                domain=counts.domain,
                incidents=counts.incidents,
                by_ta=counts.by_ta,
                by_learner=counts.by_learner,
                median_minutes=minutes(first.median),
                p90_minutes=minutes(first.p90),
                previous_median_minutes=minutes(previous.median),
                previous_p90_minutes=minutes(previous.p90),
                ta_median_minutes=minutes(ta.median),
                ta_p90_minutes=minutes(ta.p90),
                waited_over_nudge=over[key],
                unanswered_at_end=counts.unanswered_at_end,
            )
        )
    return found


def waited_over(
    session: Session, window: Window, hours: CourseHours, end: datetime
) -> Counter[Key]:
    """Per level: incidents opened in `window` whose wait for a human (to the first reply, the
    resolution or `end`) was longer than the nudge time in course hours."""
    counts: Counter[Key] = Counter()
    wall = int(hours.settings.wait.total_seconds())
    for wait in long_waits(session, window, wall):
        if min(wait.ended_at or end, end) > hours.due(wait.opened_at):
            counts.update(levels_of(wait.cohort, wait.domain))
    return counts


def waiting_text(
    lines: list[WaitingLine],
    labels: Mapping[str, str],
    nudge_after: str,
    *,
    weekly: bool = True,
    markup: bool = True,
) -> str:
    """Who waited for a human, as the digest (Slack and terminal) and `friction report` show
    it: a heading, the summary sentence of `lines[0]` (all domains), then the per-domain table.
    `markup`: Slack mrkdwn, the table in a code block so its columns hold; else plain text."""
    summary = waiting_summary(lines[0], nudge_after, weekly=weekly)
    table = waiting_table(lines, labels, weekly=weekly)
    if markup:
        return f"*Waiting for a human*\n{summary}\n```\n{table}\n```"
    return f"Waiting for a human\n{summary}\n{table}"


def waiting_summary(line: WaitingLine, nudge_after: str, *, weekly: bool = True) -> str:
    """One sentence of the waiting figures: `First response: median 12 min (14 min the week
    before), p90 2.1 h (1.8 h) · first TA response median 20 min, p90 3.0 h · 31 answered
    first by a TA, 9 by a learner · 4 waited over 30m of course time · 2 unanswered at the
    week's end`. Not `weekly` (the report's range): no comparison, unanswered now."""
    median, p90 = duration(line.median_minutes), duration(line.p90_minutes)
    first = f"First response: median {median}, p90 {p90}"
    if weekly:
        before = duration(line.previous_median_minutes)
        first = (
            f"First response: median {median} ({before} the week before),"
            f" p90 {p90} ({duration(line.previous_p90_minutes)})"
        )
    return " · ".join(
        (
            first,
            f"first TA response median {duration(line.ta_median_minutes)},"
            f" p90 {duration(line.ta_p90_minutes)}",
            f"{line.by_ta} answered first by a TA, {line.by_learner} by a learner",
            f"{line.waited_over_nudge} waited over {nudge_after} of course time",
            f"{line.unanswered_at_end} unanswered "
            + ("at the week's end" if weekly else "and unresolved now"),
        )
    )


def waiting_table(
    lines: list[WaitingLine], labels: Mapping[str, str], *, weekly: bool = True
) -> str:
    """Per domain: median and p90 first response (against the week before, when `weekly`),
    waits over the nudge time, unanswered."""
    head = ("Component", "Median", "p90", "Week before", "Over nudge", "Unanswered")
    rows = [
        (
            "All" if line.domain is None else labels.get(line.domain, line.domain),
            duration(line.median_minutes),
            duration(line.p90_minutes),
            f"{duration(line.previous_median_minutes)} / {duration(line.previous_p90_minutes)}",
            str(line.waited_over_nudge),
            str(line.unanswered_at_end),
        )
        for line in lines
    ]
    keep = [i for i in range(len(head)) if weekly or head[i] != "Week before"]
    return fixed_width([tuple(row[i] for i in keep) for row in [head, *rows]])
