"""Benchmark the weekly digest over a ledger of 1,000,000 generated incidents.

    python benchmarks/digest.py [--incidents 1000000] [--backend sqlite|postgresql|both]

The ledger spans a year (about 19,000 incidents a week) in three cohorts of four channels, with
the original analysis's mix of domains, 90 % resolved. The digest of the last complete week
(overall and per cohort, with the week before, top signatures and example threads) is built
7 times after a warm-up; the median is printed beside the 500 ms target, with the query plans
of its queries. PostgreSQL is a throwaway server (tests/postgres_server.py).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, event, insert, text
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from postgres_server import PostgresServer, find_bindir  # noqa: E402

from digests.alerts import observations  # noqa: E402
from digests.config import AlertSettings  # noqa: E402
from digests.model import build_digest  # noqa: E402
from digests.periods import Period  # noqa: E402
from storage.db import open_ledger  # noqa: E402
from storage.digest_queries import (  # noqa: E402
    cohorts_with_incidents,
    domain_periods,
    example_threads,
    top_signatures,
)
from storage.ledger import sync_taxonomy  # noqa: E402
from storage.models import Channel, Incident, Message, Signature  # noqa: E402
from storage.queries import Window, open_and_triage_counts  # noqa: E402

DOMAIN_MIX = {"iam": 0.40, "s3": 0.20, "lambda": 0.266, "ec2": 0.067, "cloudwatch": 0.067}
END = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday: the last complete week ends here
SPAN = timedelta(weeks=52)
TARGET_MS = 500
CHUNK = 50_000


def generate(n: int, channels: list[int], signatures: dict[str, list[str]]) -> Iterator[tuple]:
    """(message row, incident row) pairs, reproducible (seeded)."""
    rng = random.Random(7)
    domains, weights = zip(*DOMAIN_MIX.items(), strict=True)
    start = END - SPAN
    for i in range(n):
        opened = start + timedelta(seconds=rng.random() * SPAN.total_seconds())
        domain = rng.choices(domains, weights)[0]
        signature = rng.choice(signatures[domain])
        channel = rng.choice(channels)
        ts = f"{opened.timestamp():.6f}"
        downtime = int(rng.lognormvariate(7.5, 1.2)) if rng.random() < 0.9 else None
        message = {
            "id": i + 1,
            "channel_pk": channel,
            "ts": ts,
            "posted_at": opened,
            "source": "bench",
            "is_incident": True,
            "resolves": False,
            "resolution_reaction": False,
            "domain_id": domain,
            "signature_id": signature,
            "confidence": 0.9,
            "attributes": {},
            "classifier_version": "bench",
        }
        incident = {
            "id": i + 1,
            "channel_pk": channel,
            "root_ts": ts,
            "root_message_id": i + 1,
            "opened_at": opened,
            "resolved_at": None if downtime is None else opened + timedelta(seconds=downtime),
            "resolved_by": None if downtime is None else "reaction",
            "downtime_seconds": downtime,
            "domain_id": domain,
            "signature_id": signature,
            "confidence": 0.9,
            "classifier_version": "bench",
            "human_tagged": False,
            "needs_triage": rng.random() < 0.02,
            "dismissed": False,
            "attributes": {},
        }
        yield message, incident


def load(engine: Engine, n: int) -> float:
    """Fill the ledger; returns the seconds it took."""
    started = time.perf_counter()
    with Session(engine) as session:
        sync_taxonomy(session, [(d, d.upper()) for d in DOMAIN_MIX], [])
        signatures: dict[str, list[str]] = {}
        for s in session.exec(select(Signature)).all():
            signatures.setdefault(s.domain_id, []).append(s.id)
        for cohort in ("lab3", "lab4", "lab5"):
            for k in range(4):
                name = f"help-{cohort}-{k}"
                session.add(
                    Channel(team_id="T1", channel_id=f"C{cohort}{k}", name=name, cohort=cohort)
                )
        session.commit()
        channels = [c.id for c in session.exec(select(Channel)).all()]
    rows = generate(n, channels, {d: signatures[d] for d in DOMAIN_MIX})
    with engine.begin() as connection:
        while chunk := [next(rows, None) for _ in range(CHUNK)]:
            chunk = [pair for pair in chunk if pair is not None]
            if not chunk:
                break
            connection.execute(insert(Message), [m for m, _ in chunk])
            connection.execute(insert(Incident), [i for _, i in chunk])
    # Statistics, and on PostgreSQL the visibility map that index-only scans need (autovacuum
    # keeps both current on a live ledger).
    command = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(command))
    return time.perf_counter() - started


def timed(fn, rounds: int = 7) -> tuple[float, list[float]]:
    fn()  # warm-up: caches, prepared plans
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), times


def plans(engine: Engine, period: Period) -> list[tuple[str, str]]:
    """EXPLAIN of each query the digest runs, for the overall section."""
    window = Window(period.since, period.until)
    previous = period.previous.since
    captured: list[tuple[str, str]] = []
    statements = {
        "domain_periods": lambda s: domain_periods(s, window, previous),
        "top_signatures": lambda s: top_signatures(s, window, 5),
        "example_threads": lambda s: example_threads(s, window, ["iam.passrole", "s3.other"]),
        "open_and_triage_counts": lambda s: open_and_triage_counts(s, window),
        "cohorts_with_incidents": lambda s: cohorts_with_incidents(
            s, Window(previous, period.until)
        ),
    }
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    for name, run in statements.items():
        seen: list[tuple[str, object]] = []
        with Session(engine) as session:
            connection = session.connection()
            capture = _recorder(seen)
            event.listen(connection, "before_cursor_execute", capture)
            run(session)
            event.remove(connection, "before_cursor_execute", capture)
            statement, parameters = seen[-1]
            raw = connection.connection.dbapi_connection.cursor()
            raw.execute(explain + statement, parameters)
            lines = [" | ".join(str(c) for c in row) for row in raw.fetchall()]
        captured.append((name, "\n".join(lines)))
    return captured


def _recorder(seen: list):
    """An SQLAlchemy event hook that keeps each statement and its parameters."""

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append((statement, parameters))

    return record


def bench(url: str, label: str, n: int) -> None:
    engine = open_ledger(url)
    seconds = load(engine, n)
    print(f"\n== {label}: {n:,} incidents loaded in {seconds:.0f} s")
    period = Period.week_of((END - timedelta(days=7)).date(), "UTC")
    with Session(engine) as session:
        digest = build_digest(session, period)
    print(
        f"digest {digest.period}: {digest.overall.incidents:,} incidents this week "
        f"({digest.overall.previous_incidents:,} the week before), {len(digest.cohorts)} cohorts"
    )

    def build() -> None:
        with Session(engine) as session:
            build_digest(session, period)

    median, times = timed(build)
    verdict = "OK" if median < TARGET_MS else "OVER TARGET"
    print(
        f"build_digest: median {median:.0f} ms (runs {', '.join(f'{t:.0f}' for t in times)}), "
        f"target < {TARGET_MS} ms: {verdict}"
    )

    def check() -> None:
        with Session(engine) as session:
            observations(session, AlertSettings(domains=["iam", "s3"]), END - timedelta(hours=30))

    median, _ = timed(check)
    print(f"spike check (iam, s3; all cohorts): median {median:.1f} ms")
    for name, plan in plans(engine, period):
        print(f"\n-- plan: {name}\n{plan}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            bench(f"sqlite:///{folder}/bench.db", "SQLite", args.incidents)
    if args.backend in ("postgresql", "both"):
        bindir = find_bindir()
        if bindir is None:
            sys.exit("PostgreSQL binaries not found (Debian's postgresql package)")
        with PostgresServer(bindir) as server:
            server.create_database("bench")
            bench(server.url("bench"), "PostgreSQL", args.incidents)


if __name__ == "__main__":
    main()
