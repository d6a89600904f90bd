"""Import a generated Slack export of ~200,000 messages into SQLite and PostgreSQL.

    python benchmarks/import.py                       # 200,000 messages, both backends
    python benchmarks/import.py --messages 20000 --backend sqlite --repeat 3

Prints, per backend and run: messages imported, seconds, messages/s (classification included),
the CPU seconds of the importing process and of its reading worker (parsing the day files,
redaction and classification run there, see bot/ingest/reading.py), and the peak RSS of each;
then the
medians over the runs (the machine is shared: quote medians). Last, what one message costs in
each of the worker's stages on one core without a database: read+capture, redact, classify.
Targets: >= 10,000 msg/s into SQLite, peak RSS < 300 MB. Each import runs in a fresh child
process, so its peak RSS is the import's own and not the generator's. The export is generated
once (scripts/generate_cohort.py, seeded) and kept in --cache for later runs.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
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
    from bot.history.importer import import_export

    context = open_context(Settings(FRICTION_SALT=SALT), url)
    started, cpu = time.perf_counter(), time.process_time()
    result = import_export(context, export)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    own = resource.getrusage(resource.RUSAGE_SELF)
    worker = resource.getrusage(resource.RUSAGE_CHILDREN)  # the reading worker, once it exited
    print(
        json.dumps(
            {
                "messages": result.messages,
                "incidents": result.incidents,
                "seconds": seconds,
                "rate": result.messages / seconds,
                "cpu_s": cpu,
                "worker_cpu_s": worker.ru_utime + worker.ru_stime,
                "peak_rss_mb": own.ru_maxrss / 1024,  # KiB on Linux
                "worker_rss_mb": worker.ru_maxrss / 1024,
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
    """CPU microseconds per message to read+capture, to redact, and to classify (no database)."""
    from itertools import islice

    from bot.history.export_reader import ExportReader
    from bot.ingest.ingestor import DEFAULT_RESOLUTION_EMOJI
    from bot.ingest.privacy import redact
    from classifiers import Classifier

    classifier = Classifier()
    classifier.classify("warm up the matcher", reply=False)
    started = time.process_time()
    messages = list(islice(ExportReader(export, DEFAULT_RESOLUTION_EMOJI), sample))
    read = time.process_time() - started
    started = time.process_time()
    texts = [redact(m.text) for m in messages]
    redacting = time.process_time() - started
    started = time.process_time()
    for message, text in zip(messages, texts, strict=True):
        classifier.classify(text, reply=message.is_reply)
    classifying = time.process_time() - started
    n = len(messages) / 1e6
    return read / n, redacting / n, classifying / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--repeat", type=int, default=1, help="imports per backend (medians)")
    parser.add_argument("--child", nargs=2, metavar=("EXPORT", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1])
        return
    export = export_folder(args.messages, args.cache)
    runs: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as work:
        if args.backend in ("sqlite", "both"):
            runs["sqlite"] = [
                run_child(export, f"sqlite:///{work}/ledger{i}.db") for i in range(args.repeat)
            ]
        if args.backend in ("postgresql", "both"):
            from support.postgres_server import PostgresServer, find_bindir

            bindir = find_bindir()
            if bindir is None:
                print("postgresql: server binaries not found, skipped")
            else:
                with PostgresServer(bindir) as server:
                    runs["postgresql"] = []
                    for i in range(args.repeat):
                        server.create_database(f"bench{i}")
                        runs["postgresql"].append(run_child(export, server.url(f"bench{i}")))
    print(f"\nimport of {export} ({sys.platform}, Python {sys.version.split()[0]})")
    columns = [  # heading, width, format, figure
        ("messages", 10, "{:>10.0f}", "messages"),
        ("incidents", 11, "{:>11.0f}", "incidents"),
        ("seconds", 9, "{:>9.1f}", "seconds"),
        ("msg/s", 9, "{:>9.0f}", "rate"),
        ("CPU s", 8, "{:>8.1f}", "cpu_s"),
        ("worker CPU s", 14, "{:>14.1f}", "worker_cpu_s"),
        ("peak RSS", 10, "{:>7.0f} MB", "peak_rss_mb"),
        ("worker RSS", 12, "{:>9.0f} MB", "worker_rss_mb"),
    ]
    print("backend".ljust(16) + "".join(name.rjust(width) for name, width, _, _ in columns))
    for backend, figures in runs.items():
        median = {key: statistics.median(f[key] for f in figures) for *_, key in columns}
        rows = [(f"{backend} #{i + 1}", f) for i, f in enumerate(figures)]
        for label, f in [*rows, (f"{backend} median", median)]:
            print(f"{label:<16}" + "".join(fmt.format(f[key]) for _, _, fmt, key in columns))
    read, redacting, classifying = cpu_floor(export)
    print(
        f"\nper message on one core without a database, all in the reading worker: "
        f"read+capture {read:.0f} us, redact {redacting:.0f} us, classify {classifying:.0f} us"
    )
    print("targets: >= 10,000 msg/s into SQLite, peak RSS < 300 MB")


if __name__ == "__main__":
    main()
