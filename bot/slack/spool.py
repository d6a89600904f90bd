"""A durable local spool, and the one writer that empties it into the ledger in order.

Why: Slack redelivers an unacknowledged event only three times within five minutes. If the
ledger is down for longer, only a local copy keeps the message; so each event is written here
(a SQLite file, fsynced) before Slack is acknowledged, and a single writer thread applies the
events in arrival order, retrying with backoff while the database is unavailable.

Concurrent requests share one fsync (group commit): the first caller to arrive writes everything
queued so far, the others wait for that commit. An event id seen before is stored once, which is
how a redelivery (`X-Slack-Retry-Num`, a Socket Mode retry) becomes a no-op. Once applied, an
event's body is erased (`secure_delete`), keeping only its id for deduplication.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.ingest.privacy import redact_all
from bot.logs import log_event

log = logging.getLogger(__name__)

DEFAULT_PATH = "friction-spool.db"
KEEP_IDS_SECONDS = 24 * 3600  # Slack's last retry comes after 5 minutes; a day is ample.
BURST_GAP = 0.05  # seconds between events that still count as one burst

_SCHEMA = """
CREATE TABLE IF NOT EXISTS event (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT UNIQUE,
    received REAL NOT NULL,
    body TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    error TEXT
);
CREATE INDEX IF NOT EXISTS event_state ON event (state, seq);
CREATE TABLE IF NOT EXISTS status (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated REAL NOT NULL
);
"""


@dataclass
class _Put:
    key: str | None
    body: str
    new: bool = False
    done: bool = False
    error: BaseException | None = None


@dataclass(frozen=True)
class Entry:
    seq: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Counts:
    pending: int
    failed: int
    done: int
    oldest_pending: float | None


def _connect(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")  # every commit is on disk
    connection.execute("PRAGMA secure_delete=ON")  # erased bodies leave the file
    return connection


class Spool:
    """The spool file. `put` is safe from many threads; one `Writer` reads it."""

    def __init__(self, path: str | Path = DEFAULT_PATH) -> None:
        self.path = str(path)
        self._write = _connect(self.path)
        self._write.executescript(_SCHEMA)
        self._read = _connect(self.path)
        self._lock = threading.Lock()  # guards the read connection
        self._queue: list[_Put] = []
        self._flushing = False
        self._cond = threading.Condition()
        self._in_flight = 0  # callers of put_many not yet answered
        self._last_put = 0.0  # time.monotonic() of the last answer
        self.arrived = threading.Event()

    @property
    def busy(self) -> bool:
        """A burst is on: events are being stored, or were a moment (BURST_GAP) ago."""
        return self._in_flight > 0 or time.monotonic() - self._last_put < BURST_GAP

    def put(self, body: dict[str, Any], key: str | None = None) -> bool:
        """Store one event durably; False when its key was already stored (a redelivery)."""
        [new] = self.put_many([body], [key])
        return new

    def put_many(self, bodies: Sequence[dict[str, Any]], keys: Iterable[str | None]) -> list[bool]:
        """Store events durably, sharing one commit with any other thread's; new or not each.

        Secrets are redacted before an event touches the disk, whoever spools it (the live
        sink, catch-up): the spool waits out a database outage, so it must hold no more than
        the ledger will."""
        items = [_Put(k, json.dumps(redact_all(b))) for b, k in zip(bodies, keys, strict=True)]
        with self._cond:
            self._queue.extend(items)
            self._in_flight += 1
            try:
                while not all(i.done for i in items):
                    if self._flushing:
                        self._cond.wait()
                        continue
                    batch, self._queue, self._flushing = self._queue, [], True
                    self._cond.release()
                    try:
                        self._commit(batch)
                    finally:
                        self._cond.acquire()
                        self._flushing = False
                        self._cond.notify_all()
            finally:
                self._in_flight -= 1
                self._last_put = time.monotonic()
        for item in items:
            if item.error is not None:
                raise item.error
        self.arrived.set()
        return [i.new for i in items]

    def _commit(self, batch: list[_Put]) -> None:
        now = time.time()
        try:
            self._write.execute("BEGIN IMMEDIATE")
            for item in batch:
                cursor = self._write.execute(
                    "INSERT OR IGNORE INTO event (key, received, body) VALUES (?, ?, ?)",
                    (item.key, now, item.body),
                )
                item.new = cursor.rowcount == 1
            self._write.execute("COMMIT")
        except BaseException as exc:  # disk full, I/O error: every waiter must hear of it
            if self._write.in_transaction:
                self._write.execute("ROLLBACK")
            for item in batch:
                item.error = exc
        for item in batch:
            item.done = True

    # -- the writer's side ---------------------------------------------------------------

    def pending(self, limit: int = 500) -> list[Entry]:
        with self._lock:
            rows = self._read.execute(
                "SELECT seq, body FROM event WHERE state = 'pending' ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [Entry(seq, json.loads(body)) for seq, body in rows]

    def done(self, seqs: Sequence[int]) -> None:
        """Applied: erase the bodies, keep the keys a while for deduplication."""
        self._mark(seqs, "done", None)

    def failed(self, seq: int, error: str) -> None:
        """An event the ledger refused for good: kept, out of the way, for `friction status`."""
        self._mark([seq], "failed", error)

    def _mark(self, seqs: Sequence[int], state: str, error: str | None) -> None:
        marks = ",".join("?" * len(seqs))
        keep_body = "body" if state == "failed" else "NULL"
        with self._lock:
            self._read.execute(
                f"UPDATE event SET state = ?, error = ?, body = {keep_body} WHERE seq IN ({marks})",
                (state, error, *seqs),
            )

    def prune(self, older_than: float = KEEP_IDS_SECONDS) -> None:
        """Forget applied events' keys after a day, and hand the WAL's pages back to the file."""
        with self._lock:
            self._read.execute(
                "DELETE FROM event WHERE state = 'done' AND received < ?",
                (time.time() - older_than,),
            )
            self._read.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def counts(self) -> Counts:
        with self._lock:
            rows = dict(
                self._read.execute("SELECT state, count(*) FROM event GROUP BY state").fetchall()
            )
            oldest = self._read.execute(
                "SELECT min(received) FROM event WHERE state = 'pending'"
            ).fetchone()[0]
        return Counts(rows.get("pending", 0), rows.get("failed", 0), rows.get("done", 0), oldest)

    # -- status shared with `friction status` ------------------------------------------------

    def set_status(self, name: str, value: dict[str, Any]) -> None:
        """Publish a component's health (writer, Socket Mode, reconcile) for other processes."""
        with self._lock:
            self._read.execute(
                "INSERT OR REPLACE INTO status (name, value, updated) VALUES (?, ?, ?)",
                (name, json.dumps(value, default=str), time.time()),
            )

    def clear_status(self, name: str) -> None:
        """Forget a component this process does not run (a previous run's Socket Mode)."""
        with self._lock:
            self._read.execute("DELETE FROM status WHERE name = ?", (name,))

    def statuses(self) -> dict[str, tuple[dict[str, Any], float]]:
        with self._lock:
            rows = self._read.execute("SELECT name, value, updated FROM status").fetchall()
        return {name: (json.loads(value), updated) for name, value, updated in rows}

    def close(self) -> None:
        self._write.close()
        self._read.close()


def spool_event(spool: Spool, body: dict[str, Any]) -> None:
    """The sink for Bolt: keep what the ledger needs of an event, keyed by its event_id (the
    spool redacts it)."""
    kept = {k: body[k] for k in ("team_id", "event_id", "event") if k in body}
    if not spool.put(kept, body.get("event_id")):
        log_event(log, "event.duplicate", event_id=body.get("event_id"))


@dataclass
class WriterHealth:
    """What the writer is doing, for /healthz, `friction status` and the logs."""

    database: str = "ok"  # or "unavailable"
    since: float = field(default_factory=time.time)
    applied: int = 0
    failed: int = 0
    last_error: str | None = None


class Writer:
    """The single thread that applies spooled events to the ledger, in order.

    `apply` writes a batch of event bodies; an error `is_transient` says is temporary (the
    database is down) is retried with exponential backoff, never skipped. Any other error is a
    bad event: the batch is replayed one by one so only the bad event is set aside.

    Acks come first: classifying and writing take the same interpreter (GIL) the requests
    need, so while a burst is being spooled the writer holds back, up to `max_defer` seconds,
    then works until the spool is empty. A burst is acked at nearly a bare app's speed and
    lands in the ledger moments later, in bigger batches; under a flood longer than
    `max_defer`, acks and writes share the CPU.
    """

    def __init__(
        self,
        spool: Spool,
        apply: Callable[[Sequence[dict[str, Any]]], Any],
        is_transient: Callable[[BaseException], bool],
        *,
        batch: int = 500,
        max_backoff: float = 30.0,
        max_defer: float = 5.0,
    ) -> None:
        self.spool = spool
        self.apply = apply
        self.is_transient = is_transient
        self.batch = batch
        self.max_backoff = max_backoff
        self.max_defer = max_defer
        self.health = WriterHealth()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._published = 0.0
        self._thread = threading.Thread(target=self._run, name="spool-writer", daemon=True)

    def start(self) -> Writer:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.spool.arrived.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything spooled so far is applied (tests, reconcile)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._idle.clear()
            self.spool.arrived.set()
            if self._idle.wait(max(0.0, deadline - time.monotonic())) and not self.spool.pending(1):
                return True
        return False

    def _run(self) -> None:
        backoff = 0.0
        worked = True
        deferred: float | None = None  # when the writer began holding back for a burst
        while not self._stop.is_set():
            if self.spool.busy:
                deferred = deferred or time.monotonic()
                if time.monotonic() - deferred < self.max_defer:
                    self._stop.wait(0.005)
                    continue
            entries = self.spool.pending(self.batch)
            if not entries:
                deferred = None
                if worked:  # erased bodies leave the WAL too, once the burst is over
                    self.spool.prune()
                    worked = False
                self._publish()
                self._idle.set()
                self.spool.arrived.wait(1.0)
                self.spool.arrived.clear()
                continue
            worked = True
            try:
                self._apply(entries)
            except Exception as exc:
                if not self.is_transient(exc):
                    log.exception("the spool writer stopped")
                    raise
                backoff = min(self.max_backoff, backoff * 2 or 0.25)
                self._unavailable(exc, backoff)
                self._stop.wait(backoff)
                continue
            backoff = 0.0
            self._publish()
            if self.health.database != "ok":
                self._set(database="ok", since=time.time(), last_error=None)
                log_event(log, "ledger.available", pending=self.spool.counts().pending)

    def _apply(self, entries: list[Entry]) -> None:
        try:
            self.apply([e.body for e in entries])
        except Exception as exc:
            if self.is_transient(exc):
                raise
            if len(entries) == 1:
                self._set_aside(entries[0], exc)
                return
            for entry in entries:  # find the bad one; the ingest path is idempotent
                self._apply([entry])
            return
        self.spool.done([e.seq for e in entries])
        self.health.applied += len(entries)

    def _set_aside(self, entry: Entry, exc: BaseException) -> None:
        self.spool.failed(entry.seq, f"{type(exc).__name__}: {exc}")
        self.health.failed += 1
        log_event(
            log,
            "event.failed",
            logging.ERROR,
            seq=entry.seq,
            event_id=entry.body.get("event_id"),
            error=type(exc).__name__,
        )

    def _unavailable(self, exc: BaseException, retry_in: float) -> None:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
        if self.health.database == "ok":
            self._set(database="unavailable", since=time.time())
        self.health.last_error = reason
        log_event(
            log,
            "ledger.unavailable",
            logging.WARNING,
            retry_in=f"{retry_in:.2f}s",
            pending=self.spool.counts().pending,
            error=reason,
        )
        self._publish(every=0)

    def _set(self, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(self.health, name, value)

    def _publish(self, every: float = 1.0) -> None:
        """Write the health to the spool's status table, at most once a second."""
        if time.monotonic() - self._published < every:
            return
        self._published = time.monotonic()
        counts = self.spool.counts()
        self.spool.set_status(
            "writer",
            {**self.health.__dict__, "pending": counts.pending, "failed_total": counts.failed},
        )
