"""Bursts of signed events at `friction run` processes, and what reached the ledger.

Shared by benchmarks/ingest.py and benchmarks/faults.py (with the fakes they use from here): a
server process started on a free port, events posted by many threads with each one's answer
kept, and the ledger read back with plain SQL on SQLite or PostgreSQL.
"""

from __future__ import annotations

import http.client
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from support.postgres_server import free_port
from support.slack_signing import signed_headers

NO_ANSWER = 0  # the status recorded when the connection failed (the server was killed)


def start(command: list[str], env: dict[str, str], log: Path) -> tuple[subprocess.Popen, int]:
    """Start a server on a free port, its log to `log`; return once GET /healthz answers."""
    port = free_port()
    with open(log, "w") as stderr:
        process = subprocess.Popen([*command, "--port", str(port)], env=env, stderr=stderr)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[:4]} exited before serving:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{command[:4]} did not serve within 120 s")


def post_each(
    port: int,
    secret: str,
    payloads: list[bytes],
    concurrency: int,
    on_answer: Callable[[int], None] = lambda _count: None,
    retry: bool = False,
    latencies: list[float] | None = None,
) -> list[int]:
    """Post every payload, `concurrency` at a time; each one's status (NO_ANSWER: no answer).

    `on_answer(acked so far)` runs after each 200, to trigger a fault mid-burst; `latencies`
    receives each answered request's seconds.
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
            headers = signed_headers(payloads[index], secret)
            if retry:
                headers |= {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            started = time.perf_counter()
            try:
                connection.request("POST", "/slack/events", payloads[index], headers)
                answer = connection.getresponse()
                answer.read()
            except OSError:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            statuses[index] = answer.status
            if latencies is not None:
                latencies.append(time.perf_counter() - started)  # list.append is atomic
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
