"""The app with the TA workflow behind its HTTP server, driven as Slack would: the `bot` fixture.

Signed commands and interactions go to the running app over real HTTP; its Web API calls go to
the fake Slack. A TA is configured by id (`U0789TA01`), another only through the TA user group
(`U0789TA02`); a lead by id.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from bot.context import open_context
from bot.slack.app import build_app
from bot.slack.server import HttpServer
from storage.models import TagEvent
from support.live_harness import SECRET, settings_for
from support.slack_driver import SlackDriver
from support.slack_samples import (
    HELP_CHANNEL,
    LEAD,
    LEARNER,
    TA,
    TEAM_ID,
    interaction,
)
from support.slack_signing import SlackSender

GROUP_TA = "U0789TA02"
UNSURE = "cannot open the lab"  # other.other, low confidence: awaits triage
CONFIG = f"""
[channels]
watch = ["help-*"]

[people]
tas = ["{TA}"]
ta_group = "S0123TAS"
leads = ["{LEAD}"]

[response]
hours = "00:00-24:00"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
"""


@dataclass
class Bot(SlackDriver):
    """The TA app driven as Slack would (`SlackDriver`), with the TA workflow's own gestures."""

    def link(self, ts: str, channel: str = HELP_CHANNEL) -> str:
        return f"https://cloudlabs.slack.com/archives/{channel}/p{ts.replace('.', '')}"

    def shortcut(self, ts: str, user: str = TA, **message: Any) -> str:
        """The "Tag friction" shortcut on a message; returns its response_url path."""
        hook = f"/hooks/app/{TEAM_ID}/{time.monotonic_ns()}"
        payload = interaction(
            "message_action",
            message_ts=ts,
            message={"type": "message", "user": LEARNER, "ts": ts, "text": "...", **message},
            user={"id": user, "team_id": TEAM_ID},
            response_url=self.slack.base_url + hook,
        )
        assert self.sender.interaction(payload).status == 200
        return hook

    def submit(self, view: dict[str, Any], user: str = TA, **values: str) -> dict[str, Any]:
        """Submit `view` with `values` (block id -> selected value, or the note's text)."""
        state: dict[str, Any] = {}
        for block_id, value in values.items():
            if block_id == "note":
                state["note"] = {"note_input": {"type": "plain_text_input", "value": value}}
            else:
                action = "domain_select" if block_id == "domain" else "signature_select"
                option = {"text": {"type": "plain_text", "text": value}, "value": value}
                state[block_id] = {action: {"type": "static_select", "selected_option": option}}
        payload = interaction(
            "view_submission",
            user={"id": user, "team_id": TEAM_ID},
            view={**view, "state": {"values": state}},
        )
        answer = self.sender.interaction(payload)
        assert answer.status == 200
        return answer.json() if answer.body else {}

    def tag_events(self) -> int:
        with Session(self.engine) as session:
            return session.execute(select(func.count()).select_from(TagEvent)).scalar_one()


@pytest.fixture
def bot(fake_slack, tmp_path, sqlite_url) -> Iterator[Bot]:
    config = tmp_path / "friction.toml"
    config.write_text(CONFIG)
    context = open_context(settings_for(fake_slack, config), sqlite_url)
    app = build_app(context)  # FEATURES includes the TA workflow
    server = HttpServer(  # one request at a time: 4 threads, not the bot's 32, to start
        app, lambda: (True, {}), signing_secret=SECRET, host="127.0.0.1", port=0, threads=4
    ).start()
    sender = SlackSender(f"http://127.0.0.1:{server.port}/slack/events", SECRET)
    yield Bot(fake_slack, sender, context)
    server.close()
