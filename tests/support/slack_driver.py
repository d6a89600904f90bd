"""Driving a running app as Slack would, over real HTTP: what the TA app's `bot` fixture
(support.ta_app) and the live bot's in the hints tests both do.

A message is put in the fake Slack's history and delivered to the app as a signed event; a
slash command is sent signed and answered through its response_url.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.context import Context
from storage.models import Incident
from support.fake_slack import FakeSlack
from support.live_harness import wait_until
from support.slack_samples import (
    HELP_CHANNEL,
    LEARNER,
    TA,
    TEAM_ID,
    message_event,
    slash_command,
    wrap_event,
)
from support.slack_signing import SlackSender


@dataclass
class SlackDriver:
    slack: FakeSlack
    sender: SlackSender
    context: Context  # the app's

    @property
    def engine(self) -> Engine:
        """The app's ledger."""
        return self.context.engine

    def post(self, text: str, *, user: str = LEARNER, **fields: Any) -> str:
        """A message posted in Slack (`channel`: the help channel unless given; `ts`: now unless
        given) and delivered to the app as an event; returns its ts."""
        channel = fields.pop("channel", HELP_CHANNEL)
        message = self.slack.post(channel, text, user=user, **fields)
        fields.pop("ts", None)
        event = message_event(text, message["ts"], channel=channel, user=user, **fields)
        assert self.sender.event(wrap_event(event)).status == 200
        return message["ts"]

    def command(self, text: str, user: str = TA) -> dict[str, Any]:
        """Run `/friction text` as `user`; return the ephemeral reply posted to response_url."""
        hook = f"/hooks/commands/{TEAM_ID}/{time.monotonic_ns()}"
        form = slash_command(text, user_id=user, response_url=self.slack.base_url + hook)
        answer = self.sender.command(form)
        assert answer.status == 200 and answer.body == b""  # acknowledged at once, empty
        return self.hook(hook)

    def hook(self, path: str) -> dict[str, Any]:
        """The first body posted to the response_url `path` (waiting for it)."""

        def posted() -> list[dict[str, Any]]:
            return [body for p, body in self.slack.hooks if p == path]

        wait_until(posted, what=f"a post to {path}")
        return posted()[0]

    def incident(self, root_ts: str) -> Incident | None:
        with Session(self.engine) as session:
            return session.exec(select(Incident).where(Incident.root_ts == root_ts)).first()
