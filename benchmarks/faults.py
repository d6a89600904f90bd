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

    python benchmarks/faults.py [--events 2000] [--concurrency 16] [--outage 30]
                                [--scenario kill9 outage replicas] [--ledger sqlite postgresql]

The short versions run in the test suite (tests/test_faults.py, tests/test_live_outage.py).
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from ingest import SECRET, bodies, start  # noqa: E402
from support.fake_slack import FakeSlack  # noqa: E402
from support.postgres_server import PostgresServer, find_bindir  # noqa: E402
from support.slack_signing import signed_headers  # noqa: E402

NO_ANSWER = 0  # the status recorded when the connection failed (the bot was killed)
BOT = [sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--reconcile-every=0"]


def post_each(
    port: int,
    payloads: list[bytes],
    concurrency: int,
    on_answer: Callable[[int], None] = lambda _count: None,
    retry: bool = False,
) -> list[int]:
    """Post every payload, `concurrency` at a time; each one's status (NO_ANSWER: no answer).

    `on_answer(acked so far)` runs after each 200, to trigger a fault mid-burst.
    """
    statuses = [NO_ANSWER] * len(payloads)
    lock = threading.Lock()
    queue = iter(range(len(payloads)))
    acked = 0

    def worker() -> None:
        nonlocal acked
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                index = next(queue, None)
            if index is None:
                break
            headers = signed_headers(payloads[index], SECRET)
            if retry:
                headers |= {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            try:
                connection.request("POST", "/slack/events", payloads[index], headers)
                answer = connection.getresponse()
                answer.read()
            except OSError:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            statuses[index] = answer.status
            if answer.status == 200:
                with lock:
                    acked += 1
                    count = acked
                on_answer(count)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@dataclass
class Ledger:
    """What a ledger holds of the events, read with SQL (the same on SQLite and PostgreSQL)."""

    url: str

    def counts(self) -> tuple[set[str], int, int]:
        """(message ts stored, duplicate message rows, duplicate incidents per thread)."""
        engine = create_engine(self.url)
        try:
            with engine.connect() as db:
                stored = {ts for (ts,) in db.execute(text("SELECT ts FROM message"))}
                rows = db.execute(text("SELECT count(*) FROM message")).scalar_one()
                extra_incidents = db.execute(
                    text(
                        "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM incident"
                        " GROUP BY channel_pk, root_ts) AS per_thread"
                    )
                ).scalar_one()
        except OperationalError:  # the database is down
            return set(), 0, 0
        finally:
            engine.dispose()
        return stored, rows - len(stored), int(extra_incidents)

    def wait_for(self, count: int, timeout: float) -> float:
        """Seconds until `count` messages are stored (or `timeout` passed)."""
        began = time.perf_counter()
        while len(self.counts()[0]) < count and time.perf_counter() - began < timeout:
            time.sleep(0.2)
        return time.perf_counter() - began


def ts_of(body: bytes) -> str:
    return body.split(b'"ts": "', 1)[1].split(b'"', 1)[0].decode()


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

    first = post_each(port, payloads, args.concurrency, kill_halfway)
    process.wait(30)
    acked = [i for i, s in enumerate(first) if s == 200]
    began = time.perf_counter()
    _, port = bots.start(url, "spool.db")  # the same spool and ledger
    unanswered = [payloads[i] for i, s in enumerate(first) if s != 200]
    again = post_each(port, unanswered, args.concurrency, retry=True)
    post_each(port, [payloads[i] for i in acked[::10]], args.concurrency, retry=True)
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

    statuses = post_each(port, payloads, args.concurrency, stop_at_a_quarter)
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
        results[n] = post_each(ports[n], orders[n], max(1, args.concurrency // 2))

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
    parser.add_argument("--scenario", nargs="+", default=["kill9", "outage", "replicas"])
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


if __name__ == "__main__":
    main()
