"""`friction run` and `friction status` as a user runs them: a separate process, real sockets."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from support.fake_slack import LEADS_CHANNEL, FakeSlack
from support.friction_cli import friction, friction_process
from support.live_harness import SECRET, wait_until
from support.slack_samples import load, message_event, wrap_event
from support.slack_signing import SlackSender

from bot.config import ConfigError, Settings
from bot.slack.live import check_credentials

BASE_ENV = {
    "FRICTION_CONFIG": None,
    "DATABASE_URL": None,
    "FRICTION_SALT": None,
    "SLACK_APP_TOKEN": None,
    "SLACK_SIGNING_SECRET": None,
}


def env_for(fake: FakeSlack, tmp_path: Path, *, socket_mode: bool) -> dict[str, str | None]:
    return {
        **BASE_ENV,
        **fake.environ(socket_mode=socket_mode),
        "SLACK_SIGNING_SECRET": SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path}/ledger.db",
        "FRICTION_SPOOL": str(tmp_path / "spool.db"),
    }


class Bot:
    """`friction run` in a child process; its stderr log lines collected as they come."""

    def __init__(self, env: dict[str, str | None], cwd: Path, *args: str) -> None:
        full = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--reconcile-every", "0", *args],
            env=full,
            cwd=cwd,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []

    def wait_for(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        found: list[re.Match[str]] = []

        def seen() -> bool:
            line = self.process.stderr.readline()  # type: ignore[union-attr]
            if not line and self.process.poll() is not None:
                raise AssertionError("friction run exited:\n" + "".join(self.lines))
            self.lines.append(line)
            match = re.search(pattern, line)
            if match:
                found.append(match)
            return bool(found)

        wait_until(seen, timeout, pattern)
        return found[0]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(15)
        finally:
            self.lines += self.process.stderr.readlines()  # type: ignore[union-attr]


@pytest.fixture
def stop_afterwards() -> Iterator[list[Bot]]:
    bots: list[Bot] = []
    yield bots
    for bot in bots:
        if bot.process.poll() is None:
            bot.process.kill()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"SLACK_BOT_TOKEN": None}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token-1234"}, "SLACK_BOT_TOKEN must be"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong-kind-5678"}, "SLACK_APP_TOKEN must be"),
        ({"SLACK_SIGNING_SECRET": None, "SLACK_APP_TOKEN": None}, "SLACK_SIGNING_SECRET is not"),
        ({"SLACK_API_URL": "localhost:9"}, "SLACK_API_URL must be an http(s) URL"),
    ],
)
def test_each_bad_credential_is_named(
    fake_slack: FakeSlack, tmp_path: Path, changes: dict, message: str
) -> None:
    env = {**env_for(fake_slack, tmp_path, socket_mode=True), **changes}
    config = Settings(**{k: v for k, v in env.items() if v is not None and k.isupper()})
    with pytest.raises(ConfigError, match=re.escape(message)) as refused:
        check_credentials(config)
    assert "1234" not in str(refused.value) and "5678" not in str(refused.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"SLACK_APP_TOKEN": "xoxb-wrong-kind-5678"}, "SLACK_APP_TOKEN must be"),
        ({"SLACK_BOT_TOKEN": "xoxb-revoked"}, "Slack refused SLACK_BOT_TOKEN: invalid_auth"),
    ],
)
def test_bad_credentials_stop_it_with_one_clear_line(
    fake_slack: FakeSlack, tmp_path: Path, changes: dict, message: str
) -> None:
    env = {**env_for(fake_slack, tmp_path, socket_mode=True), **changes}
    result = friction_process("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()[-1:]
    assert message in line and "Traceback" not in result.stderr
    assert "5678" not in result.stderr  # no secret echoed
    if "refused" not in message:
        assert not (tmp_path / "spool.db").exists()  # nothing started
        assert not fake_slack.calls


def ledger_count(tmp_path: Path, table: str) -> int:
    with closing(sqlite3.connect(tmp_path / "ledger.db")) as ledger:
        return ledger.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_http_mode_end_to_end(fake_slack: FakeSlack, tmp_path: Path, stop_afterwards) -> None:
    config = tmp_path / "friction.toml"
    config.write_text(f'[digest]\nchannel = "{LEADS_CHANNEL}"\n')
    env = {**env_for(fake_slack, tmp_path, socket_mode=False), "FRICTION_CONFIG": str(config)}
    bot = Bot(env, tmp_path, "--port", "0", "--host", "127.0.0.1")
    stop_afterwards.append(bot)
    port = bot.wait_for(r"event=run.started mode=http .*port=(\d+)").group(1)
    sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)
    for name in ("message", "message_thread_reply", "reaction_added"):
        assert sender.event(load(f"events/{name}.json")).status == 200
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as answer:
        assert answer.status == 200 and json.loads(answer.read())["database"] == "ok"

    wait_until(lambda: ledger_count(tmp_path, "message") == 2, 20, "the thread in the ledger")

    def drained() -> bool:  # the writer marks events done in the spool after the ledger commits
        return ": 0 pending," in friction("status", env=env, cwd=tmp_path).stdout

    wait_until(drained, 20, "the spool drained")  # the reaction may come in a later batch
    report = json.loads(friction("report", "--format", "json", env=env, cwd=tmp_path).stdout)
    assert (report["total_messages"], report["total_incidents"]) == (2, 1)
    status = friction("status", env=env, cwd=tmp_path)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "0 pending, 0 failed" in status.stdout and "ledger ok" in status.stdout
    fake_slack.wait_for_call("chat.postMessage", timeout=30)  # last week's digest, due at start
    assert bot.stop() == 0
    log = "".join(bot.lines)
    assert "event=run.stopped" in log
    assert [c.params["channel"] for c in fake_slack.calls_to("chat.postMessage")] == [LEADS_CHANNEL]
    assert "Deploy fails" not in log and "LabRole" not in log  # no message text at INFO


def test_socket_mode_end_to_end(fake_slack: FakeSlack, tmp_path: Path, stop_afterwards) -> None:
    env = env_for(fake_slack, tmp_path, socket_mode=True)
    bot = Bot(env, tmp_path)
    stop_afterwards.append(bot)
    bot.wait_for(r"event=run.started mode=socket_mode")
    server = fake_slack.socket_mode
    server.wait_for_connections(1)
    body = wrap_event(message_event("S3: NoSuchBucket on PutObject", "1731370000.000100"))
    server.wait_for_ack(server.push(body))

    wait_until(lambda: ledger_count(tmp_path, "message") == 1, 20, "the message in the ledger")
    status = friction("status", env=env, cwd=tmp_path)
    assert "socket mode: connected" in status.stdout, status.stdout
    server.drop()  # a network cut: `friction status` tells what happened and for how long
    server.wait_for_connections(2, timeout=10)
    wait_until(
        lambda: "1 reconnects" in friction("status", env=env, cwd=tmp_path).stdout, 10, "status"
    )
    status = friction("status", env=env, cwd=tmp_path).stdout
    assert re.search(r"connected, .*: closed without a close frame, longest deaf \d+\.\ds", status)
    server.stop()
    assert bot.stop() == 0
