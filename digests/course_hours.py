"""Course hours: when a wait counts. A thread posted on Friday at 17:50 with a 30-minute nudge
time is due on Monday at 09:20, not on Friday at 18:20 (docs/response.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from digests.config import DAYS, ResponseSettings, course_day

MAX_DAYS = 400  # no wait is followed further than this (a year of course days, and then some)


@dataclass(frozen=True)
class CourseHours:
    """Course hours in the course's timezone: `hours` on `days`."""

    settings: ResponseSettings
    timezone: str = "UTC"

    @cached_property
    def _wait(self) -> timedelta:
        """The nudge time, parsed once (`due` runs per waiting thread)."""
        return self.settings.wait

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo keeps one instance per name

    def due(self, start: datetime) -> datetime:
        """The moment the nudge time of course time has passed since `start`: course time only
        runs on course days between the hours."""
        remaining = self._wait
        day = start.astimezone(self.zone).date()
        for _ in range(MAX_DAYS):
            window = self._window(day)
            if window:
                begin, end = max(window[0], start), window[1]
                if begin < end:
                    if end - begin >= remaining:
                        return begin + remaining
                    remaining -= end - begin
            day += timedelta(days=1)
        return datetime.max.replace(tzinfo=UTC)

    def is_open(self, moment: datetime) -> bool:
        """Whether `moment` is within course hours."""
        window = self._window(moment.astimezone(self.zone).date())
        return bool(window) and window[0] <= moment < window[1]

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        return _day_window(self.settings.hours, tuple(self.settings.days), self.timezone, day)


@lru_cache(maxsize=4096)
def _day_window(
    hours: str, days: tuple[str, ...], timezone: str, day: date
) -> tuple[datetime, datetime] | None:
    """The day's course hours as UTC bounds (so a DST day is as long as it really is)."""
    if DAYS[day.weekday()] not in days:
        return None
    midnight = datetime.combine(day, time(), ZoneInfo(timezone))
    start, end = course_day(hours)
    # Wall-clock offsets from local midnight, each then converted: on a DST day the course
    # hours are as long as they really are.
    return (midnight + start).astimezone(UTC), (midnight + end).astimezone(UTC)
