"""Benchmark the weekly digest over a ledger of 1,000,000 generated incidents.

    python benchmarks/digest.py [--incidents 1000000] [--backend sqlite|postgresql|both]
        [--rounds 7] [--sqlite-file PATH] [--postgresql-url URL]

The ledger spans a year (about 19,000 incidents a week) in three cohorts of four channels, with
the original analysis's mix of domains, 90 % resolved. The digest of the last complete week
(overall and per cohort, with the week before, top signatures and example threads) is built
`--rounds` times after a warm-up; the median wall time is printed beside the 500 ms target,
with the median CPU time (this process plus the PostgreSQL server's processes), which other
work on a shared machine does not inflate, and the plan of every statement the digest runs
(EXPLAIN QUERY PLAN; EXPLAIN ANALYZE on PostgreSQL). PostgreSQL is a throwaway server
(tests/support/postgres_server.py) unless `--postgresql-url` names a database; `--sqlite-file` keeps
the SQLite ledger. A ledger that already holds the incidents is reused, not generated again.
85 % of threads have a human reply (median about 15 minutes); the waiting figures (median and
p90 first response per cohort and domain, waits over the nudge time in course hours) are timed
on their own as well, and the live queue of unanswered threads.
"""

from __future__ import annotations

import argparse
import inspect
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, event, func, insert, text
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from support.postgres_server import throwaway_database  # noqa: E402

from bot.ta.queue import QUEUE_DAYS  # noqa: E402
from digests.alerts import observations  # noqa: E402
from digests.config import AlertSettings, ResponseSettings  # noqa: E402
from digests.course_hours import CourseHours  # noqa: E402
from digests.model import build_digest  # noqa: E402
from digests.periods import Period  # noqa: E402
from digests.response import waiting_lines  # noqa: E402
from storage.db import open_ledger  # noqa: E402
from storage.ledger import sync_taxonomy  # noqa: E402
from storage.models import Channel, Incident, Message, Signature  # noqa: E402
from storage.queries import Window  # noqa: E402
from storage.response_queries import unanswered  # noqa: E402

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
        first, by, ta = replies(rng)
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
            "first_reply_at": None if first is None else opened + timedelta(seconds=first),
            "first_reply_seconds": first,
            "first_reply_by": by,
            "ta_reply_seconds": ta,
            "attributes": {},
        }
        yield message, incident


def replies(rng: random.Random) -> tuple[int | None, str | None, int | None]:
    """(first reply's delay, whose, first TA reply's delay): 85 % of threads answered, after
    about 15 minutes (median), by a TA in 70 % of them; a learner's answer is followed by a
    TA's in 60 % of threads."""
    if rng.random() >= 0.85:
        return None, None, None
    first = int(rng.lognormvariate(6.8, 1.2))
    if rng.random() < 0.7:
        return first, "ta", first
    later = first + int(rng.lognormvariate(6.8, 1.0)) if rng.random() < 0.6 else None
    return first, "learner", later


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


def server_cpu(engine: Engine) -> float:
    """CPU seconds used so far by the PostgreSQL server's processes (0 on SQLite), read from
    /proc for the postmaster and its children: the database's half of a query's cost."""
    if engine.dialect.name != "postgresql":
        return 0.0
    with engine.connect() as connection:
        folder = Path(connection.execute(text("SHOW data_directory")).scalar_one())
    postmaster = (folder / "postmaster.pid").read_text().split()[0]
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" ", 1)
        except OSError:
            continue  # the process ended meanwhile
        fields = rest.rsplit(")", 1)[1].split()  # after the command name: state, ppid, ...
        if postmaster in (pid, fields[1]):
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def timed(fn, engine: Engine, rounds: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each of `rounds` calls, after a warm-up (caches, plans)."""
    fn()
    walls, cpus = [], []
    for _ in range(rounds):
        server, own, started = server_cpu(engine), time.process_time(), time.perf_counter()
        fn()
        walls.append((time.perf_counter() - started) * 1000)
        own = time.process_time() - own
        cpus.append((own + server_cpu(engine) - server) * 1000)
    return walls, cpus


def plans(engine: Engine, build) -> list[tuple[str, str]]:
    """The plan of every statement one `build(session)` runs, named by the function that ran it."""
    seen: list[tuple[str, str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        caller = next(
            f"{f.frame.f_globals['__name__']}.{f.function}"
            for f in inspect.stack()
            if f.frame.f_globals["__name__"].startswith(("storage.", "digests."))
        )
        seen.append((caller, statement, parameters))

    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
    with Session(engine) as session:
        connection = session.connection()
        event.listen(connection, "before_cursor_execute", record)
        build(session)
        event.remove(connection, "before_cursor_execute", record)
        captured = []
        for caller, statement, parameters in seen:
            raw = connection.connection.dbapi_connection.cursor()
            raw.execute(explain + statement, parameters)
            captured.append((caller, "\n".join(" | ".join(map(str, r)) for r in raw.fetchall())))
    return captured


def waiting_part(engine: Engine, period: Period, rounds: int) -> str:
    """The digest's waiting figures alone (their share of `build_digest`), and the live queue
    of unanswered threads App Home and the nudges read."""
    window = Window(period.since, period.until)
    course = CourseHours(ResponseSettings(), "UTC")

    def figures() -> None:
        with Session(engine) as session:
            waiting_lines(session, window, period.previous.since, course, END)

    def queue() -> None:
        with Session(engine) as session:
            unanswered(session, END - QUEUE_DAYS)

    walls, cpus = timed(figures, engine, rounds)
    queue_walls, _ = timed(queue, engine, rounds)
    with Session(engine) as session:
        waiting = len(unanswered(session, END - QUEUE_DAYS))
    return (
        f"  of which the waiting figures: median {statistics.median(walls):.0f} ms "
        f"(runs {', '.join(f'{t:.0f}' for t in walls)}), CPU {statistics.median(cpus):.0f} ms; "
        f"the live queue ({waiting:,} unanswered in {QUEUE_DAYS.days} days): "
        f"median {statistics.median(queue_walls):.1f} ms"
    )


def bench(url: str, label: str, n: int, rounds: int) -> None:
    engine = open_ledger(url)
    with Session(engine) as session:
        stored = session.exec(select(func.count()).select_from(Incident)).one()
    if stored == n:
        print(f"\n== {label}: reusing the {n:,} incidents already in the ledger")
    elif stored:
        sys.exit(f"{url} holds {stored:,} incidents, not {n:,}: give an empty or a full ledger")
    else:
        print(f"\n== {label}: {n:,} incidents loaded in {load(engine, n):.0f} s")
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

    walls, cpus = timed(build, engine, rounds)
    median = statistics.median(walls)
    waiting = waiting_part(engine, period, rounds)
    verdict = "OK" if median < TARGET_MS else "OVER TARGET"
    print(
        f"build_digest: median {median:.0f} ms (runs {', '.join(f'{t:.0f}' for t in walls)}), "
        f"target < {TARGET_MS} ms: {verdict}; CPU median {statistics.median(cpus):.0f} ms "
        f"(runs {', '.join(f'{t:.0f}' for t in cpus)})"
    )

    print(waiting)

    def check() -> None:
        with Session(engine) as session:
            observations(session, AlertSettings(domains=["iam", "s3"]), END - timedelta(hours=30))

    walls, cpus = timed(check, engine, rounds)
    print(
        f"spike check (iam, s3; all cohorts): median {statistics.median(walls):.1f} ms, "
        f"CPU {statistics.median(cpus):.1f} ms"
    )
    found = plans(engine, lambda session: build_digest(session, period))
    print(f"\nbuild_digest runs {len(found)} statements:")
    for caller, plan in found:
        print(f"\n-- plan: {caller}\n{plan}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=7, help="timed runs after the warm-up")
    parser.add_argument("--sqlite-file", type=Path, help="keep the SQLite ledger in this file")
    parser.add_argument("--postgresql-url", help="use this database, not a throwaway server")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            path = args.sqlite_file or Path(folder) / "bench.db"
            bench(f"sqlite:///{path}", "SQLite", args.incidents, args.rounds)
    if args.backend in ("postgresql", "both"):
        if args.postgresql_url:
            bench(args.postgresql_url, "PostgreSQL", args.incidents, args.rounds)
            return
        with throwaway_database() as url:
            bench(url, "PostgreSQL", args.incidents, args.rounds)


if __name__ == "__main__":
    main()
