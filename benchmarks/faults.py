"""Nothing lost under faults: `friction run` (HTTP mode, real processes, loopback) killed, its
database stopped, or run twice, while signed events pour in. Prints per scenario: events sent,
acked (200), stored, lost (acked but not stored), duplicates (rows for one message beyond the
first, and incidents beyond one per thread), and the time to drain.

    kill9     `kill -9` of the bot halfway through N events posted by C threads; restart on the
              same spool and ledger; Slack's retries resend what got no 200, and some of what
              did (a lost ack looks the same to Slack).
    outage    PostgreSQL stopped a quarter of the way into the burst, started OUTAGE seconds
              later; events keep being acked from the spool; drain time measured from the start.
    replicas  two bots on one PostgreSQL ledger, every event posted to both, in opposite
              orders, at the same time.
    redaction random secrets of every kind a learner pastes (tests/support/pasted_secrets.py),
              SECRETS per kind, through the redaction the spool and the ledger apply to an
              event: tried and leaked per kind.

    python benchmarks/faults.py [--events 2000] [--concurrency 16] [--outage 30] [--secrets 1000]
                                [--scenario kill9 outage replicas redaction]
                                [--ledger sqlite postgresql]

Short versions in the test suite: tests/test_live_outage.py (PostgreSQL stopped, spooled
events surviving a restart), tests/test_ingest.py (two replicas at once); a kill -9 run needs
two process starts and stays here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from ingest import SECRET, bodies  # noqa: E402
from support.burst import Ledger, post_each, start, ts_of  # noqa: E402
from support.fake_slack import FakeSlack  # noqa: E402
from support.pasted_secrets import KINDS, pasted  # noqa: E402
from support.postgres_server import PostgresServer, find_bindir  # noqa: E402
from support.slack_samples import message_event, wrap_event  # noqa: E402

from bot.ingest.privacy import redact_all  # noqa: E402

BOT = [sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--reconcile-every=0"]


@dataclass
class Outcome:
    scenario: str
    ledger: str
    sent: int
    acked: int
    stored: int
    lost: int
    duplicate_rows: int
    duplicate_incidents: int
    drain: float
    note: str = ""

    def line(self) -> str:
        return (
            f"{self.scenario:9}{self.ledger:>11}{self.sent:>7}{self.acked:>7}{self.stored:>8}"
            f"{self.lost:>6}{self.duplicate_rows:>9}{self.duplicate_incidents:>10}"
            f"{self.drain:>9.1f}s  {self.note}"
        )


def outcome(scenario: str, kind: str, ledger: Ledger, payloads, acked, drain, note) -> Outcome:
    stored, duplicate_rows, duplicate_incidents = ledger.counts()
    wanted = {ts_of(payloads[i]) for i in acked}
    return Outcome(
        scenario,
        kind,
        len(payloads),
        len(acked),
        len(stored & {ts_of(p) for p in payloads}),
        len(wanted - stored),
        duplicate_rows,
        duplicate_incidents,
        drain,
        note,
    )


class Bots:
    """`friction run` processes on one fake Slack, each on its own spool, killed at the end."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env, self.workdir, self.processes = env, workdir, []

    def start(self, url: str, spool: str) -> tuple[object, int]:
        env = {**self.env, "DATABASE_URL": url, "FRICTION_SPOOL": str(self.workdir / spool)}
        process, port = start(BOT, env, self.workdir / f"{spool}.{len(self.processes)}.log")
        self.processes.append(process)
        return process, port

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                process.wait(30)


def kill9(bots: Bots, url: str, kind: str, args) -> Outcome:
    payloads = bodies(args.events)
    process, port = bots.start(url, "spool.db")
    killed = threading.Event()

    def kill_halfway(acked: int) -> None:
        if acked >= args.events // 2 and not killed.is_set():
            killed.set()
            os.kill(process.pid, signal.SIGKILL)

    first = post_each(port, SECRET, payloads, args.concurrency, kill_halfway)
    process.wait(30)
    acked = [i for i, s in enumerate(first) if s == 200]
    began = time.perf_counter()
    _, port = bots.start(url, "spool.db")  # the same spool and ledger
    unanswered = [payloads[i] for i, s in enumerate(first) if s != 200]
    again = post_each(port, SECRET, unanswered, args.concurrency, retry=True)
    post_each(port, SECRET, [payloads[i] for i in acked[::10]], args.concurrency, retry=True)
    Ledger(url).wait_for(args.events, 120)
    drain = time.perf_counter() - began
    note = (
        f"killed after {len(acked)} acks; {len(unanswered)} resent after the restart "
        f"({again.count(200)} acked), {len(acked[::10])} acked ones resent as retries; "
        "drain: restart, resends, all stored"
    )
    return outcome("kill9", kind, Ledger(url), payloads, acked, drain, note)


def outage(bots: Bots, url: str, kind: str, args, server: PostgresServer) -> Outcome:
    payloads = bodies(args.events)
    _, port = bots.start(url, "spool.db")
    stopped: list[float] = []
    lock = threading.Lock()

    def stop_at_a_quarter(acked: int) -> None:
        with lock:
            if acked >= args.events // 4 and not stopped:
                server.stop()
                stopped.append(time.perf_counter())

    statuses = post_each(port, SECRET, payloads, args.concurrency, stop_at_a_quarter)
    burst_end = time.perf_counter()
    time.sleep(max(0.0, stopped[0] + args.outage - time.perf_counter()))
    server.start()
    drain = Ledger(url).wait_for(args.events, 180)
    acked = [i for i, s in enumerate(statuses) if s == 200]
    note = (
        f"database down {args.outage:.0f} s from ack {args.events // 4}; the burst ended "
        f"{burst_end - stopped[0]:.1f} s into the outage; drain from the database's start"
    )
    return outcome("outage", kind, Ledger(url), payloads, acked, drain, note)


def replicas(bots: Bots, url: str, kind: str, args) -> Outcome:
    payloads = bodies(args.events)
    ports = [bots.start(url, f"spool-{n}.db")[1] for n in (1, 2)]
    orders = [payloads, payloads[::-1]]
    results: list[list[int]] = [[], []]

    def send(n: int) -> None:
        results[n] = post_each(ports[n], SECRET, orders[n], max(1, args.concurrency // 2))

    began = time.perf_counter()
    threads = [threading.Thread(target=send, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    Ledger(url).wait_for(args.events, 120)
    drain = time.perf_counter() - began
    acked = [i for i, s in enumerate(results[0]) if s == 200]
    both = sum(s == 200 for s in results[0]) + sum(s == 200 for s in results[1])
    note = (
        f"every event to both bots, opposite orders: {both} acks of {2 * args.events}; "
        "drain: first post to all stored"
    )
    return outcome("replicas", kind, Ledger(url), payloads, acked, drain, note)


def redaction(per_kind: int) -> None:
    """Secrets of each kind in a message event, redacted as the spool and the ledger do."""
    rng = random.Random(14)
    print(f"\n{'secret kind':34}{'tried':>7}{'leaked':>8}")
    for kind in KINDS:
        leaked = 0
        for _ in range(per_kind):
            text, needle = pasted(kind, rng)
            kept = redact_all(wrap_event(message_event(text, "1731400000.000100")))
            leaked += needle in json.dumps(kept, ensure_ascii=False)
        print(f"{kind:34}{per_kind:>7}{leaked:>8}")


@contextmanager
def postgres() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    if bindir is None:
        sys.exit("PostgreSQL binaries not found (Debian's postgresql package)")
    with PostgresServer(bindir) as server:
        yield server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--outage", type=float, default=30.0, help="seconds PostgreSQL is down")
    parser.add_argument("--secrets", type=int, default=1000, help="tried per kind")
    parser.add_argument(
        "--scenario", nargs="+", default=["kill9", "outage", "replicas", "redaction"]
    )
    parser.add_argument("--ledger", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    results: list[Outcome] = []
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            **fake.environ(socket_mode=False),
            "SLACK_SIGNING_SECRET": SECRET,
            "FRICTION_SALT": "bench-salt",
        }
        for name in ("SLACK_APP_TOKEN", "FRICTION_CONFIG"):
            env.pop(name, None)
        for scenario in args.scenario:
            if scenario == "redaction":
                continue
            for kind in args.ledger:
                if kind == "sqlite" and scenario != "kill9":
                    continue  # an outage and two replicas on one ledger are PostgreSQL's case
                workdir = Path(tmp) / f"{scenario}-{kind}"
                workdir.mkdir()
                bots = Bots(env, workdir)
                try:
                    if kind == "sqlite":
                        results.append(kill9(bots, f"sqlite:///{workdir}/ledger.db", kind, args))
                        continue
                    with postgres() as server:
                        server.create_database("faults")
                        url = server.url("faults")
                        if scenario == "kill9":
                            results.append(kill9(bots, url, kind, args))
                        elif scenario == "outage":
                            results.append(outage(bots, url, kind, args, server))
                        else:
                            results.append(replicas(bots, url, kind, args))
                        bots.close()  # before the server stops under them
                finally:
                    bots.close()
                print(results[-1].line(), flush=True)
    print(
        f"\n{args.events} signed message events, {args.concurrency} threads; "
        "lost = acked but not stored; duplicates = message rows and incidents beyond one"
    )
    print(
        f"{'scenario':9}{'ledger':>11}{'sent':>7}{'acked':>7}{'stored':>8}{'lost':>6}"
        f"{'dup rows':>9}{'dup incid':>10}{'drain':>10}"
    )
    for result in results:
        print(result.line())
    print(
        f"lost in all: {sum(r.lost for r in results)}, duplicates in all: "
        f"{sum(r.duplicate_rows + r.duplicate_incidents for r in results)}"
    )
    if "redaction" in args.scenario:
        redaction(args.secrets)


if __name__ == "__main__":
    main()
