"""Live capture in Socket Mode, against a local server speaking Slack's envelope protocol."""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select
from support.fake_slack import FakeSlack
from support.live_harness import SECRET, settings_for, wait_until
from support.slack_samples import load, message_event, wrap_event
from support.slack_signing import SlackSender

from bot.context import open_context
from bot.slack.live import LiveBot
from storage.models import Message


@pytest.fixture
def bot(fake_slack: FakeSlack, tmp_path: Path, sqlite_url: str) -> Iterator[LiveBot]:
    context = open_context(settings_for(fake_slack), sqlite_url)
    live = LiveBot(context, spool_path=tmp_path / "spool.db").start_writer()
    live.connect_socket_mode(
        fake_slack.app_token, ping_interval=0.3, check_every=0.1, stale_after=1.5
    )
    yield live
    fake_slack.socket_mode.stop()  # first, so the client's blocking read returns at once
    live.close()


def stored(bot: LiveBot) -> list[str]:
    assert bot.writer.wait_idle(10)
    with Session(bot.context.engine) as session:
        return list(session.exec(select(Message.ts).order_by(Message.ts)))


def push(fake: FakeSlack, text: str, ts: str, **options) -> str:
    envelope_id = fake.socket_mode.push(wrap_event(message_event(text, ts)), **options)
    fake.socket_mode.wait_for_ack(envelope_id)
    return envelope_id


def test_envelopes_are_acked_and_captured(bot: LiveBot, fake_slack: FakeSlack) -> None:
    server = fake_slack.socket_mode
    server.wait_for_connections(1)
    envelope_id = server.push(load("socket_mode/events_api.json")["payload"])
    assert server.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
    assert stored(bot) == [load("events/message.json")["event"]["ts"]]
    assert bot.health()[0] and bot.health()[1]["socket_mode"]["connected"]


def test_a_retried_envelope_is_stored_once(bot: LiveBot, fake_slack: FakeSlack) -> None:
    fake_slack.socket_mode.wait_for_connections(1)
    body = wrap_event(message_event("Lambda timed out", "1731360000.000100"))
    for attempt in range(3):
        fake_slack.socket_mode.wait_for_ack(
            fake_slack.socket_mode.push(body, retry_attempt=attempt, retry_reason="timeout")
        )
    assert stored(bot) == ["1731360000.000100"]
    assert bot.spool.counts().done == 1


def test_a_refresh_request_moves_to_a_new_session(bot: LiveBot, fake_slack: FakeSlack) -> None:
    server = fake_slack.socket_mode
    first = server.wait_for_connections(1)
    server.disconnect("refresh_requested")
    second = server.wait_for_connections(2)
    assert second is not first
    push(fake_slack, "after the refresh", "1731360001.000100")
    assert stored(bot) == ["1731360001.000100"]
    wait_until(lambda: bot.socket.health.reconnects == 1, what="the refresh counted")


@pytest.mark.parametrize(("failure", "bound"), [("drop", 3.0), ("close", 3.0), ("stall", 8.0)])
def test_a_dead_connection_is_replaced_and_redeliveries_are_stored_once(
    bot: LiveBot,
    fake_slack: FakeSlack,
    failure: str,
    bound: float,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A cut (mid-envelope), a close or a silent connection: back soon, one WARNING, no loss."""
    server = fake_slack.socket_mode
    server.wait_for_connections(1)
    stamps = [f"1731360002.{i:06d}" for i in range(30)]
    with caplog.at_level(logging.INFO):
        for ts in stamps[:20]:  # some acks are still on their way when the connection dies
            server.push(wrap_event(message_event("AccessDenied on PassRole", ts)))
        failed_at = time.monotonic()
        if failure == "drop":
            server.drop(half_frame=load("socket_mode/events_api.json"))
        elif failure == "close":
            server.current.close()  # a close frame, without a `disconnect` first
        else:
            server.stall()
        for ts in stamps[20:25]:  # sent into the dead connection: lost until redelivered
            server.push(wrap_event(message_event("NoSuchBucket", ts)))
        server.wait_for_connections(2, timeout=30)
        back = time.monotonic() - failed_at
        for ts in stamps[25:]:
            server.push(wrap_event(message_event("Lambda timed out", ts)))
        for envelope_id in server.redeliver():
            server.wait_for_ack(envelope_id)
        assert stored(bot) == stamps
    assert back < bound  # 1.5 s stale limit in this fixture; 3 s for a cut is the target
    assert [r.levelname for r in caplog.records if r.levelno >= logging.ERROR] == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.msg for r in warnings] == ["socket_mode.reconnected"]
    fields = warnings[0].fields  # type: ignore[attr-defined]
    assert float(fields["deaf"].rstrip("s")) < bound
    assert "acks_failed" in fields and fields["reason"]
    assert len(fake_slack.calls_to("apps.connections.open")) == 2
    status, _updated = bot.spool.statuses()["socket_mode"]
    assert status["connected"] and status["reconnects"] == 1
    http = bot.serve_http(host="127.0.0.1", port=0).start()
    with urllib.request.urlopen(f"http://127.0.0.1:{http.port}/healthz") as answer:
        health = json.loads(answer.read())["socket_mode"]
    assert health["connected"] and health["reconnects"] == 1
    assert health["last_reconnect_reason"] == fields["reason"]
    assert 0 < health["longest_deaf_seconds"] < bound


def test_socket_mode_and_http_share_one_spool(bot: LiveBot, fake_slack: FakeSlack) -> None:
    """The same event over both transports (a replica in each) is still stored once."""
    server = bot.serve_http(host="127.0.0.1", port=0).start()
    body = wrap_event(message_event("NoSuchBucket", "1731360003.000100"))
    fake_slack.socket_mode.wait_for_connections(1)
    fake_slack.socket_mode.wait_for_ack(fake_slack.socket_mode.push(body))
    sender = SlackSender(f"http://127.0.0.1:{server.port}/slack/events", SECRET)
    assert sender.event(body, retry_num=1).status == 200
    assert stored(bot) == ["1731360003.000100"]
    assert bot.spool.counts().done == 1


def test_a_malformed_frame_is_logged_once_acked_and_nothing_stops(
    bot: LiveBot, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    server = fake_slack.socket_mode
    connection = server.wait_for_connections(1)
    good = wrap_event(message_event("WOMBAT-4411 AccessDenied", "1731360004.000100"))
    frames = {
        "env-truncated": json.dumps({"envelope_id": "env-truncated", "payload": good})[:-9],
        "env-deep": '{"envelope_id": "env-deep", "payload": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "env-list": json.dumps(
            {"envelope_id": "env-list", "type": "events_api", "payload": [good]}
        ),
    }
    with caplog.at_level(logging.INFO):
        for frame in frames.values():
            assert connection.send_text(frame)
        for envelope_id in frames:
            assert server.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
        push(fake_slack, "NoSuchBucket after the bad frames", "1731360005.000100")
    assert stored(bot) == ["1731360005.000100"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    malformed = [r for r in caplog.records if r.msg == "socket_mode.malformed"]
    assert [r.levelno for r in malformed] == [logging.WARNING] * 3
    assert "WOMBAT" not in caplog.text
