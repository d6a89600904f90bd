"""Spike alerts against the ledger: check now (state in `alert_state`), silence, backtest.

Each alert has a stable key, `spike:<domain>:<cohort>`. A check locks the key's row while it
decides and posts, and skips a key another replica checked moments ago, so replicas and
restarts never post an alert twice. Silences are rows too (`silence:<domain>`), so a TA's
`/friction silence iam 2h` holds on every replica.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from digests.config import AlertSettings
from digests.model import Linker, archive_link
from digests.slack import SLACK_FAILURES, post_message
from digests.spikes import (
    FIRING,
    INACTIVE,
    PENDING,
    Lifecycle,
    Observation,
    advance,
    in_quiet_hours,
    notification,
    observe,
)
from storage.claims import alert_states, locked_alert_state
from storage.digest_queries import example_threads, spike_counts
from storage.models import AlertState, Domain
from storage.queries import NO_COHORT, SignatureFigures, Window, top_signatures

log = logging.getLogger(__name__)

SPIKE, SILENCE = "spike", "silence"
MAX_SILENCE = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """Something an alert did at a check: `pending`, `fire`, `repeat`, `resolve`, or `muted`."""

    at: datetime
    action: str
    domain: str
    cohort: str
    observation: Observation
    message_ts: str | None = None

    def describe(self) -> str:
        o = self.observation
        where = f"cohort {self.cohort}" if self.cohort != NO_COHORT else "all channels"
        return (
            f"{self.at:%Y-%m-%d %H:%M} UTC  {self.action:<8} {self.domain:<10} {where}: "
            f"{o.count} new incidents (baseline {o.baseline:.1f}, p={o.p:.2g})"
        )


def spike_key(domain: str, cohort: str) -> str:
    return f"{SPIKE}:{domain}:{cohort}"


def silence_key(domain: str, cohort: str | None = None) -> str:
    return f"{SILENCE}:{domain}" + ("" if cohort is None else f":{cohort}")


def observations(session: Session, config: AlertSettings, now: datetime) -> list[Observation]:
    """This moment's count against baseline for every (cohort, domain) with recent history."""
    domains = _watched(config)
    rows = spike_counts(
        session, domains, now, timedelta(minutes=config.window_minutes), config.baseline_weeks
    )
    return [observe(row, config) for row in rows]


def _watched(config: AlertSettings) -> list[str]:
    """The configured domains, inhibition sources first (their state decides the others')."""
    sources = {rule.source for rule in config.inhibit}
    return sorted(set(config.domains), key=lambda d: (d not in sources, d))


class AlertChecker:
    """Runs the checks: one per scheduler tick, or one per `friction alerts check`."""

    def __init__(
        self,
        engine: Engine,
        config: AlertSettings,
        *,
        channel: str | None,
        timezone: str = "UTC",
        client: WebClient | None = None,
        link: Linker | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.channel = channel
        self.zone = ZoneInfo(timezone)
        self.client = client
        self.link = link or archive_link(None)

    def check(self, now: datetime | None = None) -> list[AlertEvent]:
        """Advance every alert one check, post what must be said, persist the new states."""
        now = now or datetime.now(UTC)
        events: list[AlertEvent] = []
        with Session(self.engine, expire_on_commit=False) as session:
            active = [
                tuple(state.key.split(":", 2)[1:])
                for state in alert_states(session, f"{SPIKE}:")
                if state.status != INACTIVE
            ]
            found = with_quiet(observations(session, self.config, now), active)
            order = {d: i for i, d in enumerate(_watched(self.config))}
            hot: set[tuple[str, str]] = set()
            for obs in sorted(found, key=lambda o: order.get(o.domain, len(order))):
                if obs.domain not in order:
                    continue  # a domain no longer configured
                event = self._check_one(session, obs, now, hot)
                if self.client is None:
                    session.rollback()  # a dry run: decide, tell, keep nothing
                else:
                    session.commit()  # also releases the row lock
                if event is not None:
                    events.append(event)
        return events

    def _check_one(
        self, session: Session, obs: Observation, now: datetime, hot: set[tuple[str, str]]
    ) -> AlertEvent | None:
        """One alert's check; `hot` collects the (domain, cohort) pending or firing so far,
        which inhibit the alerts they explain."""
        row = locked_alert_state(session, spike_key(obs.domain, obs.cohort), now)
        checked = row.details.get("checked_at")
        interval = timedelta(minutes=self.config.check_minutes)
        if checked and now - datetime.fromisoformat(checked) < interval / 2:
            if row.status != INACTIVE:  # another replica just checked it; trust its verdict
                hot.add((obs.domain, obs.cohort))
            return None
        before = _lifecycle(row)
        after = advance(before, obs, self.config, now)
        if after.status != INACTIVE:
            hot.add((obs.domain, obs.cohort))
        driver = self._driver(session, obs, now) if after.status == FIRING else None
        muted = self._muted(session, obs, now, driver, hot)
        action = notification(before, after, self.config, now, muted=muted)
        event_action = action or _transition(before.status, after.status)
        if action is not None and self.client is not None:
            try:
                after = self._notify(action, after, obs, driver, now)
            except SLACK_FAILURES as exc:
                # As if this check had not happened: the next one decides, and posts, again.
                log.warning("alert post failed; retried next check", extra={"error": str(exc)})
                after, event_action = before, None
        _store(row, after, obs, now, driver)
        if event_action is None:
            return None
        return AlertEvent(now, event_action, obs.domain, obs.cohort, obs, after.message_ts)

    def _driver(self, session: Session, obs: Observation, now: datetime) -> SignatureFigures | None:
        window = Window(now - timedelta(minutes=self.config.window_minutes), now)
        top = top_signatures(session, window, 1, domains=[obs.domain]).get(obs.cohort)
        return top[0] if top else None

    def _muted(
        self,
        session: Session,
        obs: Observation,
        now: datetime,
        driver: SignatureFigures | None,
        hot: set[tuple[str, str]],
    ) -> bool:
        """Silenced, in quiet hours, or explained by a hot inhibiting alert in the cohort."""
        return (
            in_quiet_hours(self.config, now.astimezone(self.zone))
            or silenced_until(session, obs.domain, obs.cohort, now) is not None
            or any(
                (rule.source, obs.cohort) in hot
                and rule.source != obs.domain
                and (obs.domain in rule.targets or (driver and driver.signature in rule.targets))
                for rule in self.config.inhibit
            )
        )

    def _notify(
        self,
        action: str,
        state: Lifecycle,
        obs: Observation,
        driver: SignatureFigures | None,
        now: datetime,
    ) -> Lifecycle:
        assert self.client is not None and self.channel is not None
        if action == "fire":
            text = self._alert_text(obs, driver, now)
            ts = post_message(self.client, self.channel, text)
            return Lifecycle(state.status, state.since, state.consecutive, now, ts)
        if action == "repeat":
            text = f"Still firing: {_counts(obs, self.config)}."
            post_message(self.client, self.channel, text, thread_ts=state.message_ts)
            return Lifecycle(state.status, state.since, state.consecutive, now, state.message_ts)
        text = f":white_check_mark: Resolved: {_counts(obs, self.config)}, back to normal."
        post_message(self.client, self.channel, text, thread_ts=state.message_ts)
        return Lifecycle(state.status, state.since, 0, now, None)

    def _alert_text(self, obs: Observation, driver: SignatureFigures | None, now: datetime) -> str:
        with Session(self.engine) as session:
            label = session.get(Domain, obs.domain)
            window = Window(now - timedelta(minutes=self.config.window_minutes), now)
            threads = example_threads(session, window, [driver.signature]) if driver else {}
        where = f" in cohort {obs.cohort}" if obs.cohort != NO_COHORT else ""
        lines = [
            f":rotating_light: *{label.label if label else obs.domain} spike{where}*: "
            f"{_counts(obs, self.config)} (p={obs.p:.1g})."
        ]
        if driver is not None:
            lines.append(f"Driving it: *{driver.title}* `{driver.signature}` ({driver.incidents})")
            if driver.hint:
                lines.append(f"> {driver.hint}")
            links = [self.link(ref) for ref in threads.get((obs.cohort, driver.signature), [])]
            if links:
                lines.append(" · ".join(f"<{u}|thread {i}>" for i, u in enumerate(links, 1)))
        lines.append(f"Silence it: `/friction silence {obs.domain} 2h`")
        return "\n".join(lines)


def _transition(before: str, after: str) -> str | None:
    """The lifecycle change worth listing when nothing was posted."""
    if after == FIRING and before != FIRING:
        return "muted"
    if before == FIRING and after == INACTIVE:
        return "resolve"
    if before == INACTIVE and after == PENDING:
        return "pending"
    return None


def _counts(obs: Observation, config: AlertSettings) -> str:
    return (
        f"{obs.count} new incidents in the last {config.window_minutes} min "
        f"(usual for this time: {obs.baseline:.1f})"
    )


def _lifecycle(row: AlertState) -> Lifecycle:
    return Lifecycle(row.status, row.since, row.consecutive, row.last_notified_at, row.message_ts)


def _store(
    row: AlertState,
    state: Lifecycle,
    obs: Observation,
    now: datetime,
    driver: SignatureFigures | None,
) -> None:
    row.status, row.consecutive = state.status, state.consecutive
    row.since = state.since or now
    row.last_notified_at, row.message_ts = state.last_notified_at, state.message_ts
    row.details = {
        "checked_at": now.isoformat(),
        "count": obs.count,
        "baseline": obs.baseline,
        "p": obs.p,
        "driver": driver.signature if driver else row.details.get("driver"),
    }


def silence(
    session: Session,
    domain: str,
    duration: timedelta,
    *,
    cohort: str | None = None,
    now: datetime | None = None,
) -> datetime:
    """Mute a domain's alerts (all cohorts, or one) for `duration`; returns when it ends.

    What `/friction silence iam 2h` calls. An unknown domain, or a silence longer than
    MAX_SILENCE (one nobody would remember to lift), is a ValueError saying what to type.
    """
    if duration > MAX_SILENCE:
        raise ValueError(f"a silence lasts at most {MAX_SILENCE.days}d")
    if session.get(Domain, domain) is None:
        known = ", ".join(sorted(session.exec(select(Domain.id))))
        raise ValueError(f"no domain {domain!r}; known domains: {known}")
    now = now or datetime.now(UTC)
    row = locked_alert_state(session, silence_key(domain, cohort), now)
    row.status, row.since, row.silenced_until = SILENCE, now, now + duration
    session.commit()
    return now + duration


@dataclass(frozen=True, slots=True)
class Silence:
    """A silence in force: a domain's alerts muted until `until`, in one cohort or all (None)."""

    domain: str
    cohort: str | None
    until: datetime


def silences(session: Session, now: datetime) -> list[Silence]:
    """The silences in force at `now`, those ending soonest first (`/friction silence list`)."""
    found = []
    for row in alert_states(session, f"{SILENCE}:"):
        if row.silenced_until is not None and row.silenced_until > now:
            domain, *cohort = row.key.split(":", 2)[1:]
            found.append(Silence(domain, cohort[0] if cohort else None, row.silenced_until))
    return sorted(found, key=lambda s: (s.until, s.domain, s.cohort or ""))


def lift_silences(session: Session, domain: str, now: datetime | None = None) -> int:
    """End every silence on `domain` (all cohorts) now; returns how many were in force."""
    now = now or datetime.now(UTC)
    lifted = [s for s in silences(session, now) if s.domain == domain]
    for s in lifted:
        locked_alert_state(session, silence_key(domain, s.cohort), now).silenced_until = now
    session.commit()
    return len(lifted)


def silenced_until(session: Session, domain: str, cohort: str, now: datetime) -> datetime | None:
    """When the silence on (domain, cohort) ends, or None when none holds at `now`."""
    ends = [
        row.silenced_until
        for key in (silence_key(domain), silence_key(domain, cohort))
        if (row := session.get(AlertState, key)) is not None and row.silenced_until
    ]
    live = [end for end in ends if end > now]
    return max(live) if live else None


def backtest(
    engine: Engine,
    config: AlertSettings,
    since: datetime,
    until: datetime,
    step: timedelta | None = None,
) -> Iterator[AlertEvent]:
    """Replay checks over history, every `step` (default: the check interval), and yield when
    the rule would have fired and resolved. Nothing is posted and no state is written."""
    step = step or timedelta(minutes=config.check_minutes)
    states: dict[tuple[str, str], Lifecycle] = {}
    with Session(engine) as session:
        now = since
        while now < until:
            active = [key for key, state in states.items() if state.status != INACTIVE]
            for obs in with_quiet(observations(session, config, now), active):
                key = (obs.domain, obs.cohort)
                before = states.get(key, Lifecycle())
                after = advance(before, obs, config, now)
                action = notification(before, after, config, now, muted=False)
                if action == "fire":
                    after = replace(after, last_notified_at=now, message_ts="announced")
                elif action == "resolve":
                    after = replace(after, message_ts=None)
                if action in ("fire", "resolve"):
                    yield AlertEvent(now, action, obs.domain, obs.cohort, obs)
                states[key] = after
            now += step


def with_quiet(found: list[Observation], active: Iterable[tuple[str, str]]) -> list[Observation]:
    """`found`, plus a zero count for each active (domain, cohort) no incident was seen for:
    an alert whose incidents stopped altogether must still be able to resolve."""
    seen = {(o.domain, o.cohort) for o in found}
    return found + [Observation(c, d, 0, 0.0, 1.0) for d, c in active if (d, c) not in seen]
