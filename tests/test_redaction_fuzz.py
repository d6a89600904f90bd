"""Redaction fuzz: random secrets of every kind a learner pastes, posted to the running bot,
never reach the ledger file, the spool, the log, an export or a digest (searched as bytes)."""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.fake_slack import FakeSlack
from support.friction_cli import friction
from support.live_harness import running_bot
from support.pasted_secrets import KINDS, pasted
from support.slack_samples import message_event, wrap_event

from bot.ingest.privacy import redact

PER_KIND = 4  # through the live bot; the unit fuzz below tries many more
PASSROLE = "AccessDenied: not authorized to perform: iam:PassRole on LabRole."


def files_under(*paths: Path) -> bytes:
    """Every file at or under `paths` (a database's -wal and -shm included), as bytes."""
    found = [p for path in paths for p in path.parent.glob(f"{path.name}*")]
    found += [f for p in list(found) if p.is_dir() for f in p.rglob("*")]
    return b"".join(p.read_bytes() for p in found if p.is_file())


@pytest.mark.parametrize("kind", KINDS)
def test_redact_removes_every_random_secret_of_a_kind(kind: str) -> None:
    rng = random.Random(kind)
    leaked = [t for t, needle in (pasted(kind, rng) for _ in range(300)) if needle in redact(t)]
    assert leaked == []


def test_no_pasted_secret_reaches_a_file_the_log_an_export_or_a_digest(
    fake_slack: FakeSlack,
    tmp_path: Path,
    sqlite_ledger: Path,
    sqlite_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    rng = random.Random(14)
    samples = [(kind, *pasted(kind, rng)) for kind in KINDS for _ in range(PER_KIND)]
    ledger, spool, url = sqlite_ledger, tmp_path / "spool.db", sqlite_url
    now = time.time()
    with running_bot(fake_slack, url, spool) as live:
        live.bot.writer.stop()  # every event waits in the spool, as while the database is down
        for i, (_kind, text, _needle) in enumerate(samples):
            event = message_event(f"{PASSROLE} {text}", f"{now - 60 * (i + 1):.6f}")
            assert live.sender.event(wrap_event(event)).status == 200
        assert live.bot.spool.counts().pending == len(samples)
        spooled = files_under(spool)
    with running_bot(fake_slack, url, spool) as live:  # restarted: the spool drains
        live.settle()
        assert len(live.incidents()) == len(samples)
        while_running = files_under(ledger, spool)
    env = {"FRICTION_SALT": "test-salt"}
    export = friction(
        "export", "--format", "csv", "--out", str(tmp_path / "export"), "--db", url, env=env
    )
    assert export.returncode == 0, export.stderr
    week = datetime.fromtimestamp(now - 60, UTC).strftime("%G-W%V")  # the newest event's week
    digest = friction("digest", "--period", week, "--format", "json", "--db", url, env=env)
    assert digest.returncode == 0 and "iam.passrole" in digest.stdout, digest.stderr
    haystack = b"".join(
        (
            spooled,
            while_running,
            files_under(ledger, spool, tmp_path / "export"),
            caplog.text.encode(),
            digest.stdout.encode(),
            export.stdout.encode() + export.stderr.encode(),
        )
    )
    leaked = sorted({kind for kind, _text, needle in samples if needle.encode() in haystack})
    assert leaked == []
