"""The `friction` command as a user runs it: a real process, real files, real exit codes."""

import csv
import io
import json
import re

import pytest
from support.friction_cli import friction
from support.learner_text import NO_SUCH_BUCKET, PASSROLE

from bot.config import Settings
from bot.context import open_context
from bot.ingest.capture import CapturedMessage

T0 = 1_788_000_000  # 2026-08-29, a Saturday 10:40 UTC


@pytest.fixture
def ledger(seeded) -> str:
    """A ledger with hand-counted figures: IAM 3 incidents resolved after 10, 20 and 60 minutes,
    S3 1 open incident, 2 chatter messages; 9 messages in all."""
    url, _ = seeded(write_figures)
    return url


def write_figures(url, _folder) -> None:
    context = open_context(Settings(FRICTION_SALT="s"), url)
    add = context.ingestor.add
    for i, minutes in enumerate((10, 20, 60)):
        root = f"{T0 + i * 3600}.000100"
        add(CapturedMessage("T1", "C1", root, PASSROLE, user_id=f"U{i}", channel_name="help-lab4"))
        add(
            CapturedMessage(
                "T1",
                "C1",
                f"{T0 + i * 3600 + minutes * 60}.000100",
                "thanks, that worked!",
                user_id=f"U{i}",
                thread_ts=root,
            )
        )
    add(
        CapturedMessage(
            "T1",
            "C2",
            f"{T0 + 10_000}.000100",
            NO_SUCH_BUCKET,
            user_id="U9",
            channel_name="help-lab5",
        )
    )
    add(CapturedMessage("T1", "C1", f"{T0 + 20_000}.000100", "when is lab 3 due?", user_id="U8"))
    add(CapturedMessage("T1", "C2", f"{T0 + 20_001}.000100", "hi all :wave:", user_id="U8"))
    context.engine.dispose()


def report_json(url: str, *args: str) -> dict:
    result = friction(
        "report", "--format", "json", *args, env={"DATABASE_URL": url, "FRICTION_SALT": "s"}
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_report_json_has_the_hand_counted_figures(ledger):
    data = report_json(ledger)
    assert (data["total_messages"], data["total_incidents"], data["open_incidents"]) == (9, 4, 1)
    iam, s3 = data["domains"]
    assert iam == {
        "domain": "iam",
        "label": "Identity & Access (IAM)",
        "incidents": 3,
        "share": 0.75,
        "downtime_hours": 1.5,
        "median_minutes_to_resolve": 20.0,
    }
    assert (s3["domain"], s3["incidents"], s3["share"], s3["downtime_hours"]) == ("s3", 1, 0.25, 0)
    assert s3["median_minutes_to_resolve"] is None
    assert data["signatures"] == [
        {"signature": "iam.passrole", "incidents": 3},
        {"signature": "s3.no_such_bucket", "incidents": 1},
    ]


def test_report_filters_by_channel_and_time(ledger):
    assert report_json(ledger, "--channel", "help-lab5")["total_incidents"] == 1
    assert report_json(ledger, "--channel", "C1", "--channel", "C2")["total_incidents"] == 4
    assert report_json(ledger, "--since", "2026-09-01")["total_incidents"] == 0
    assert report_json(ledger, "--until", "2026-08-01")["total_messages"] == 0


def test_report_csv_and_piped_table(ledger):
    env = {"DATABASE_URL": ledger, "FRICTION_SALT": "s"}
    rows = list(csv.DictReader(io.StringIO(friction("report", "-f", "csv", env=env).stdout)))
    assert [(r["domain"], r["incidents"], r["share"]) for r in rows] == [
        ("iam", "3", "0.75"),
        ("s3", "1", "0.25"),
    ]
    table = friction("report", env=env).stdout
    assert re.search(r"Identity & Access \(IAM\) +3 +75\.0 % +1\.5 +20 min", table)
    assert "\x1b[" not in table and "┃" not in table  # plain text when piped


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("report",), {"DATABASE_URL": "mysql://x/y"}, "unsupported database 'mysql'"),
        (("report",), {"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL"),
        (
            ("report",),
            {"DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:9/x"},
            "cannot open the ledger at postgresql+psycopg://u@127.0.0.1:9/x",
        ),
        (("report", "--since", "last tuesday"), {}, "--since takes a date like 2026-09-07"),
        (("report", "--format", "xml"), {}, "Invalid value for '--format'"),
        (("report", "--colour"), {}, "No such option: --colour"),
        (("report",), {"FRICTION_CONFIG": "missing.toml"}, "missing.toml, which does not exist"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(tmp_path, args, env, message):
    result = friction(*args, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_config_value_names_the_file_and_field(tmp_path):
    config = tmp_path / "friction.toml"
    config.write_text("[classifier]\ntriage_threshold = 3\n[channels]\nwhatch = []\n")
    result = friction("report", env={"FRICTION_CONFIG": str(config)}, cwd=tmp_path)
    assert result.returncode == 2
    assert "classifier.triage_threshold" in result.stderr
    assert "channels.whatch: Extra inputs are not permitted" in result.stderr


def test_db_upgrade_creates_the_default_sqlite_ledger(tmp_path):
    result = friction("db", "upgrade", cwd=tmp_path, env={"DATABASE_URL": None})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "friction.db").exists()
