"""Did a fix work? Its target's incident rate before and after it, with a 95 % interval.

Each side is a window of equal length: `min(time since the fix, window)`. The rate is per
active learner (distinct people who started a thread in the window) when the ledger knows who
posted, else per week. Incident counts are treated as Poisson with those exposures; given the
total, the count after the fix is binomial, so the exact (Clopper-Pearson) interval on its share
converts to an interval on the rate ratio. docs/decisions.md says why, and when a comparison is
"too little data to tell".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session

from digests.report import duration, minutes
from storage.fix_queries import SideFigures, before_after
from storage.fixes import FixRow, list_fixes

DEFAULT_WINDOW = timedelta(weeks=4)
MIN_WINDOW = timedelta(days=7)  # shorter sides would compare different days of the lab week
MIN_INCIDENTS = 10  # across both sides; fewer give intervals too wide to say anything
CONFIDENCE = 0.95
WEEK = timedelta(weeks=1)


@dataclass(frozen=True, slots=True)
class Side:
    """The target's figures in the window before the fix, or after it."""

    incidents: int
    learners: int
    per_week: float
    per_learner: float | None  # None when nobody (known) started a thread
    median_minutes_to_resolve: float | None


@dataclass(frozen=True, slots=True)
class FixEffect:
    fix_id: int
    target: str
    title: str
    description: str
    at: datetime
    cohort: str | None
    window_days: float  # the length of each side
    per_learner: bool  # rates per active learner; False: per week
    before: Side
    after: Side
    ratio: float | None  # after / before rate; None when there was nothing before
    low: float | None  # the ratio's 95 % interval; high None: no upper bound
    high: float | None
    verdict: str  # fell, rose, no clear change, too little data, too early
    summary: str  # the verdict in plain words

    @property
    def heading(self) -> str:
        return fix_heading(self.fix_id, self.at, self.target, self.cohort, self.description)


def fix_heading(
    fix_id: int | None, at: datetime, target: str, cohort: str | None, description: str
) -> str:
    """`#3 2026-10-01 · iam.passrole · cohort lab5: Lab 3 now creates LabRole`"""
    scope = f" · cohort {cohort}" if cohort else ""
    return f"#{fix_id} {at:%Y-%m-%d} · {target}{scope}: {description}"


def fix_effects(
    session: Session,
    as_of: datetime,
    window: timedelta = DEFAULT_WINDOW,
    since: datetime | None = None,
) -> list[FixEffect]:
    """Every fix that took effect in [since, as_of), measured as of `as_of`, newest first."""
    return [effect(session, row, as_of, window) for row in list_fixes(session, since, as_of)]


def effect(session: Session, row: FixRow, as_of: datetime, window: timedelta) -> FixEffect:
    """One fix's before/after comparison, over `min(as_of - at, window)` on each side."""
    side_length = min(as_of - row.fix.at, window)
    before, after = before_after(session, row.fix, side_length)
    per_learner = before.learners + after.learners > 0
    weeks = side_length / WEEK
    sides = (_side(before, weeks), _side(after, weeks))
    ratio = low = high = None
    if side_length < MIN_WINDOW:
        verdict = "too early"
    elif before.incidents + after.incidents < MIN_INCIDENTS or (
        per_learner and not (before.learners and after.learners)
    ):
        verdict = "too little data"
    else:
        exposures = (before.learners, after.learners) if per_learner else (weeks, weeks)
        ratio, low, high = rate_ratio(before.incidents, after.incidents, *exposures)
        verdict = (
            "fell" if high is not None and high < 1 else "rose" if low > 1 else "no clear change"
        )
    result = FixEffect(
        fix_id=row.fix.id,
        target=row.target,
        title=row.title,
        description=row.fix.description,
        at=row.fix.at,
        cohort=row.fix.cohort,
        window_days=round(side_length / timedelta(days=1), 1),
        per_learner=per_learner,
        before=sides[0],
        after=sides[1],
        ratio=ratio,
        low=low,
        high=high,
        verdict=verdict,
        summary="",
    )
    return replace(result, summary=f"{result.title}: {describe(result)}")


def _side(figures: SideFigures, weeks: float) -> Side:
    return Side(
        incidents=figures.incidents,
        learners=figures.learners,
        per_week=figures.incidents / weeks if weeks else 0.0,
        per_learner=figures.incidents / figures.learners if figures.learners else None,
        median_minutes_to_resolve=minutes(figures.median_seconds_to_resolve),
    )


# -- statistics ---------------------------------------------------------------------------


def rate_ratio(
    k_before: int, k_after: int, exposure_before: float, exposure_after: float
) -> tuple[float | None, float, float | None]:
    """The rate ratio after/before and its exact 95 % interval (conditional binomial).

    Given n = k_before + k_after, k_after ~ Binomial(n, p) with p = RR e_a / (RR e_a + e_b), so
    a bound on p is a bound on RR = p / (1 - p) * e_b / e_a. A `None` ratio (nothing before)
    or upper bound (nothing before either) means unbounded.
    """
    scale = exposure_before / exposure_after
    p_low, p_high = clopper_pearson(k_after, k_before + k_after)
    ratio = k_after / k_before * scale if k_before else None
    high = p_high / (1 - p_high) * scale if p_high < 1 else None
    return ratio, p_low / (1 - p_low) * scale, high


def clopper_pearson(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The exact interval on a binomial proportion k/n: the p at which k is just in the tail."""
    if n <= 0:
        raise ValueError("an interval needs at least one trial")
    tail = (1 - confidence) / 2
    low = 0.0 if k == 0 else beta_quantile(tail, k, n - k + 1)
    high = 1.0 if k == n else beta_quantile(1 - tail, k + 1, n - k)
    return low, high


def beta_quantile(q: float, a: float, b: float) -> float:
    """The x with I_x(a, b) = q, by bisection (I is increasing in x)."""
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if regularized_beta(mid, a, b) < q:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return (lo + hi) / 2


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the beta distribution's CDF, by its continued fraction (modified Lentz)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    # The fraction converges fast for x below the mean; above it, use I_x(a,b) = 1 - I_1-x(b,a).
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(x, a, b) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(1.0 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    tiny = 1e-300

    def guard(v: float) -> float:
        return tiny if abs(v) < tiny else v

    c, d = 1.0, 1.0 / guard(1.0 - (a + b) * x / (a + 1))
    h = d
    for m in range(1, 10_000):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 / guard(1.0 + numerator * d)
            c = guard(1.0 + numerator / c)
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


# -- words ----------------------------------------------------------------------------------


def describe(e: FixEffect) -> str:
    """The comparison as a lead would say it, with the median time to resolve."""
    weeks = _weeks(e.window_days)
    counts = (
        f"{e.before.incidents} incident{'' if e.before.incidents == 1 else 's'} in the {weeks} "
        f"before, {e.after.incidents} in the {weeks} after"
    )
    if e.verdict == "too early":
        return (
            f"too early to tell: {counts} (a comparison needs {MIN_WINDOW.days} days on each side)."
        )
    if e.verdict == "too little data":
        why = (
            f"at least {MIN_INCIDENTS} incidents are needed"
            if e.before.incidents + e.after.incidents < MIN_INCIDENTS
            else "nobody started a thread on one side"
        )
        return f"too little data to tell: {counts} ({why})."
    rates = f"from {_rate(e, e.before)} to {_rate(e, e.after)}"
    if e.per_learner:
        rates += f" per active learner ({e.before.per_week:.1f} to {e.after.per_week:.1f} a week)"
    else:
        rates += " a week"
    change = "" if e.ratio is None else f", {_percent(e.ratio)}"
    interval = f"interval {_percent(e.low)} to {_percent(e.high)}"
    verb = {"fell": "fell", "rose": "rose"}.get(e.verdict, "no clear change:")
    resolve = (
        f"median time to resolve {duration(e.before.median_minutes_to_resolve)} before, "
        f"{duration(e.after.median_minutes_to_resolve)} after"
    )
    return f"{verb} {rates}{change}, {interval}; {resolve} ({counts})."


def _rate(e: FixEffect, side: Side) -> str:
    return f"{side.per_learner:.2f}" if e.per_learner else f"{side.per_week:.1f}"


def _percent(ratio: float | None) -> str:
    if ratio is None:
        return "no upper bound"
    change = round((ratio - 1) * 100)
    return f"+{change} %" if change > 0 else f"{change} %"


def _weeks(days: float) -> str:
    if days and days % 7 == 0:
        n = int(days // 7)
        return f"{n} week{'s' if n != 1 else ''}"
    return f"{days:g} days"
