"""The TAs' queue: threads nobody but their asker has answered for longer than the nudge time
(`[response] nudge_after`, counted in course hours), oldest first, for App Home and
`/friction stats`. docs/response.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.config import FileConfig
from digests.course_hours import CourseHours
from digests.report import duration
from storage.response_queries import Waiting, unanswered

QUEUE_DAYS = timedelta(days=14)  # older unanswered threads are left to the digest's figures
SHOWN = 15  # threads listed; the rest are counted


def course_hours(file: FileConfig) -> CourseHours:
    """The course's hours as configured: `[response]` in the `[digest]` timezone."""
    return CourseHours(file.response, file.digest.timezone)


def live_queue(session: Session, course: CourseHours, now: datetime) -> list[Waiting]:
    """Unanswered, unresolved incidents of the last `QUEUE_DAYS` past their nudge time."""
    return [w for w in unanswered(session, now - QUEUE_DAYS) if course.due(w.opened_at) <= now]


def waited(item: Waiting, now: datetime) -> str:
    """How long the thread has waited, wall-clock: `25 min`, `3.8 h`."""
    return duration((now - item.opened_at).total_seconds() / 60)


def waiting_section(
    session: Session, course: CourseHours, link: Callable[[str, str], str], now: datetime
) -> str:
    """The threads waiting past their nudge time, as the one mrkdwn section `/friction stats`
    and App Home show."""
    return queue_text(live_queue(session, course, now), link, course.settings.nudge_after, now)


def queue_text(
    items: list[Waiting], link: Callable[[str, str], str], nudge_after: str, now: datetime
) -> str:
    """The queue as one mrkdwn section: a line per thread with its link, oldest first."""
    if not items:
        return f"*Waiting for a human*\nNobody: every thread got a reply within {nudge_after}."
    lines = [
        f"• <{link(i.channel_id, i.root_ts)}|{i.opened_at:%a %H:%M}> in <#{i.channel_id}>: "
        f"`{i.signature}`, waiting {waited(i, now)}"
        for i in items[:SHOWN]
    ]
    more = f"\n…and {len(items) - SHOWN} more." if len(items) > SHOWN else ""
    return (
        f"*Waiting for a human* ({len(items)}): no reply after {nudge_after} of course time, "
        "oldest first.\n" + "\n".join(lines) + more
    )
