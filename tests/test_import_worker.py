"""A large import parses and reads its day files in a worker process: nothing may differ."""

import shutil
import zipfile
from pathlib import Path

from support.demo_ledger import COHORT

from bot.history.export_reader import ExportReader
from bot.ingest.ingestor import DEFAULT_RESOLUTION_EMOJI
from bot.ingest.reading import read, read_export
from classifiers import Classifier


def export_reading(root: Path, per_task: int) -> tuple[list, dict, list, int]:
    """Every message with its reading (worked out here where the worker left it unread)."""
    classifier = Classifier()
    done = []
    with ExportReader(root, DEFAULT_RESOLUTION_EMOJI) as reader:
        days = reader.day_files()
        pairs = read_export(classifier, reader, days, reader.team_id(), done.append, per_task)
        read_in_worker = 0
        messages = []
        for message, reading in pairs:
            read_in_worker += reading is not None
            own = read(classifier, message.text, reply=message.is_reply)
            messages.append((message, reading or own, own))
        assert sum(done) == len(days)
        return messages, dict(reader.skipped), reader.problems, read_in_worker


def damaged_export(tmp_path: Path) -> Path:
    export = Path(shutil.copytree(COHORT, tmp_path / "export"))
    day = export / "help-lab4" / "2026-09-22.json"
    day.write_bytes(day.read_bytes()[:100])
    (export / "help-lab5" / "2026-10-06.json").write_text('{"not": "a list"}')
    return export


def test_the_worker_reads_what_the_writer_would(tmp_path):
    export = damaged_export(tmp_path)
    alone, skipped, problems, unread = export_reading(export, per_task=100)
    assert unread == 0  # one task: all of it in-process
    shared, worker_skipped, worker_problems, read_in_worker = export_reading(export, per_task=4)
    assert read_in_worker > len(shared) // 2
    assert [m for m, _, _ in shared] == [m for m, _, _ in alone]
    assert all(reading == own for _, reading, own in shared)
    assert worker_skipped == skipped and skipped["unreadable file"] == 2
    assert worker_problems == problems
    assert problems[0].startswith("help-lab4/2026-09-22.json is not valid JSON")


def test_the_worker_reads_a_zip_alike(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(COHORT.rglob("*.json")):
            zipped.write(path, path.relative_to(COHORT))
    from_zip, *_ = export_reading(archive, per_task=4)
    from_folder, *_ = export_reading(COHORT, per_task=4)
    assert [(m, r) for m, r, _ in from_zip] == [(m, r) for m, r, _ in from_folder]
