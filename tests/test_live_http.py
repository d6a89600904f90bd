"""Live capture in HTTP mode: signed Events API requests to the running bot over loopback."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.fake_slack import FakeSlack
from support.friction_cli import friction
from support.live_harness import Running, running_bot
from support.slack_samples import HELP_CHANNEL, TEAM_ID, event_body, load, message_event, wrap_event

from bot.slack.spool import Spool

ROOT_TS = "1731330000.001100"


@pytest.fixture
def live(fake_slack: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Running]:
    with running_bot(fake_slack, db_url, tmp_path / "spool.db") as running:
        yield running


def send(live: Running, *names: str) -> None:
    for name in names:
        answer = live.sender.event(load(f"events/{name}.json"))
        assert answer.status == 200, (name, answer.status, answer.text)


def test_every_kind_of_event_lands_as_slack_shows_it(live: Running) -> None:
    send(live, "message", "message_thread_reply", "message_thread_broadcast", "message_changed")
    send(live, "message_file_share", "message_bot_message", "message_channel_join")
    send(live, "reaction_added")
    live.settle()

    by_ts = {m.ts: m for m in live.messages()}
    assert sorted(by_ts) == [ROOT_TS, "1731330120.002200", "1731330180.002300", "1731330800.000900"]
    broadcast = by_ts["1731330180.002300"]
    assert (broadcast.thread_ts, broadcast.subtype) == (ROOT_TS, "thread_broadcast")
    assert "(edit: lab 4 step 3)" in by_ts[ROOT_TS].text and by_ts[ROOT_TS].edited_at
    assert "NoSuchBucket" in by_ts["1731330800.000900"].text
    passrole, bucket = live.incidents()
    assert passrole.signature_id == "iam.passrole" and bucket.signature_id == "s3.no_such_bucket"
    assert passrole.resolved_by == "reaction" and passrole.downtime_seconds == 1000

    send(live, "reaction_removed")
    live.settle()
    assert live.incidents()[0].resolved_at is None
    [channel] = live.channels()
    assert (channel.team_id, channel.channel_id, channel.name) == (
        TEAM_ID,
        HELP_CHANNEL,
        "help-lab4",
    )


def test_a_redelivered_event_is_stored_once(live: Running) -> None:
    body = wrap_event(message_event("S3 says AccessDenied on GetObject", "1731331000.000100"))
    first = live.sender.event(body)
    retries = [live.sender.event(body, retry_num=n) for n in (1, 2, 3)]
    assert [first.status] + [r.status for r in retries] == [200] * 4
    live.settle()
    assert [m.ts for m in live.messages()] == ["1731331000.000100"]
    counts = live.bot.spool.counts()
    assert counts.done + counts.pending == 1


def test_forged_and_stale_requests_are_refused_and_write_nothing(
    live: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = event_body("message")
    assert live.sender.event(body, secret="not-the-secret").status == 401
    assert live.sender.event(body, timestamp=int(time.time()) - 6 * 60).status == 401
    live.settle()
    assert live.messages() == []
    assert live.bot.spool.counts().done == 0
    refused = [r for r in caplog.records if r.getMessage() == "request.refused"]
    assert len(refused) == 2
    assert "Deploy fails" not in caplog.text  # no message text in the logs


def test_http_mode_does_not_show_a_previous_socket_mode_run(
    fake_slack: FakeSlack, tmp_path: Path, sqlite_url: str
) -> None:
    spool = tmp_path / "spool.db"
    earlier = Spool(spool)
    earlier.set_status("socket_mode", {"connected": False, "last_heard": 0, "reconnects": 3})
    earlier.close()
    with running_bot(fake_slack, sqlite_url, spool) as live:
        live.settle()
        status = friction("status", "--spool", str(spool))
    assert "ledger ok" in status.stdout and "socket mode" not in status.stdout


def test_healthz_and_the_request_url_check_answer(live: Running) -> None:
    status, health = live.health()
    assert status == 200
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["spool_pending"] == 0
    challenge = load("events/url_verification.json")  # Slack's check of a new Request URL
    assert live.sender.event(challenge).json() == {"challenge": challenge["challenge"]}
    live.settle()
    assert live.bot.spool.counts().done == 0


def test_the_ack_comes_back_fast_and_the_event_is_already_durable(live: Running) -> None:
    live.bot.writer.stop()  # nothing applies events now: only the spool can hold them
    body = wrap_event(message_event("Lambda: Task timed out after 3.00 seconds", "1731332000.1"))
    started = time.perf_counter()
    assert live.sender.event(body).status == 200
    assert time.perf_counter() - started < 1.0
    assert live.bot.spool.counts().pending == 1
    assert live.messages() == []


def file_bytes(path: Path) -> bytes:
    """The database file and its WAL, as they are on disk."""
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_a_deleted_message_leaves_the_sqlite_files(
    fake_slack: FakeSlack, tmp_path: Path, sqlite_ledger: Path, sqlite_url: str
) -> None:
    ledger, spool = sqlite_ledger, tmp_path / "spool.db"
    secret_text = b"QUOKKA-7731 cannot reach my bucket"
    with running_bot(fake_slack, sqlite_url, spool) as live:
        posted = message_event(secret_text.decode(), "1731333000.000100")
        assert live.sender.event(wrap_event(posted)).status == 200
        live.settle()
        assert secret_text in file_bytes(ledger)
        deleted = event_body("message_deleted", deleted_ts="1731333000.000100")
        deleted["event"]["previous_message"]["ts"] = "1731333000.000100"
        assert live.sender.event(deleted).status == 200
        live.settle()
        assert live.messages() == []
        assert b"QUOKKA-7731" not in file_bytes(ledger)
        assert b"QUOKKA-7731" not in file_bytes(spool)


def test_a_deleted_thread_root_takes_its_incident_along(live: Running) -> None:
    send(live, "message", "message_thread_reply")
    live.settle()
    assert len(live.incidents()) == 1
    deleted = event_body("message_deleted", deleted_ts=ROOT_TS)
    assert live.sender.event(deleted).status == 200
    live.settle()
    assert live.incidents() == []
    assert [m.ts for m in live.messages()] == ["1731330120.002200"]
