"""Benchmark the hint's latency over loopback: from a learner's event to the hint in the thread.

    python benchmarks/hints.py [--rounds 200] [--incidents 20000] [--backend sqlite|postgresql]

The live bot runs as `friction run --http` assembles it (signed HTTP, spool, writer, hint
worker) against the tests' fake Slack on 127.0.0.1, on a SQLite or PostgreSQL (a throwaway
server, tests/support/postgres_server.py) ledger holding `--incidents` earlier incidents (default:
both backends). Each round a learner posts a new PassRole error in an opted-in channel.
Printed: the event's acknowledgement (what Slack waits for), and the time from the
start of the event's POST to the `chat.postMessage` of its hint arriving at the fake Slack;
medians and p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.fake_slack import FakeSlack  # noqa: E402
from support.live_harness import running_bot  # noqa: E402
from support.postgres_server import throwaway_database  # noqa: E402
from support.slack_samples import HELP_CHANNEL, TEAM_ID, load, message_event, wrap_event  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.context import open_context  # noqa: E402
from bot.ingest.capture import CapturedMessage  # noqa: E402

PASSROLE = load("events/message.json")["event"]["text"]


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms"


def hint_arrival(fake: FakeSlack, root_ts: str, timeout: float = 10.0) -> float:
    """When (time.monotonic) the hint for `root_ts` reached the fake Slack."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in fake.calls_to("chat.postMessage"):
            if call.params.get("thread_ts") == root_ts:
                return call.at
        time.sleep(0.0005)
    raise TimeoutError(f"no hint for {root_ts}")


def seed(db_url: str, fake: FakeSlack, incidents: int) -> None:
    """Earlier incidents (older than a hint's freshness limit, so none gets one now)."""
    settings = Settings(FRICTION_SALT="bench", **fake.environ(socket_mode=False))
    context = open_context(settings, db_url)
    start = time.time() - 30 * 86400
    context.ingestor.add_many(
        CapturedMessage(TEAM_ID, HELP_CHANNEL, f"{start + i:.6f}", PASSROLE, user_id=f"U{i % 500}")
        for i in range(incidents)
    )
    context.engine.dispose()


def bench(db_url: str, backend: str, rounds: int, incidents: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        seed(db_url, fake, incidents)
        config = Path(tmp) / "friction.toml"
        config.write_text('[channels]\nhints = ["help-*"]\n')
        acks, hints = [], []
        with running_bot(fake, db_url, Path(tmp) / "spool.db", config) as live:
            for _ in range(rounds):
                message = fake.post(HELP_CHANNEL, PASSROLE)
                body = wrap_event(message_event(PASSROLE, message["ts"]))
                began = time.monotonic()
                assert live.sender.event(body).status == 200
                acks.append(time.monotonic() - began)
                hints.append(hint_arrival(fake, message["ts"]) - began)
    print(f"Hints over loopback HTTP, {backend} ledger of {incidents} earlier incidents")
    print(f"event acknowledged            {percentiles(acks)}   ({len(acks)} events)")
    print(f"event POST -> hint posted     {percentiles(hints)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            bench(f"sqlite:///{folder}/ledger.db", "SQLite", args.rounds, args.incidents)
    if args.backend in ("postgresql", "both"):
        with throwaway_database() as url:
            bench(url, "PostgreSQL", args.rounds, args.incidents)


if __name__ == "__main__":
    main()
