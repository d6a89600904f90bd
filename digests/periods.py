"""Digest periods: ISO weeks in the course's timezone, named like `2026-W47`.

A week runs Monday 00:00 to the next Monday 00:00 where the course is, so a lead in Sydney and
one in Lisbon each get the week they lived; the bounds are then compared in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True, slots=True)
class Period:
    """One ISO week: its name and its [since, until) bounds as aware UTC datetimes."""

    key: str
    since: datetime
    until: datetime
    timezone: str

    @classmethod
    def week_of(cls, day: date, timezone: str) -> Period:
        year, week, _ = day.isocalendar()
        monday = day - timedelta(days=day.weekday())
        zone = ZoneInfo(timezone)
        since = datetime.combine(monday, time(), zone)
        until = datetime.combine(monday + timedelta(days=7), time(), zone)
        return cls(f"{year}-W{week:02d}", since.astimezone(UTC), until.astimezone(UTC), timezone)

    @property
    def previous(self) -> Period:
        return Period.week_of(self.first_day - timedelta(days=7), self.timezone)

    @property
    def first_day(self) -> date:
        return self.since.astimezone(ZoneInfo(self.timezone)).date()

    @property
    def label(self) -> str:
        """`2026-W47 (16-22 Nov 2026)`, for titles."""
        last = self.first_day + timedelta(days=6)
        start = (
            f"{self.first_day.day}"
            if self.first_day.month == last.month
            else (f"{self.first_day.day} {self.first_day:%b}")
        )
        return f"{self.key} ({start}-{last.day} {last:%b %Y})"


def parse_period(text: str, timezone: str, now: datetime | None = None) -> Period:
    """`last-week`, `this-week` or `YYYY-Www`; a ValueError says what is accepted."""
    today = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).date()
    if text == "this-week":
        return Period.week_of(today, timezone)
    if text == "last-week":
        return Period.week_of(today - timedelta(days=7), timezone)
    match = _WEEK.match(text)
    if match:
        try:
            return Period.week_of(date.fromisocalendar(int(match[1]), int(match[2]), 1), timezone)
        except ValueError:
            raise ValueError(f"{text} is not a week of {match[1]}") from None
    raise ValueError(f"--period takes last-week, this-week or a week like 2026-W47, not {text!r}")
