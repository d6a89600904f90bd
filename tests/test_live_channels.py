"""Which channels are captured: ids, names and patterns from the TOML file, with cohorts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.fake_slack import FakeSlack
from support.live_harness import Running, running_bot
from support.slack_samples import HELP_CHANNEL, message_event, wrap_event

GENERAL = "C0GENERAL"
LAB5 = "C0LAB5"


@pytest.fixture
def live(fake_slack: FakeSlack, tmp_path: Path, sqlite_url: str) -> Iterator[Running]:
    fake_slack.add_channel(GENERAL, "general")
    fake_slack.add_channel(LAB5, "help-lab5")
    config = tmp_path / "friction.toml"
    config.write_text(
        '[channels]\nwatch = ["help-*"]\n'
        '[channels.cohorts]\n"help-lab4" = "fall-2026"\n"C0LAB5" = "spring-2027"\n'
    )
    with running_bot(fake_slack, sqlite_url, tmp_path / "s.db", config) as run:
        yield run


def post(live: Running, channel: str, ts: str) -> None:
    body = wrap_event(
        message_event("IAM: not authorized to perform iam:PassRole", ts, channel=channel)
    )
    assert live.sender.event(body).status == 200


def test_only_watched_channels_are_written_with_their_cohorts(
    live: Running, fake_slack: FakeSlack
) -> None:
    post(live, HELP_CHANNEL, "1731350000.000100")
    post(live, GENERAL, "1731350001.000100")
    post(live, LAB5, "1731350002.000100")
    post(live, HELP_CHANNEL, "1731350003.000100")
    post(live, GENERAL, "1731350004.000100")
    live.settle()
    assert [m.ts for m in live.messages()] == [
        "1731350000.000100",
        "1731350002.000100",
        "1731350003.000100",
    ]
    cohorts = {c.channel_id: (c.name, c.cohort) for c in live.channels()}
    assert cohorts == {HELP_CHANNEL: ("help-lab4", "fall-2026"), LAB5: ("help-lab5", "spring-2027")}
    asked = sorted(c.params["channel"] for c in fake_slack.calls_to("conversations.info"))
    assert asked == sorted([HELP_CHANNEL, GENERAL, LAB5])  # once per channel, then cached


def test_reactions_in_unwatched_channels_change_nothing(live: Running) -> None:
    post(live, GENERAL, "1731350001.000100")
    reaction = {
        "type": "reaction_added",
        "user": "U0456LRNR",
        "reaction": "white_check_mark",
        "item": {"type": "message", "channel": GENERAL, "ts": "1731350001.000100"},
        "event_ts": "1731350100.000100",
    }
    assert live.sender.event(wrap_event(reaction)).status == 200
    live.settle()
    assert live.messages() == [] and live.channels() == []
