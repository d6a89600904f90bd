"""Hints in the learner's thread, over real HTTP: the live bot (HTTP mode, spool, writer) on a
fake Slack. Events, slash commands and button clicks are signed requests; the hint is whatever
reaches the fake's `chat.postMessage`.

The hint worker posts in order, one at a time, so a test that expects no hint for a thread posts
a control thread after it and waits for the control's hint: by then the first was decided.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from support.fake_slack import BOT_ID, Call, FakeSlack
from support.friction_cli import friction
from support.learner_text import UPLOAD_FAILED
from support.live_harness import Running, running_bot, wait_until
from support.slack_driver import SlackDriver
from support.slack_samples import (
    HELP_CHANNEL,
    LEAD,
    LEARNER,
    TA,
    TEAM_ID,
    interaction,
    load,
    message_event,
    wrap_event,
)

from bot.remediation.hints import ANSWERED, GONE, ONLY_ASKER, Hints
from bot.ta.command import TA_ONLY
from classifiers import catalog
from digests.blocks import digest_blocks
from digests.model import build_digest
from digests.periods import parse_period
from storage.models import Hint

PASSROLE = load("events/message.json")["event"]["text"]  # AccessDenied on iam:PassRole
# The error pasted as a reply in the asker's own thread.
PASSROLE_REPLY = (
    "here is the error: AccessDeniedException ... is not authorized to perform: iam:PassRole "
    "on resource: arn:aws:iam::111122223333:role/LabRole"
)
OTHER_LEARNER = "U0456LRN2"
LAB5 = "C0999LAB5"  # watched, but did not opt in to hints
CONFIG = f"""
[channels]
watch = ["help-*"]
hints = ["help-lab4"]

[people]
tas = ["{TA}"]
leads = ["{LEAD}"]
"""


@dataclass
class Bot(SlackDriver):
    """The live bot driven as Slack would (`SlackDriver`), with what a test does to hints."""

    live: Running

    def hints(self, count: int) -> list[Call]:
        """The first `count` hints posted (waiting for them), oldest first."""

        def posted() -> list[Call]:
            return [c for c in self.slack.calls_to("chat.postMessage") if c.params.get("thread_ts")]

        wait_until(lambda: len(posted()) >= count, what=f"{count} hint(s)")
        return posted()

    def recorded(self, count: int) -> list[Hint]:
        """The hint rows, once `count` of them hold their posted message's ts."""

        def rows() -> list[Hint]:
            with Session(self.engine) as session:
                return list(session.exec(select(Hint).order_by(Hint.id)))

        wait_until(lambda: sum(bool(r.message_ts) for r in rows()) >= count, what="hint rows")
        return rows()

    def shown(self, root_ts: str) -> dict[str, Any]:
        """The hint in a thread as Slack shows it (blocks parsed, as chat.update left them)."""
        [message] = [
            m
            for m in self.slack.messages(HELP_CHANNEL)
            if m.get("bot_id") == BOT_ID and m.get("thread_ts") == root_ts
        ]
        return copy.deepcopy(message)  # as the client saw it then: later updates do not change it

    def click(self, action: str, hint: dict[str, Any], user: str) -> None:
        """A click on one of the hint's buttons, as Slack posts it (block_actions)."""
        [buttons] = [b["elements"] for b in hint["blocks"] if b["type"] == "actions"]
        button = next(b for b in buttons if b["action_id"] == action)
        payload = interaction(
            "block_actions",
            user={"id": user, "team_id": TEAM_ID},
            container={
                "type": "message",
                "message_ts": hint["ts"],
                "channel_id": HELP_CHANNEL,
                "is_ephemeral": False,
                "thread_ts": hint["thread_ts"],
            },
            message=hint,
            response_url=f"{self.slack.base_url}/hooks/actions/{TEAM_ID}/{time.monotonic_ns()}",
            actions=[{**button, "block_id": "hint", "action_ts": self.slack.new_ts()}],
        )
        assert self.sender.interaction(payload).status == 200

    def ephemeral_to(self, user: str, count: int = 1) -> str:
        """The `count`th ephemeral message shown to `user`."""

        def shown() -> list[str]:
            return [e["text"] for e in self.slack.ephemerals if e["user"] == user]

        wait_until(lambda: len(shown()) >= count, what=f"ephemeral #{count} to {user}")
        return shown()[count - 1]


@pytest.fixture
def bot(fake_slack: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Bot]:
    config = tmp_path / "friction.toml"
    config.write_text(CONFIG)
    fake_slack.add_channel(LAB5, "help-lab5")
    with running_bot(fake_slack, db_url, tmp_path / "spool.db", config) as running:
        yield Bot(fake_slack, running.sender, running.bot.context, running)


def test_a_passrole_error_gets_one_hint_in_its_thread_whatever_slack_redelivers(bot: Bot) -> None:
    passrole = catalog().signature("iam.passrole")
    message = bot.slack.post(HELP_CHANNEL, PASSROLE)
    event = wrap_event(message_event(PASSROLE, message["ts"]))
    assert bot.sender.event(event).status == 200

    [call] = bot.hints(1)
    assert (call.params["channel"], call.params["thread_ts"]) == (HELP_CHANNEL, message["ts"])
    assert passrole.hint in call.params["text"]
    blocks = bot.shown(message["ts"])["blocks"]
    fix, check = (b["text"]["text"] for b in blocks[:2])
    assert passrole.hint in fix
    assert "aws iam get-role --role-name LabRole" in check  # the role the error named
    assert f"<{passrole.runbook}|Runbook>" in blocks[2]["elements"][0]["text"]
    buttons = [(e["action_id"], e["text"]["text"]) for e in blocks[3]["elements"]]
    assert buttons == [("hint_fixed", "That fixed it"), ("hint_not_it", "Not it")]

    # Slack redelivers the event; another replica is told of the same new incident.
    for retry in (1, 2):
        assert bot.sender.event(event, retry_num=retry).status == 200
    bot.live.settle()
    replica = Hints(bot.context, bot.slack.client())
    assert replica.consider(bot.incident(message["ts"]).id) == "thread already has a hint"

    control = bot.post(PASSROLE)
    assert [c.params["thread_ts"] for c in bot.hints(2)] == [message["ts"], control]
    rows = bot.recorded(2)
    assert [(r.signature_id, r.incident_id) for r in rows] == [
        ("iam.passrole", bot.incident(root).id) for root in (message["ts"], control)
    ]


def test_no_hint_for_a_ta_a_bot_an_unsure_message_a_channel_not_opted_in_or_a_hint_off(
    bot: Bot,
) -> None:
    bot.post(PASSROLE, user=TA)  # a TA asking (or demonstrating)
    bot.post(PASSROLE, bot_id=BOT_ID, subtype="bot_message")
    unsure = bot.post("cannot open the lab")  # an incident, but the classifier is unsure
    in_lab5 = bot.post(PASSROLE, channel=LAB5)
    assert bot.command("hints off iam.passrole")["text"].startswith(
        "Switched the hint for `iam.passrole`"
    )
    switched_off = bot.post(PASSROLE)
    assert bot.command("hints on iam.passrole", user=LEARNER)["text"] == TA_ONLY

    bot.live.settle()  # every incident above is handed to the worker before the control's
    control = bot.post(UPLOAD_FAILED)
    assert [c.params["thread_ts"] for c in bot.hints(1)] == [control]
    for root in (unsure, in_lab5, switched_off):
        assert bot.incident(root)  # captured as incidents, just no hint
    assert "`iam.passrole`" in bot.command("hints")["text"]  # listed as off

    assert "new threads get it again" in bot.command("hints on iam.passrole")["text"]
    chatty = bot.post("hi all, a question about lab 4")  # not an incident yet
    bot.post(PASSROLE_REPLY, thread_ts=chatty)  # the asker's error opens it: hint under the root
    assert bot.hints(2)[-1].params["thread_ts"] == chatty


def test_a_hint_is_answered_only_by_its_asker_or_a_ta(bot: Bot) -> None:
    """Another learner or a lead pressing a button, or a click naming a thread with no
    incident (forged or deleted since), changes nothing and says why."""
    root = bot.post(PASSROLE)
    bot.hints(1)
    hint = bot.shown(root)
    for user in (OTHER_LEARNER, LEAD):
        bot.click("hint_not_it", hint, user=user)
        assert bot.ephemeral_to(user) == ONLY_ASKER
    bot.click("hint_fixed", {**hint, "thread_ts": "1600000000.000100"}, user=LEARNER)
    assert bot.ephemeral_to(LEARNER) == GONE
    incident = bot.incident(root)
    assert incident.resolved_at is None and not incident.needs_triage
    assert bot.slack.calls_to("chat.update") == []


def test_the_buttons_resolve_or_flag_the_incident_and_the_hit_rate_is_reported(
    bot: Bot, db_url: str
) -> None:
    fixed_root, missed_root = bot.post(PASSROLE), bot.post(PASSROLE, user=OTHER_LEARNER)
    bot.hints(2)
    fixed_hint, missed_hint = bot.shown(fixed_root), bot.shown(missed_root)

    bot.click("hint_fixed", fixed_hint, user=OTHER_LEARNER)  # not their thread
    assert bot.ephemeral_to(OTHER_LEARNER) == ONLY_ASKER
    assert bot.incident(fixed_root).resolved_at is None

    bot.click("hint_fixed", fixed_hint, user=LEARNER)
    bot.slack.wait_for_call("chat.update")
    resolved = bot.incident(fixed_root)
    assert resolved.resolved_by == "hint" and resolved.downtime_seconds is not None
    answered = bot.shown(fixed_root)["blocks"]
    assert [b["type"] for b in answered] == ["section", "section", "context", "context"]
    assert "That fixed it" in answered[-1]["elements"][0]["text"]
    bot.click("hint_fixed", fixed_hint, user=LEARNER)  # a second click counts once
    assert bot.ephemeral_to(LEARNER) == ANSWERED

    assert not bot.incident(missed_root).needs_triage  # confident: no TA needed so far
    bot.click("hint_not_it", missed_hint, user=TA)  # a TA may answer too
    bot.slack.wait_for_call("chat.update", 2)
    assert bot.incident(missed_root).needs_triage
    bot.post("still failing after that", user=OTHER_LEARNER, thread_ts=missed_root)
    bot.live.settle()
    assert bot.incident(missed_root).needs_triage  # the asker's reply does not clear it

    bot.post(PASSROLE)  # a third hint, never answered
    bot.recorded(3)
    line = "iam.passrole: 3 hints, 1 fixed, 1 not it, 1 no answer (50 % of answers fixed)"
    report = friction("report", "--db", db_url, env={"FRICTION_SALT": "test-salt"})
    assert report.returncode == 0, report.stderr
    assert line in report.stdout
    as_json = friction("report", "-f", "json", "--db", db_url, env={"FRICTION_SALT": "test-salt"})
    assert json.loads(as_json.stdout)["hints"] == [
        {
            "signature": "iam.passrole",
            "posted": 3,
            "fixed": 1,
            "not_it": 1,
            "no_answer": 1,
            "hit_rate": 0.5,
        }
    ]
    with Session(bot.engine) as session:
        week = datetime.fromtimestamp(float(fixed_root), UTC).strftime("%G-W%V")  # posts' week
        digest = build_digest(session, parse_period(week, "UTC"))
    assert line in str(digest_blocks(digest))
