"""The `[digest]` and `[alerts]` sections of the course's TOML file, validated up front.

They live beside the code that reads them; `bot.config.FileConfig` includes them.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DURATION = re.compile(r"^(\d+)\s*(m|min|h|d|w)$")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_clock(text: str) -> time:
    match = _CLOCK.match(text)
    if not match:
        raise ValueError(f"expected a time like 09:00, not {text!r}")
    return time(int(match[1]), int(match[2]))


def course_day(hours: str) -> tuple[timedelta, timedelta]:
    """`09:00-18:00` as offsets from midnight; the end may be `24:00` (a course open all day)."""
    start, sep, end = hours.partition("-")
    if not sep:
        raise ValueError(f"expected a range like 09:00-18:00, not {hours!r}")
    finish = timedelta(days=1) if end.strip() == "24:00" else _since_midnight(end.strip())
    return _since_midnight(start.strip()), finish


def _since_midnight(text: str) -> timedelta:
    at = parse_clock(text)
    return timedelta(hours=at.hour, minutes=at.minute)


def parse_duration(text: str) -> timedelta:
    """`30m`, `2h`, `1d`, `1w`: what a TA types after `/friction silence iam`."""
    match = _DURATION.match(text.strip().lower())
    if not match or int(match[1]) == 0:
        raise ValueError(f"expected a duration like 30m, 2h or 1d, not {text!r}")
    try:
        return timedelta(**{_UNITS[match[2]]: int(match[1])})
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration") from None


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone {value!r}: use an IANA name like Europe/Paris"
        ) from None
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DigestSettings(_Section):
    """When and where the weekly digest goes."""

    channel: str | None = Field(None, description="the leads' channel id; unset: no posting")
    timezone: str = Field("UTC", description="the course's IANA timezone")
    day: str = Field("mon", description="weekday the digest of the past week is posted")
    time: str = Field("09:00", description="local time it is posted")
    top_signatures: int = Field(5, ge=1, le=20)
    examples: int = Field(2, ge=0, le=5, description="example threads per signature")
    workspace_url: str | None = Field(
        None, description="https://<workspace>.slack.com/, for links when getPermalink fails"
    )
    fix_window_weeks: int = Field(
        4, ge=1, le=26, description="a fix's before/after windows are at most this long each"
    )

    _tz = field_validator("timezone")(_timezone)

    @field_validator("day")
    @classmethod
    def _day(cls, value: str) -> str:
        if value.lower()[:3] not in DAYS:
            raise ValueError(f"expected a weekday like mon, not {value!r}")
        return value.lower()[:3]

    @field_validator("time")
    @classmethod
    def _time(cls, value: str) -> str:
        parse_clock(value)
        return value


class Inhibition(_Section):
    """While `source` fires in a cohort, alerts in that cohort driven by `targets` stay quiet."""

    source: str
    targets: list[str] = Field(description="domains or signatures the source explains")


class AlertSettings(_Section):
    """Spike alerts: the rule, its timing and where they go. See docs/alerts.md."""

    channel: str | None = Field(None, description="where alerts go; unset: the digest channel")
    domains: list[str] = Field(default_factory=lambda: ["iam"])
    window_minutes: int = Field(60, ge=5, le=24 * 60)
    baseline_weeks: int = Field(4, ge=1, le=12)
    min_count: int = Field(5, ge=1)
    fire_p: float = Field(0.001, gt=0, lt=1, description="fire below this upper-tail p")
    resolve_p: float = Field(0.05, gt=0, lt=1, description="stay firing below this p")
    for_checks: int = Field(2, ge=1, description="consecutive hot checks before firing")
    resolve_checks: int = Field(2, ge=1, description="consecutive cool checks to resolve")
    check_minutes: int = Field(5, ge=1, le=60)
    repeat_hours: float = Field(4, gt=0, description="re-notify a firing alert after this")
    quiet_hours: str | None = Field(None, description="e.g. 22:00-07:00, course time")
    inhibit: list[Inhibition] = Field(
        default_factory=lambda: [Inhibition(source="iam", targets=["s3.access_denied"])]
    )

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str | None) -> str | None:
        if value is not None:
            start, sep, end = value.partition("-")
            if not sep:
                raise ValueError(f"expected a range like 22:00-07:00, not {value!r}")
            parse_clock(start.strip())
            parse_clock(end.strip())
        return value

    @field_validator("resolve_p")
    @classmethod
    def _hysteresis(cls, value: float, info) -> float:
        if value < info.data.get("fire_p", 0):
            raise ValueError("resolve_p must be at least fire_p (hysteresis)")
        return value


class ResponseSettings(_Section):
    """Who is waiting: when a thread counts as unanswered, in course hours. docs/response.md."""

    nudge_after: str = Field("30m", description="course time without a human reply, e.g. 30m")
    hours: str = Field("09:00-18:00", description="course hours, in the [digest] timezone")
    days: list[str] = Field(
        default_factory=lambda: list(DAYS[:5]), description="course days, e.g. mon..fri"
    )
    nudge_channel: str | None = Field(
        None, description="the TAs' channel: one message per unanswered thread; unset: none"
    )

    @field_validator("nudge_after")
    @classmethod
    def _after(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        try:
            start, end = course_day(value)
        except ValueError:
            start = end = None
        if start is None or start >= end:
            raise ValueError(
                f"expected a daytime range like 09:00-18:00 (up to 24:00), not {value!r}"
            )
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        days = [day.lower()[:3] for day in value]
        unknown = [day for day, short in zip(value, days, strict=True) if short not in DAYS]
        if unknown or not days:
            raise ValueError(f"expected weekdays like mon, tue, not {unknown or value!r}")
        return days

    @property
    def wait(self) -> timedelta:
        return parse_duration(self.nudge_after)
