"""Import a generated Slack export of ~200,000 messages into SQLite and PostgreSQL.

    python benchmarks/import.py                       # 200,000 messages, both backends
    python benchmarks/import.py --messages 20000 --backend sqlite

Prints, per backend: messages imported, seconds, messages/s (classification included) and the
importing process's peak RSS; then what one message costs in redaction and classification
alone, the CPU floor no ledger can go under. Targets: >= 10,000 msg/s into SQLite, peak RSS
< 300 MB. Each import runs in a fresh child process, so its peak RSS is the import's own and
not the generator's. The export is generated once (scripts/generate_cohort.py, seeded) and
kept in --cache for later runs.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

MESSAGES_PER_COHORT = 737  # what one generated cohort holds (scripts/generate_cohort.py)
SALT = "benchmark-salt"


def export_folder(messages: int, cache: Path) -> Path:
    """A generated export with at least `messages` messages, made once and then reused."""
    scale = math.ceil(messages / MESSAGES_PER_COHORT)
    folder = cache / f"friction-export-scale{scale}"
    if not (folder / "labels.json").exists():  # written last: its presence means complete
        print(f"generating the export (scale {scale}) into {folder} ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "generate_cohort.py"),
                "--out",
                str(folder),
                "--scale",
                str(scale),
                "--compact",
            ],
            check=True,
        )
    return folder


def child(export: Path, url: str) -> None:
    """Runs in the child process: one import, its figures as a JSON line."""
    from bot.config import Settings
    from bot.context import open_context
    from bot.importer import import_export

    context = open_context(Settings(FRICTION_SALT=SALT), url)
    started = time.perf_counter()
    result = import_export(context, export)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        json.dumps(
            {
                "messages": result.messages,
                "incidents": result.incidents,
                "seconds": seconds,
                "rate": result.messages / seconds,
                "peak_rss_mb": peak,
            }
        )
    )


def run_child(export: Path, url: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(export), url],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the import failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_floor(export: Path, sample: int = 20_000) -> tuple[float, float, float]:
    """Microseconds per message to read+capture, to redact, and to classify (no database)."""
    from itertools import islice

    from bot.export_reader import ExportReader
    from bot.ingest import DEFAULT_RESOLUTION_EMOJI
    from bot.privacy import redact
    from classifiers import Classifier

    classifier = Classifier()
    classifier.classify("warm up the matcher", reply=False)
    started = time.perf_counter()
    messages = list(islice(ExportReader(export, DEFAULT_RESOLUTION_EMOJI), sample))
    read = time.perf_counter() - started
    started = time.perf_counter()
    texts = [redact(m.text) for m in messages]
    redacting = time.perf_counter() - started
    started = time.perf_counter()
    for message, text in zip(messages, texts, strict=True):
        classifier.classify(text, reply=message.is_reply)
    classifying = time.perf_counter() - started
    n = len(messages) / 1e6
    return read / n, redacting / n, classifying / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--child", nargs=2, metavar=("EXPORT", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1])
        return
    export = export_folder(args.messages, args.cache)
    figures = {}
    with tempfile.TemporaryDirectory() as work:
        if args.backend in ("sqlite", "both"):
            figures["sqlite"] = run_child(export, f"sqlite:///{work}/ledger.db")
        if args.backend in ("postgresql", "both"):
            from postgres_server import PostgresServer, find_bindir

            bindir = find_bindir()
            if bindir is None:
                print("postgresql: server binaries not found, skipped")
            else:
                with PostgresServer(bindir) as server:
                    server.create_database("bench")
                    figures["postgresql"] = run_child(export, server.url("bench"))
    print(f"\nimport of {export} ({sys.platform}, Python {sys.version.split()[0]})")
    header = ("messages", 10), ("incidents", 11), ("seconds", 9), ("msg/s", 9), ("peak RSS", 11)
    print("backend".ljust(12) + "".join(name.rjust(width) for name, width in header))
    for backend, f in figures.items():
        print(
            f"{backend:<12}{f['messages']:>10}{f['incidents']:>11}{f['seconds']:>9.1f}"
            f"{f['rate']:>9.0f}{f['peak_rss_mb']:>8.0f} MB"
        )
    read, redacting, classifying = cpu_floor(export)
    floor = read + redacting + classifying
    print(
        f"\nper message without a database: read+capture {read:.0f} us, redact {redacting:.0f} us, "
        f"classify {classifying:.0f} us = {floor:.0f} us (at most {1e6 / floor:.0f} msg/s "
        "on one core)"
    )
    print("targets: >= 10,000 msg/s into SQLite, peak RSS < 300 MB")


if __name__ == "__main__":
    main()
