"""The spike rule and the alert lifecycle, as pure functions (docs/alerts.md explains both).

Rule: in each cohort, the new incidents of a domain in the recent window are compared with a
Poisson baseline: the larger of the mean at the same hours in the trailing weeks and the
trailing weeks' average rate. The window is *hot* when the count reaches the minimum and its
upper-tail probability is below `fire_p`; *warm* (still elevated) with half the minimum and a
probability below the looser `resolve_p`.

Lifecycle, after Alertmanager: inactive -> pending (hot) -> firing (hot on `for_checks`
consecutive checks) -> inactive again after `resolve_checks` consecutive checks that are not
warm (hysteresis). Notifications are decided here and sent by the caller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from digests.config import AlertSettings
from storage.digest_queries import SpikeCounts

INACTIVE, PENDING, FIRING = "inactive", "pending", "firing"


@dataclass(frozen=True, slots=True)
class Observation:
    cohort: str
    domain: str
    count: int
    baseline: float  # expected count in the window
    p: float  # P(X >= count) for X ~ Poisson(baseline)


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """What the lifecycle needs of an `alert_state` row."""

    status: str = INACTIVE
    since: datetime | None = None
    consecutive: int = 0
    last_notified_at: datetime | None = None
    message_ts: str | None = None


def poisson_upper_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean), summed in log space so large counts do not overflow."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    log_terms = (i * math.log(mean) - mean - math.lgamma(i + 1) for i in range(k))
    return max(0.0, 1.0 - math.fsum(math.exp(t) for t in log_terms))


def observe(counts: SpikeCounts, config: AlertSettings) -> Observation:
    """The window's count against its baseline (see the module docstring)."""
    window = timedelta(minutes=config.window_minutes)
    same_hour = sum(counts.same_hour) / len(counts.same_hour) if counts.same_hour else 0.0
    average = counts.trailing * (window / timedelta(weeks=config.baseline_weeks))
    baseline = max(same_hour, average)
    return Observation(
        counts.cohort,
        counts.domain,
        counts.current,
        baseline,
        poisson_upper_tail(counts.current, baseline),
    )


def is_hot(obs: Observation, config: AlertSettings) -> bool:
    return obs.count >= config.min_count and obs.p < config.fire_p


def is_warm(obs: Observation, config: AlertSettings) -> bool:
    return obs.count >= math.ceil(config.min_count / 2) and obs.p < config.resolve_p


def advance(state: Lifecycle, obs: Observation, config: AlertSettings, now: datetime) -> Lifecycle:
    """The lifecycle after one check."""
    if state.status == FIRING:
        if is_warm(obs, config):
            return replace(state, consecutive=0)
        if state.consecutive + 1 >= config.resolve_checks:
            return Lifecycle(INACTIVE, now, 0, state.last_notified_at, state.message_ts)
        return replace(state, consecutive=state.consecutive + 1)
    if not is_hot(obs, config):
        return Lifecycle(
            INACTIVE,
            state.since if state.status == INACTIVE else now,
            0,
            state.last_notified_at,
            state.message_ts,
        )
    hot_checks = state.consecutive + 1 if state.status == PENDING else 1
    if hot_checks >= config.for_checks:
        return Lifecycle(FIRING, now, 0, state.last_notified_at, None)
    return Lifecycle(
        PENDING,
        state.since if state.status == PENDING else now,
        hot_checks,
        state.last_notified_at,
        state.message_ts,
    )


def notification(
    before: Lifecycle, after: Lifecycle, config: AlertSettings, now: datetime, *, muted: bool
) -> str | None:
    """`fire`, `repeat` or `resolve`: what to tell the channel after a check, if anything.

    A muted alert (silenced, quiet hours, inhibited) keeps its state but says nothing; once the
    mute ends while it still fires, it is announced then. A resolution is said in the alert's
    thread only when the alert was announced.
    """
    if before.status == FIRING and after.status == INACTIVE:
        return "resolve" if before.message_ts else None
    if after.status != FIRING or muted:
        return None
    if after.message_ts is None:
        return "fire"
    repeat = timedelta(hours=config.repeat_hours)
    if after.last_notified_at is None or now - after.last_notified_at >= repeat:
        return "repeat"
    return None


def in_quiet_hours(config: AlertSettings, local: datetime) -> bool:
    """Whether `local` (the course's time) falls in the configured quiet hours."""
    if config.quiet_hours is None:
        return False
    start, _, end = (part.strip() for part in config.quiet_hours.partition("-"))
    clock = local.strftime("%H:%M")
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end
