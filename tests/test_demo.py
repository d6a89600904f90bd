"""`friction demo`: the bundled cohort through the real ingest path, checked against its truth."""

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from support.demo_ledger import COHORT
from support.friction_cli import friction, friction_process
from support.readme import code_blocks, section

ROOT = Path(__file__).parents[1]
LABELS = json.loads((COHORT / "labels.json").read_text())


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    result = friction_process("demo", "--db", str(db))
    assert result.returncode == 0, result.stderr
    return db, result.stdout


def test_demo_prints_the_ledgers_figures(demo):
    db, printed = demo
    report = json.loads(friction("report", "--db", str(db), "-f", "json").stdout)
    assert f"{report['total_messages']} messages, {report['total_incidents']} incidents" in printed
    for row in report["domains"]:
        assert re.search(rf"{re.escape(row['label'])} +{row['incidents']} ", printed)


def test_the_readme_shows_a_real_demo_run(demo):
    db, printed = demo
    shown = next(b for b in code_blocks(section("Try it")) if b.startswith("Demo cohort:"))
    assert _as_in_readme(printed, db) == _as_in_readme(shown, Path("friction-demo.db"))


def test_the_readmes_json_example_is_the_demos_report(demo):
    db, _ = demo
    (example,) = code_blocks(section("Command line"), "json")
    shown = json.loads(example.replace(", ...]", "]"))
    report = json.loads(friction("report", "--db", str(db), "--format", "json").stdout)
    assert shown.keys() == report.keys()
    for key, value in shown.items():
        assert (
            report[key][: len(value)] == value if isinstance(value, list) else report[key] == value
        )


def test_the_demos_next_lines_show_data(demo):
    _, printed = demo
    commands = printed.split("\nNext: ")[1].split("\n")
    assert [c.split()[:2] for c in commands if c] == [
        ["friction", "report"],
        ["friction", "digest"],
    ]
    digest = commands[1].split("(")[0].split()[1:]
    result = friction(*digest)
    assert result.returncode == 0, result.stderr
    incidents = int(re.search(r"^(\d+) incidents \(", result.stdout, re.M)[1])
    assert incidents > 0, result.stdout


def test_demo_finds_the_cohorts_incidents_in_the_right_domains(demo):
    db, _ = demo
    with sqlite3.connect(db) as con:
        found = dict(
            con.execute(
                "SELECT c.channel_id || '/' || i.root_ts, i.domain_id FROM incident i "
                "JOIN channel c ON c.id = i.channel_pk"
            )
        )
    truth = {f"{i['channel']}/{i['ts']}": i["domain"] for i in LABELS["incidents"]}
    right = sum(found.get(key) == domain for key, domain in truth.items())
    assert right / len(truth) >= 0.9
    assert len(found) <= len(truth) * 1.05  # few false incidents


def test_rerunning_the_demo_changes_nothing(demo):
    db, _ = demo
    before = _counts(db)
    again = friction("demo", "--db", str(db))
    assert again.returncode == 0, again.stderr
    assert "(0 new, " in again.stdout
    assert _counts(db) == before


def test_no_secret_from_the_cohort_reaches_the_database_file(demo):
    db, _ = demo
    originals = {}
    for day in COHORT.glob("help-*/*.json"):
        for message in json.loads(day.read_text()):
            originals[(day.parent.name, message["ts"])] = message.get("text", "")
    names = {c["id"]: c["name"] for c in json.loads((COHORT / "channels.json").read_text())}
    secrets = set()
    for entry in LABELS["secrets"]:
        text = originals[(names[entry["channel"]], entry["ts"])]
        secrets |= set(re.findall(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b|[\w.+-]+@[\w-]+\.[\w.]+", text))
    accounts = {m for text in originals.values() for m in re.findall(r"::(\d{12}):", text)}
    assert secrets and accounts
    stored = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    leaked = [s for s in secrets | accounts if s.encode() in stored]
    assert leaked == []


def test_the_bundled_cohort_is_what_the_generator_makes():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_cohort.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _counts(db: Path) -> tuple[int, ...]:
    with sqlite3.connect(db) as con:
        return tuple(
            con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("message", "incident", "channel")
        )


def _as_in_readme(printed: str, db: Path) -> str:
    """The demo's output with its path and its seconds (which vary from run to run) blanked."""
    return re.sub(r" in \d+\.\d s ", " in N s ", printed.replace(str(db), "DB")).rstrip()
