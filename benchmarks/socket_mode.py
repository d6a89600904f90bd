"""Socket Mode through a refresh, a cut and a stall: every envelope stored once, seconds deaf.

Runs the live bot in-process as `friction run` builds it (LiveBot: spool, writer, ledger on
SQLite, Socket Mode at its production settings) against the fake Slack Web API and fake Socket
Mode server of tests/support/. N message envelopes are pushed at a steady rate; a quarter of
the way in Slack asks for a refresh (`disconnect`), half way the TCP connection is cut in the
middle of an envelope (no close frame), at three quarters it goes half-open (still open, but no
pongs, no envelopes, acks swallowed). As Slack does, an envelope not acked within
`--redeliver-after` seconds is sent again under a new envelope id.

Printed: envelopes sent and delivered (with redeliveries), messages stored, stored exactly
once, duplicates in the ledger, seconds deaf per event (from the failure to the new
connection's hello, measured on the server's side), WARNING and ERROR lines in the whole run.
`--client bare` runs a bare Bolt app on slack_sdk's default client instead (it acks only;
nothing is stored), the reference the bot should beat.

    python benchmarks/socket_mode.py --envelopes 1400
    python benchmarks/socket_mode.py --client bare
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))

from slack_bolt import App  # noqa: E402
from slack_bolt.adapter.socket_mode import SocketModeHandler  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlmodel import Session, select  # noqa: E402
from support.fake_slack import FakeSlack  # noqa: E402
from support.live_harness import settings_for  # noqa: E402
from support.slack_samples import load, message_event, wrap_event  # noqa: E402

from bot.context import open_context  # noqa: E402
from bot.logs import LogfmtFormatter  # noqa: E402
from bot.slack.live import LiveBot  # noqa: E402
from storage.models import Message  # noqa: E402

TEXTS = [
    "User is not authorized to perform: iam:PassRole on resource LabRole",
    "An error occurred (NoSuchBucket) when calling the PutObject operation",
    "Task timed out after 3.00 seconds",
    "is the lab 5 deadline friday?",
]


class Counter(logging.Handler):
    """Counts log records by level and keeps the first few ERROR lines to show."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: dict[str, int] = {}
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[record.levelname] = self.counts.get(record.levelname, 0) + 1
        if record.levelno >= logging.ERROR and len(self.errors) < 3:
            self.errors.append(f"{record.name}: {record.getMessage()[:160]}")


def start_bot(fake: FakeSlack, workdir: Path) -> tuple[Callable[[], None], Callable[[], int]]:
    """The bot at its production Socket Mode settings; returns (close, rows stored)."""
    context = open_context(settings_for(fake), f"sqlite:///{workdir}/ledger.db")
    bot = LiveBot(context, spool_path=workdir / "spool.db").start_writer()
    bot.connect_socket_mode(fake.app_token)

    def rows() -> int:
        bot.writer.wait_idle(60)
        with Session(context.engine) as session:
            return session.exec(select(func.count()).select_from(Message)).one()

    return bot.close, rows


def start_bare(fake: FakeSlack, _workdir: Path) -> tuple[Callable[[], None], Callable[[], int]]:
    """A bare Bolt app on slack_sdk's default Socket Mode client, acking message events."""
    app = App(client=fake.client(), signing_secret="unused", token_verification_enabled=False)
    app.event("message")(lambda: None)
    handler = SocketModeHandler(app, fake.app_token)
    handler.connect()
    return handler.close, lambda: -1


def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-socket-"))
    log_path = workdir / "run.log"
    file_handler = logging.FileHandler(log_path)
    file_handler.setFormatter(LogfmtFormatter())
    counter = Counter()
    root = logging.getLogger()
    root.handlers[:] = [file_handler, counter]
    root.setLevel(logging.INFO)

    fake = FakeSlack().start()
    server = fake.socket_mode
    close, rows = (start_bot if args.client == "bot" else start_bare)(fake, workdir)
    server.wait_for_connections(1)
    stop = threading.Event()

    def redeliver() -> None:
        while not stop.wait(0.5):
            server.redeliver(older_than=args.redeliver_after)

    threading.Thread(target=redeliver, daemon=True).start()
    deaf: dict[str, float] = {}
    failures = {
        args.envelopes // 4: ("refresh", lambda: server.disconnect("refresh_requested")),
        args.envelopes // 2: ("cut", lambda: server.drop(load("socket_mode/events_api.json"))),
        3 * args.envelopes // 4: ("stall", server.stall),
    }
    waiters = []
    base = 1_731_500_000
    stamps = [f"{base + i}.{i:06d}" for i in range(args.envelopes)]
    started = time.monotonic()
    for i, ts in enumerate(stamps):
        if i in failures:
            name, inject = failures[i]
            server.wait_for_connections(1, timeout=300)  # each event hits a live session
            greeted = sum(c.ticket is not None for c in server.connections)

            def measure(name: str = name, count: int = greeted + 1) -> None:
                at = time.monotonic()
                server.wait_for_connections(count, timeout=300)
                deaf[name] = time.monotonic() - at

            inject()
            waiter = threading.Thread(target=measure)
            waiter.start()
            waiters.append(waiter)
        server.push(wrap_event(message_event(TEXTS[i % len(TEXTS)], ts)))
        time.sleep(max(0.0, started + (i + 1) / args.rate - time.monotonic()))
    for waiter in waiters:
        waiter.join()

    def acked() -> set[str]:
        return {server.sent[e]["payload"]["event"]["ts"] for e in list(server.acks)}

    deadline = time.monotonic() + args.timeout
    while len(acked()) < len(stamps) and time.monotonic() < deadline:
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    stop.set()
    stored = rows()
    close()
    fake.stop()

    done = acked()
    print(
        f"client: {args.client}, {args.envelopes} envelopes at {args.rate:.0f}/s, {elapsed:.1f} s"
    )
    print(f"envelopes sent: {len(stamps)}, deliveries (with redeliveries): {len(server.sent)}")
    print(f"acked: {len(done)} messages, {len(stamps) - len(done)} never acked")
    if stored >= 0:
        print(f"stored: {stored} messages, duplicates in the ledger: {stored - len(set(stamps))}")
    for name in ("refresh", "cut", "stall"):
        print(f"seconds deaf after the {name}: {deaf.get(name, float('nan')):.2f}")
    print(f"WARNING lines: {counter.counts.get('WARNING', 0)}")
    print(f"ERROR lines: {counter.counts.get('ERROR', 0) + counter.counts.get('CRITICAL', 0)}")
    for line in counter.errors:
        print(f"  e.g. {line}")
    print(f"log: {log_path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envelopes", type=int, default=1400)
    parser.add_argument("--rate", type=float, default=50.0, help="envelopes pushed per second")
    parser.add_argument("--redeliver-after", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--client", choices=["bot", "bare"], default="bot")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
