"""`friction export`: Parquet/CSV partitioned by day, read back with pyarrow and DuckDB."""

import re
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from sqlalchemy import select
from sqlmodel import Session
from support.demo_ledger import SALT
from support.friction_cli import friction

from bot.config import Settings
from bot.context import open_context
from bot.history.export import export_ledger
from digests.report import build_report
from storage.models import Channel, Incident, Message
from storage.queries import Window

ROOT = Path(__file__).parents[1]
DOCS = (ROOT / "docs" / "export.md").read_text()
FRICTION_TABLE = re.search(r"```sql\n-- duckdb\n(.*?)```", DOCS, re.S).group(1)


def parquet(out: Path, table: str) -> pa.Table:
    return ds.dataset(out / table, format="parquet", partitioning="hive").to_table()


def test_parquet_reads_back_with_the_ledgers_counts_and_types(demo_ledger, tmp_path):
    result = export_ledger(demo_ledger.engine, tmp_path / "out")
    incidents, messages = (
        parquet(tmp_path / "out", "incidents"),
        parquet(tmp_path / "out", "messages"),
    )
    with Session(demo_ledger.engine) as session:
        stored_incidents = list(session.execute(select(Incident)).scalars())
        stored_messages = list(session.execute(select(Message)).scalars())
    assert incidents.num_rows == len(stored_incidents) == result.rows["incidents"] > 100
    assert messages.num_rows == len(stored_messages) == result.rows["messages"]
    types = dict(zip(incidents.schema.names, incidents.schema.types, strict=True))
    assert types["incident_id"] == pa.int64()
    assert types["opened_at"] == pa.timestamp("ms", tz="UTC")
    assert types["downtime_seconds"] == pa.int64()
    assert types["confidence"] == pa.float64()
    assert types["dismissed"] == pa.bool_()
    assert types["first_reply_at"] == pa.timestamp("ms", tz="UTC")
    answered = [r for r in incidents.to_pylist() if r["first_reply_seconds"] is not None]
    assert len(answered) > 100  # the demo cohort's threads are mostly answered
    assert messages.schema.field("text").type == pa.string()
    # Row by row, the same facts as the ledger.
    exported = {r["incident_id"]: r for r in incidents.to_pylist()}
    for incident in stored_incidents:
        row = exported[incident.id]
        assert (row["domain_id"], row["signature_id"]) == (
            incident.domain_id,
            incident.signature_id,
        )
        assert row["opened_at"].replace(tzinfo=None, microsecond=0) == incident.opened_at.replace(
            tzinfo=None, microsecond=0
        )
        assert row["downtime_seconds"] == incident.downtime_seconds
        assert (row["first_reply_seconds"], row["first_reply_by"]) == (
            incident.first_reply_seconds,
            incident.first_reply_by,
        )
    assert Counter(m["user_hash"] for m in messages.to_pylist()) == Counter(
        m.user_hash for m in stored_messages
    )


def test_each_partition_holds_that_days_rows(demo_ledger, tmp_path):
    export_ledger(demo_ledger.engine, tmp_path)
    days = sorted(p.name for p in (tmp_path / "messages").iterdir())
    assert days and all(re.fullmatch(r"dt=\d{4}-\d{2}-\d{2}", d) for d in days)
    for day in days:
        table = ds.dataset(tmp_path / "messages" / day, format="parquet").to_table()
        assert "dt" not in table.schema.names  # the folder carries it
        posted = {t.strftime("%Y-%m-%d") for t in table.column("posted_at").to_pylist()}
        assert posted == {day.removeprefix("dt=")}


def test_one_duckdb_query_gives_back_the_friction_table(demo_ledger, tmp_path):
    export_ledger(demo_ledger.engine, tmp_path / "export")
    query = FRICTION_TABLE.replace("'export/", f"'{tmp_path}/export/")
    rows = duckdb.connect().execute(query).fetchall()
    with Session(demo_ledger.engine) as session:
        report = build_report(session, Window())
    expected = [
        (d.label, d.incidents, round(100 * d.share, 1), d.downtime_hours) for d in report.domains
    ]
    got = [(label, n, share, hours or 0.0) for label, n, share, hours in rows]
    # Rounding halves may differ between DuckDB and Python: a hundredth either way.
    assert [g[:2] for g in sorted(got)] == [e[:2] for e in sorted(expected)]
    for g, e in zip(sorted(got), sorted(expected), strict=True):
        assert g[2:] == pytest.approx(e[2:], abs=0.011)
    assert sum(n for _, n, _, _ in got) == report.total_incidents > 100


def test_csv_export_reads_back_in_duckdb(demo_ledger, tmp_path):
    result = friction(
        "export", "--format", "csv", "--out", str(tmp_path), "--db", _db(demo_ledger), env=SALT
    )
    assert result.returncode == 0, result.stderr
    counted = (
        duckdb.connect()
        .execute(
            f"SELECT count(*), count(DISTINCT dt), sum(CASE WHEN dismissed THEN 0 ELSE 1 END) "
            f"FROM read_csv('{tmp_path}/incidents/*/*.csv', hive_partitioning = true)"
        )
        .fetchone()
    )
    with Session(demo_ledger.engine) as session:
        incidents = list(session.execute(select(Incident)).scalars())
    days = {i.opened_at.strftime("%Y-%m-%d") for i in incidents}
    assert counted == (len(incidents), len(days), len(incidents))
    assert f"incidents: {len(incidents)} rows in {len(days)} days" in result.stdout


def test_reexport_drops_what_the_ledger_deleted(demo_ledger, tmp_path):
    export_ledger(demo_ledger.engine, tmp_path)
    with Session(demo_ledger.engine) as session:
        first_day = session.execute(
            select(Message, Channel).join(Channel).order_by(Message.posted_at)
        ).first()
        message, channel = first_day
        same_day = session.execute(
            select(Message.ts).where(
                Message.channel_pk == channel.id,
                Message.posted_at < message.posted_at.replace(hour=23, minute=59, second=59),
            )
        ).scalars()
        doomed = list(same_day)
    for ts in doomed:
        demo_ledger.ingestor.delete(channel.team_id, channel.channel_id, ts)
    day = f"dt={message.posted_at:%Y-%m-%d}"
    before = parquet(tmp_path, "messages").num_rows
    assert (tmp_path / "messages" / day).exists()
    export_ledger(demo_ledger.engine, tmp_path)
    assert parquet(tmp_path, "messages").num_rows == before - len(doomed)
    remaining = ds.dataset(tmp_path / "messages", format="parquet", partitioning="hive")
    assert message.ts not in remaining.to_table().column("ts").to_pylist()
    assert not list(tmp_path.glob(".export-*"))  # no staging left behind


def test_export_refuses_to_delete_files_it_did_not_write(demo_ledger, tmp_path):
    (tmp_path / "messages").mkdir()
    (tmp_path / "messages" / "notes.txt").write_text("mine")
    result = friction("export", "--out", str(tmp_path), "--db", _db(demo_ledger), env=SALT)
    assert result.returncode == 2
    assert "holds files that are not an export's (notes.txt)" in result.stderr
    assert (tmp_path / "messages" / "notes.txt").read_text() == "mine"


def test_an_empty_ledger_exports_empty_tables(tmp_path, sqlite_url):
    context = open_context(Settings(), sqlite_url)
    result = export_ledger(context.engine, tmp_path / "out")
    assert result.rows == {"incidents": 0, "messages": 0}
    assert (tmp_path / "out" / "incidents").is_dir()


def test_docs_describe_every_exported_column(demo_ledger, tmp_path):
    export_ledger(demo_ledger.engine, tmp_path)
    for table in ("incidents", "messages"):
        section = DOCS.split(f"## `{table}`", 1)[1].split("\n## ", 1)[0]
        documented = re.findall(r"^\| `(\w+)` \|", section, re.M)
        assert documented == parquet(tmp_path, table).schema.names


def _db(context) -> str:
    return context.engine.url.render_as_string(hide_password=False)
