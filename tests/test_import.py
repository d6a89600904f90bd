"""`friction import`: a Slack export, folder or zip, through the one ingest path."""

import gc
import json
import os
import pty
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session
from support.demo_ledger import COHORT
from support.friction_cli import friction
from support.slack_samples import EXPORT

from bot.config import Settings
from bot.context import open_context
from bot.history.export_reader import ExportReader
from bot.history.importer import import_export
from storage.models import Incident, Message

LABELS = json.loads((COHORT / "labels.json").read_text())
CHANNEL_NAMES = {c["id"]: c["name"] for c in json.loads((COHORT / "channels.json").read_text())}


def cohort_messages(channel: str | None = None) -> list[dict]:
    return [
        m
        for day in sorted(COHORT.glob(f"{channel or 'help-*'}/*.json"))
        for m in json.loads(day.read_text())
    ]


def expected_skips(messages: list[dict]) -> Counter[str]:
    """What the importer must skip, worked out from the files: joins and bots."""
    skips: Counter[str] = Counter()
    for m in messages:
        if m.get("subtype") not in (None, "thread_broadcast", "file_share", "me_message"):
            skips[f"subtype {m['subtype']}"] += 1
        elif m.get("bot_id"):
            skips["posted by a bot"] += 1
    return skips


def zipped(folder: Path, target: Path) -> Path:
    return Path(shutil.make_archive(str(target), "zip", folder))


@pytest.fixture
def export_copy(tmp_path) -> Path:
    """A writable copy of the demo cohort's export folder."""
    return Path(shutil.copytree(COHORT, tmp_path / "export"))


def ledger_figures(db: Path) -> dict:
    report = friction("report", "--db", str(db), "-f", "json")
    assert report.returncode == 0, report.stderr
    figures = json.loads(report.stdout)
    return {k: figures[k] for k in ("total_messages", "total_incidents", "domains")}


def test_the_demo_cohort_imports_from_its_folder_with_a_summary(sqlite_ledger, sqlite_url):
    db = sqlite_ledger
    result = friction("import", str(COHORT), "--db", str(db))
    assert result.returncode == 0, result.stderr
    messages = cohort_messages()
    skips = expected_skips(messages)
    kept = len(messages) - sum(skips.values())
    assert f"Imported {kept} messages from 52 day files" in result.stdout
    assert f"{kept} new, 0 updated, 0 already there" in result.stdout
    for reason, n in skips.items():
        assert f"{n} {reason}" in result.stdout
    figures = ledger_figures(db)
    assert figures["total_messages"] == kept
    assert f"Incidents in these channels: {figures['total_incidents']} " in result.stdout
    # The cohort's labelled incidents are found, in their root-cause domains.
    with Session(open_context(Settings(), sqlite_url).engine) as session:
        found = {(i.root_ts, i.domain_id) for i in session.execute(select(Incident)).scalars()}
    truth = {(i["ts"], i["domain"]) for i in LABELS["incidents"]}
    assert len(found & truth) / len(truth) >= 0.9


def test_a_zip_imports_the_same_ledger_as_the_folder(tmp_path):
    from_folder, from_zip = tmp_path / "folder.db", tmp_path / "zip.db"
    archive = zipped(COHORT, tmp_path / "export")
    assert friction("import", str(COHORT), "--db", str(from_folder)).returncode == 0
    result = friction("import", str(archive), "--db", str(from_zip))
    assert result.returncode == 0, result.stderr
    assert ledger_figures(from_zip) == ledger_figures(from_folder)


def test_reimport_changes_nothing(db_url):
    context = open_context(Settings(FRICTION_SALT="salt"), db_url)
    first = import_export(context, COHORT)
    again = import_export(context, COHORT)
    assert first.outcomes["stored"] == first.messages > 0
    assert again.outcomes == Counter({"unchanged": first.messages})
    assert (again.incidents, again.new_incidents) == (first.incidents, 0)
    with Session(context.engine) as session:
        stored = session.execute(select(func.count()).select_from(Message)).scalar_one()
    assert stored == first.messages


def test_an_import_leaves_the_garbage_collector_as_it_found_it(sqlite_url):
    """The import collects garbage less often while it runs, and only while it runs."""
    context = open_context(Settings(FRICTION_SALT="salt"), sqlite_url)
    before = gc.get_threshold()
    import_export(context, COHORT)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_channel_filter_imports_only_that_channel(tmp_path, sqlite_ledger):
    db = sqlite_ledger
    result = friction("import", str(COHORT), "--channel", "help-lab4", "--db", str(db))
    assert result.returncode == 0, result.stderr
    lab4 = cohort_messages("help-lab4")
    assert ledger_figures(db)["total_messages"] == len(lab4) - sum(expected_skips(lab4).values())
    assert "(help-lab4)" in result.stdout
    by_id = friction("import", str(COHORT), "-c", "C0DEMOLAB5", "--db", str(db))
    assert "(help-lab5)" in by_id.stdout


def test_an_unknown_channel_is_a_precise_error(tmp_path):
    result = friction("import", str(COHORT), "-c", "help-lab9", "--db", str(tmp_path / "l.db"))
    assert result.returncode == 2
    assert "has no channel help-lab9 (it holds: help-lab3, help-lab4, help-lab5)" in result.stderr


def test_a_truncated_day_file_is_named_and_the_rest_imports(export_copy, tmp_path, sqlite_ledger):
    day = export_copy / "help-lab4" / "2026-09-22.json"
    whole = day.read_bytes()
    day.write_bytes(whole[: len(whole) // 2])
    (export_copy / "help-lab3" / "2026-09-08.json").write_text('{"not": "a list"}')
    db = sqlite_ledger
    result = friction("import", str(export_copy), "--db", str(db))
    assert result.returncode == 1
    assert "help-lab4/2026-09-22.json is not valid JSON, truncated or corrupt" in result.stderr
    assert "help-lab3/2026-09-08.json is not a list of messages" in result.stderr
    lost = json.loads(whole) + json.loads((COHORT / "help-lab3" / "2026-09-08.json").read_text())
    everything = cohort_messages()
    expected = len(everything) - sum(expected_skips(everything).values())
    expected -= len(lost) - sum(expected_skips(lost).values())
    assert ledger_figures(db)["total_messages"] == expected
    assert "2 unreadable file" in result.stdout


def test_a_corrupt_zip_member_is_named_and_the_rest_imports(tmp_path):
    archive = zipped(COHORT, tmp_path / "export")
    member = "help-lab5/2026-10-06.json"
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(member)
    data = bytearray(archive.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 10 : start + 20] = bytes(10)  # damage the compressed bytes: a CRC failure
    archive.write_bytes(bytes(data))
    result = friction("import", str(archive), "--db", str(tmp_path / "ledger.db"))
    assert result.returncode == 1
    assert f"Not imported: {member} cannot be read" in result.stderr
    assert "Imported " in result.stdout


def test_a_cut_short_zip_is_a_precise_error(tmp_path):
    archive = zipped(COHORT, tmp_path / "export")
    archive.write_bytes(archive.read_bytes()[:5000])
    result = friction("import", str(archive), "--db", str(tmp_path / "ledger.db"))
    assert result.returncode == 2
    assert "not a readable zip file" in result.stderr and "cut short" in result.stderr


def test_the_reader_streams_one_day_file_at_a_time(export_copy):
    """A later file is read only when reached: damage done after the first message shows up."""
    reader = ExportReader(export_copy, frozenset(), ["help-lab3"])
    stream = iter(reader)
    first = next(stream)
    last_day = reader.day_files()[-1]
    (export_copy / last_day.name).write_text("[")
    rest = list(stream)
    assert first.channel_name == "help-lab3" and rest
    [problem] = reader.problems
    assert problem.startswith(f"{last_day.name} is not valid JSON, truncated or corrupt")


def test_the_slack_sample_export_imports(tmp_path, sqlite_ledger):
    db = sqlite_ledger
    result = friction("import", str(EXPORT), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "1 subtype channel_join" in result.stdout
    figures = ledger_figures(db)
    assert figures["total_incidents"] >= 1
    assert "iam" in [d["domain"] for d in figures["domains"]]


def test_progress_bar_on_a_terminal_only(tmp_path):
    piped = friction("import", str(COHORT), "--db", str(tmp_path / "piped.db"))
    assert "Importing" not in piped.stderr
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "import", str(COHORT), "--db", str(tmp_path / "tty.db")],
        stdout=subprocess.DEVNULL,
        stderr=secondary,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    assert process.wait(timeout=120) == 0
    assert b"Importing demo_cohort" in shown and b"52/52" in shown
