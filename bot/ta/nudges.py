"""Nudges: one message per unanswered thread to the TAs' channel (`[response] nudge_channel`),
posted during course hours once the thread has waited the nudge time, never twice, and
updated in place (not re-posted) when the thread gets its first human reply or is resolved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.ta.links import WorkspaceUrl, message_link
from bot.ta.queue import live_queue, waited
from digests.course_hours import CourseHours
from digests.report import duration
from digests.slack import SLACK_FAILURES, post_message
from storage.models import Incident, Nudge
from storage.nudges import answered_nudges, claim_nudge, mark_answered, nudged_ids, record_nudge
from storage.response_queries import TA, Waiting

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NudgeRun:
    posted: int
    updated: int


class Nudger:
    """Run every minute by the bot's scheduler (`run`)."""

    def __init__(
        self,
        engine: Engine,
        client: WebClient,
        course: CourseHours,
        workspace_url: WorkspaceUrl,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.client = client
        self.course = course
        self.channel = course.settings.nudge_channel
        self.workspace_url = workspace_url
        self.clock = clock

    def run(self) -> NudgeRun:
        """Update the nudges whose thread was answered, then, in course hours, post new ones."""
        if self.channel is None:
            return NudgeRun(0, 0)
        now = self.clock()
        with Session(self.engine, expire_on_commit=False) as session:
            updated = self._update_answered(session, now)
            posted = self._post_new(session, now) if self.course.is_open(now) else 0
        return NudgeRun(posted, updated)

    def _post_new(self, session: Session, now: datetime) -> int:
        queue = live_queue(session, self.course, now)
        done = nudged_ids(session, [w.incident_id for w in queue])
        posted = 0
        for item in queue:
            if item.incident_id in done:
                continue
            nudge = claim_nudge(session, item.incident_id, self.channel, now)
            if nudge is None:
                continue  # another replica got there first
            ts = self._post(self._waiting_text(item, now))
            record_nudge(session, nudge, ts)
            if ts is None:
                return posted
            posted += 1
        return posted

    def _update_answered(self, session: Session, now: datetime) -> int:
        updated = 0
        for nudge, incident, channel_id in answered_nudges(session):
            if not self._update(nudge, self._answered_text(incident, channel_id)):
                return updated
            mark_answered(session, nudge, now)
            updated += 1
        return updated

    def _post(self, text: str) -> str | None:
        """The nudge's ts, or None when Slack refused or was away."""
        return self._slack("posted", lambda: post_message(self.client, self.channel, text))

    def _update(self, nudge: Nudge, text: str) -> bool:
        answer = self._slack(
            "updated",
            lambda: self.client.chat_update(
                channel=nudge.channel_id, ts=nudge.message_ts, text=text
            ),
        )
        return answer is not None

    def _slack(self, what: str, call: Callable[[], Any]) -> Any:
        """Slack's answer, or None after one WARNING line (the run stops; the next retries)."""
        try:
            return call()
        except SLACK_FAILURES as exc:
            log.warning(f"nudge not {what}; retried next run", extra={"error": str(exc)})
            return None

    def _link(self, channel_id: str, ts: str) -> str:
        return message_link(self.workspace_url(self.client), channel_id, ts)

    def _waiting_text(self, item: Waiting, now: datetime) -> str:
        return (
            f":hourglass: Waiting {waited(item, now)} for a human in <#{item.channel_id}>: "
            f"<{self._link(item.channel_id, item.root_ts)}|this thread> (`{item.signature}`)"
        )

    def _answered_text(self, incident: Incident, channel_id: str) -> str:
        thread = f"<{self._link(channel_id, incident.root_ts)}|this thread> in <#{channel_id}>"
        if incident.first_reply_seconds is None:
            return f":white_check_mark: Resolved without a reply: {thread}"
        who = "a TA" if incident.first_reply_by == TA else "a learner"
        after = duration(incident.first_reply_seconds / 60)
        return f":white_check_mark: Answered by {who} after {after}: {thread}"
