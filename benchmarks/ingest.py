"""Live-capture throughput: N signed events over loopback into `friction run` in HTTP mode.

Starts the fake Slack Web API (tests/support/fake_slack.py), then, each as its own process and
started afresh for every round:
  1. a bare Bolt app that only acknowledges `message` events (the reference),
  2. `friction run` on a fresh SQLite ledger (spool, writer, classification, everything).
Both are served the same way (bot/slack/server.py: waitress, its default thread pool). The same N
signed events are posted to each at the given concurrency over keep-alive connections; the two
apps alternate so that other load on the machine hits both alike. Printed per round and as
medians: events/s (acked), ack latency p50/p99, rows in the ledger (must equal N), the time
until the ledger holds every event, peak RSS, and the bot's throughput as a fraction of the
bare app's (the median of each round's ratio).

    python benchmarks/ingest.py --events 2000 --concurrency 16 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support.burst import post_each, start  # noqa: E402
from support.fake_slack import FakeSlack  # noqa: E402
from support.slack_samples import message_event, wrap_event  # noqa: E402
from support.slack_signing import event_request  # noqa: E402

SECRET = "bench-signing-secret"
BARE = "bare Bolt app (ack only)"
BOT = "friction run"
WARM = 20  # warm-up events, distinct from the measured ones
TEXTS = [
    "Deploy fails: User: arn:aws:sts::111122223333:assumed-role/voclabs/u is not authorized "
    "to perform: iam:PassRole on resource: arn:aws:iam::111122223333:role/LabRole",
    "An error occurred (NoSuchBucket) when calling the PutObject operation",
    "Task timed out after 3.00 seconds",
    "thanks, that worked!",
    "is the lab 5 deadline friday?",
    "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied",
]

BARE_APP = """
import sys
from slack_bolt import App
from slack_sdk import WebClient
from bot.slack.server import HttpServer
app = App(client=WebClient(token=sys.argv[2], base_url=sys.argv[3]), signing_secret=sys.argv[1],
          token_verification_enabled=False)
app.event("message")(lambda: None)
HttpServer(app, lambda: (True, {}), signing_secret=sys.argv[1], host="127.0.0.1",
           port=int(sys.argv[5])).serve_forever()
"""


def bodies(count: int, first: int = 0) -> list[bytes]:
    """Distinct message events; every fifth a reply in the thread of the one before."""
    out = []
    base = 1_731_400_000
    for i in range(first, first + count):
        ts = f"{base + i}.{i % 1_000_000:06d}"
        thread = f"{base + i - 1}.{(i - 1) % 1_000_000:06d}" if i % 5 == 4 else None
        event = message_event(TEXTS[i % len(TEXTS)], ts, thread_ts=thread)
        out.append(event_request(wrap_event(event, event_id=f"EvB{i:08d}"))[0])
    return out


def post_all(port: int, payloads: list[bytes], concurrency: int) -> tuple[float, list[float], int]:
    """Post every payload, `concurrency` at a time; (seconds, ack latencies, non-200 count)."""
    latencies: list[float] = []
    started = time.perf_counter()
    statuses = post_each(port, SECRET, payloads, concurrency, latencies=latencies)
    return time.perf_counter() - started, latencies, sum(status != 200 for status in statuses)


def rows(ledger: Path) -> int:
    try:
        with closing(sqlite3.connect(ledger, timeout=30)) as db:
            return db.execute("SELECT count(*) FROM message").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


@dataclass
class Result:
    """One app's run: how fast acks came back, and for the bot what reached the ledger."""

    events: int
    seconds: float
    latencies: list[float]
    failures: int
    rss_mb: float
    stored: int | None = None  # the bot's rows in the ledger; None for the bare app
    drained: float | None = None  # seconds from the first post until all were in the ledger

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def measure(name: str, command: list[str], env: dict[str, str], workdir: Path, args) -> Result:
    """Start one app fresh, warm it up, post the events, wait for the ledger (the bot)."""
    ledger = workdir / "ledger.db"
    env = {**env, "DATABASE_URL": f"sqlite:///{ledger}", "FRICTION_SPOOL": f"{workdir}/spool.db"}
    process, port = start(command, env, workdir / f"{name.split()[0]}.log")
    try:
        post_all(port, bodies(WARM, first=args.events), 4)
        began = time.perf_counter()
        seconds, latencies, failures = post_all(port, bodies(args.events), args.concurrency)
        result = Result(args.events, seconds, latencies, failures, 0.0)
        if name == BOT:
            deadline = time.perf_counter() + 120
            while rows(ledger) < args.events + WARM and time.perf_counter() < deadline:
                time.sleep(0.05)
            result.drained = time.perf_counter() - began
            result.stored = rows(ledger) - WARM
        result.rss_mb = peak_rss_mb(process.pid)
        return result
    finally:
        process.terminate()
        process.wait(30)


def row(name: str, rate: float, p50: float, p99: float, failures: int, rss: float, bot=None) -> str:
    stored, drained = bot or ("-", "-")
    return (
        f"{name:30}{rate:>9.0f}{p50 * 1000:>8.1f}ms{p99 * 1000:>8.1f}ms{failures:>9}"
        f"{stored:>11}{drained:>12}{rss:>8.0f}MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="bare app then bot, this often")
    args = parser.parse_args()
    results: dict[str, list[Result]] = {BARE: [], BOT: []}
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, **fake.environ(socket_mode=False), "SLACK_SIGNING_SECRET": SECRET}
        for name in ("SLACK_APP_TOKEN", "FRICTION_CONFIG"):
            env.pop(name, None)
        commands = {
            BARE: [sys.executable, "-c", BARE_APP, SECRET, fake.bot_token, fake.api_url],
            BOT: [sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--reconcile-every=0"],
        }
        for round_ in range(args.rounds):
            for name, command in commands.items():
                workdir = Path(tmp) / f"{round_}-{name.split()[0]}"
                workdir.mkdir()
                results[name].append(measure(name, command, env, workdir, args))

    print(
        f"{args.events} signed message events, concurrency {args.concurrency}, SQLite ledger, "
        f"{args.rounds} rounds (each app started fresh, bare app then bot)"
    )
    print(
        f"{'':30}{'events/s':>9}{'ack p50':>10}{'ack p99':>10}{'non-200':>9}"
        f"{'in ledger':>11}{'all stored':>12}{'peak RSS':>10}"
    )
    for round_ in range(args.rounds):
        for name, runs in results.items():
            r = runs[round_]
            bot = (r.stored, f"{r.drained:.1f}s") if r.stored is not None else None
            p50, p99 = percentile(r.latencies, 50), percentile(r.latencies, 99)
            print(row(f"{name} #{round_ + 1}", r.rate, p50, p99, r.failures, r.rss_mb, bot))
    median = statistics.median
    for name, runs in results.items():
        print(
            row(
                f"{name}, median",
                median(r.rate for r in runs),
                median(percentile(r.latencies, 50) for r in runs),
                median(percentile(r.latencies, 99) for r in runs),
                sum(r.failures for r in runs),
                max(r.rss_mb for r in runs),
            )
        )
    bare, bot = results[BARE], results[BOT]
    ratio = median(b.rate / a.rate for a, b in zip(bare, bot, strict=True))
    print(f"friction run / bare app throughput, median of the rounds' ratios: {ratio:.2f}x")
    stored_rate = median(r.events / r.drained for r in bot)  # type: ignore[operator]
    print(f"ledger throughput (acked and stored), median: {stored_rate:.0f} events/s")
    print(f"lost: {sum(r.events - (r.stored or 0) for r in bot)} of {args.events * args.rounds}")


if __name__ == "__main__":
    main()
