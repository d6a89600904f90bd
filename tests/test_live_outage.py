"""Lose nothing: events keep being acknowledged while the ledger is down, and all land later."""

from __future__ import annotations

import time
from pathlib import Path

from sqlmodel import Session, select
from support.fake_slack import FakeSlack
from support.live_harness import running_bot, wait_until
from support.postgres_server import PostgresServer
from support.slack_samples import message_event, wrap_event

from bot.config import Settings
from bot.context import open_context
from bot.slack.live import LiveBot
from storage.models import Message


def event(i: int) -> dict:
    ts = f"{1731340000 + i}.000100"
    return wrap_event(message_event(f"lab {i}: s3 AccessDenied on GetObject", ts))


def test_postgres_stopped_mid_stream_loses_nothing(
    fake_slack: FakeSlack, pg_server: PostgresServer, pg_url: str, tmp_path: Path
) -> None:
    with running_bot(fake_slack, pg_url, tmp_path / "spool.db") as live:
        for i in range(40):
            assert live.sender.event(event(i)).status == 200
        live.settle()
        with pg_server.stopped():
            slowest = 0.0
            for i in range(40, 120):
                started = time.perf_counter()
                assert live.sender.event(event(i)).status == 200
                slowest = max(slowest, time.perf_counter() - started)
            assert slowest < 1.0  # acked from the spool, not waiting for the database
            wait_until(lambda: live.bot.writer.health.database == "unavailable", what="outage")
            status, health = live.health()
            assert (status, health["status"], health["database"]) == (
                200,
                "degraded",
                "unavailable",
            )
            assert health["spool_pending"] > 0
        live.settle(timeout=60)
        stored = [m.ts for m in live.messages()]
        assert stored == [f"{1731340000 + i}.000100" for i in range(120)]
        assert live.health()[1]["database"] == "ok"


def test_spooled_events_survive_a_restart(
    fake_slack: FakeSlack, tmp_path: Path, sqlite_url: str
) -> None:
    url, spool = sqlite_url, tmp_path / "spool.db"
    with running_bot(fake_slack, url, spool) as live:
        live.bot.writer.stop()  # the process dies before writing anything to the ledger
        for i in range(5):
            assert live.sender.event(event(i)).status == 200
        assert live.messages() == []
    settings = Settings(
        FRICTION_SALT="test-salt",
        SLACK_BOT_TOKEN=fake_slack.bot_token,
        SLACK_API_URL=fake_slack.api_url,
    )
    bot = LiveBot(open_context(settings, url), spool_path=spool).start_writer()
    try:
        assert bot.writer.wait_idle(10)
        with Session(bot.context.engine) as session:
            stored = session.exec(select(Message.ts).order_by(Message.ts)).all()
        assert stored == [f"{1731340000 + i}.000100" for i in range(5)]
    finally:
        bot.close()
