"""Benchmark the before/after of fixes over the digest benchmark's generated ledger.

    python benchmarks/fixes.py [--incidents 1000000] [--backend sqlite|postgresql|both]

The ledger is benchmarks/digest.py's (a year of incidents in three cohorts), with 3,000
learners given to its messages so the rates are per active learner. Five fixes take effect in
the last eight weeks (a signature, a domain, one scoped to a cohort); `fix_effects` as the
digest calls it (as of the end of the last week, 4-week windows) is timed 7 times after a
warm-up, and the median is printed, with each fix's summary.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from digest import END, load  # noqa: E402
from support.postgres_server import throwaway_database  # noqa: E402

from digests.fix_effect import fix_effects  # noqa: E402
from storage.db import open_ledger  # noqa: E402
from storage.fixes import add_fix  # noqa: E402
from storage.models import Fix  # noqa: E402

LEARNERS = 3000
FIXES = [  # (domain, signature, weeks before END, cohort)
    ("iam", "iam.passrole", 6, None),
    ("iam", None, 5, None),
    ("s3", "s3.access_denied", 4, "lab4"),
    ("lambda", None, 3, "lab5"),
    ("ec2", None, 1, None),
]


def bench(url: str, label: str, n: int) -> None:
    engine = open_ledger(url)
    seconds = load(engine, n)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE message SET user_hash = 'u' || (id % {LEARNERS})"))
    with Session(engine) as session:
        for domain, signature, weeks, cohort in FIXES:
            at = END - timedelta(weeks=weeks)
            fix = Fix(
                domain_id=domain,
                signature_id=signature,
                description="bench",
                at=at,
                cohort=cohort,
                created_at=at,
            )
            add_fix(session, fix)
    print(f"\n== {label}: {n:,} incidents loaded in {seconds:.0f} s, {len(FIXES)} fixes")

    def measure():
        with Session(engine) as session:
            return fix_effects(session, END, timedelta(weeks=4), END - timedelta(weeks=8))

    for effect in measure():  # also the warm-up: caches, plans
        print(f"  {effect.heading}\n    {effect.summary}")
    times = []
    for _ in range(7):
        started = time.perf_counter()
        measure()
        times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    print(
        f"fix_effects ({len(FIXES)} fixes): median {median:.0f} ms "
        f"(runs {', '.join(f'{t:.0f}' for t in times)}), {median / len(FIXES):.0f} ms a fix"
    )
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
        with throwaway_database() as url:
            bench(url, "PostgreSQL", args.incidents)


if __name__ == "__main__":
    main()
