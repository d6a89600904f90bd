"""The live bot running in-process on a fake Slack, as `friction run` assembles it.

Shared by the live-capture tests: a `LiveBot` on a ledger URL, its HTTP server on a free port,
and a `SlackSender` signing requests with the bot's secret.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.config import Settings
from bot.context import open_context
from bot.slack.live import LiveBot
from storage.models import Channel, Incident, Message
from support.fake_slack import FakeSlack
from support.ledger_rows import incidents
from support.slack_signing import SlackSender

SECRET = "test-signing-secret"


def settings_for(fake: FakeSlack, config: Path | None = None) -> Settings:
    return Settings(
        FRICTION_SALT="test-salt",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_API_URL=fake.api_url,
        FRICTION_CONFIG=config,
    )


@dataclass
class Running:
    bot: LiveBot
    url: str
    sender: SlackSender

    @property
    def engine(self):
        return self.bot.context.engine

    def settle(self, timeout: float = 20.0) -> None:
        """Wait until every spooled event is in the ledger."""
        assert self.bot.writer.wait_idle(timeout), "the spool did not drain"

    def messages(self) -> list[Message]:
        with Session(self.engine) as session:
            return list(session.exec(select(Message).order_by(Message.ts)))

    def incidents(self) -> list[Incident]:
        return incidents(self.bot.context)

    def channels(self) -> list[Channel]:
        with Session(self.engine) as session:
            return list(session.exec(select(Channel).order_by(Channel.channel_id)))

    def health(self) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(self.url.replace("/slack/events", "/healthz")) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read())


@contextmanager
def running_bot(
    fake: FakeSlack, db_url: str, spool: Path, config: Path | None = None
) -> Iterator[Running]:
    """The bot in HTTP mode on 127.0.0.1, writer started; closed afterwards."""
    context = open_context(settings_for(fake, config), db_url)
    bot = LiveBot(context, spool_path=spool).start_writer()
    server = bot.serve_http(host="127.0.0.1", port=0).start()
    url = f"http://127.0.0.1:{server.port}/slack/events"
    try:
        yield Running(bot, url, SlackSender(url, SECRET))
    finally:
        bot.close()
        context.engine.dispose()


def wait_until(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.02)
