"""`friction export`: incidents and messages as Parquet or CSV, partitioned `dt=YYYY-MM-DD/`.

The layout is the Hive convention DuckDB, Athena, Trino and Spark all read
(`incidents/dt=2026-09-07/part-0.parquet`), with a fixed schema (docs/export.md) so a data
team's queries do not break when a day has no value in some column. Rows stream from the
ledger in batches, so the export's size does not bound memory. A new export replaces the old
one whole: what the ledger forgot (a forgotten user, text past retention) leaves the export too.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, Select, select
from sqlmodel import Session

from storage.models import Channel, Domain, Incident, Message, Signature

try:
    import pyarrow as pa
    import pyarrow.dataset as ds
except ImportError:  # an optional extra: the bot itself runs without it
    pa = ds = None

FORMATS = ("parquet", "csv")
BATCH = 10_000


def _schemas() -> dict[str, pa.Schema]:
    """The exported tables' columns; `dt` (UTC day) is the partition, not a column in files."""
    when = pa.timestamp("ms", tz="UTC")
    where = [
        ("team_id", pa.string()),
        ("channel_id", pa.string()),
        ("channel_name", pa.string()),
        ("cohort", pa.string()),
    ]
    classified = [
        ("domain_id", pa.string()),
        ("signature_id", pa.string()),
        ("confidence", pa.float64()),
        ("classifier_version", pa.string()),
    ]
    incidents = [
        ("incident_id", pa.int64()),
        *where,
        ("root_ts", pa.string()),
        ("asker_hash", pa.string()),
        ("opened_at", when),
        ("resolved_at", when),
        ("resolved_by", pa.string()),
        ("downtime_seconds", pa.int64()),
        *classified,
        ("domain_label", pa.string()),
        ("signature_title", pa.string()),
        ("human_tagged", pa.bool_()),
        ("needs_triage", pa.bool_()),
        ("dismissed", pa.bool_()),
        ("first_reply_at", when),
        ("first_reply_seconds", pa.int64()),
        ("first_reply_by", pa.string()),
        ("ta_reply_seconds", pa.int64()),
    ]
    messages = [
        ("message_id", pa.int64()),
        *where,
        ("ts", pa.string()),
        ("thread_ts", pa.string()),
        ("posted_at", when),
        ("edited_at", when),
        ("user_hash", pa.string()),
        ("text", pa.string()),
        ("subtype", pa.string()),
        ("source", pa.string()),
        ("is_incident", pa.bool_()),
        ("resolves", pa.bool_()),
        *classified,
        ("resolution_reaction", pa.bool_()),
    ]
    dt = ("dt", pa.string())
    return {"incidents": pa.schema([*incidents, dt]), "messages": pa.schema([*messages, dt])}


def _queries() -> dict[str, tuple[Select, str]]:
    """Per table: the query (columns in schema order, `dt` last) and its partitioning time."""
    where = (Channel.team_id, Channel.channel_id, Channel.name, Channel.cohort)
    incidents = (
        select(
            Incident.id,
            *where,
            Incident.root_ts,
            Incident.asker_hash,
            Incident.opened_at,
            Incident.resolved_at,
            Incident.resolved_by,
            Incident.downtime_seconds,
            Incident.domain_id,
            Incident.signature_id,
            Incident.confidence,
            Incident.classifier_version,
            Domain.label,
            Signature.title,
            Incident.human_tagged,
            Incident.needs_triage,
            Incident.dismissed,
            Incident.first_reply_at,
            Incident.first_reply_seconds,
            Incident.first_reply_by,
            Incident.ta_reply_seconds,
        )
        .join(Channel, Channel.id == Incident.channel_pk)
        .join(Domain, Domain.id == Incident.domain_id)
        .join(Signature, Signature.id == Incident.signature_id)
        .order_by(Incident.opened_at, Incident.id)
    )
    messages = (
        select(
            Message.id,
            *where,
            Message.ts,
            Message.thread_ts,
            Message.posted_at,
            Message.edited_at,
            Message.user_hash,
            Message.text,
            Message.subtype,
            Message.source,
            Message.is_incident,
            Message.resolves,
            Message.domain_id,
            Message.signature_id,
            Message.confidence,
            Message.classifier_version,
            Message.resolution_reaction,
        )
        .join(Channel, Channel.id == Message.channel_pk)
        .order_by(Message.posted_at, Message.id)
    )
    return {"incidents": (incidents, "opened_at"), "messages": (messages, "posted_at")}


@dataclass(frozen=True, slots=True)
class ExportResult:
    out: Path
    format: str
    rows: dict[str, int]  # table -> rows written
    days: dict[str, int]  # table -> dt partitions written


def export_ledger(engine: Engine, out: Path, format: str = "parquet") -> ExportResult:
    """Write `out/incidents/dt=.../` and `out/messages/dt=.../`, replacing an earlier export."""
    if pa is None:
        raise ValueError("friction export needs pyarrow: pip install 'friction-ledger[export]'")
    if format not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")
    out.mkdir(parents=True, exist_ok=True)
    schemas, queries = _schemas(), _queries()
    rows, days = {}, {}
    with tempfile.TemporaryDirectory(dir=out, prefix=".export-") as staging:
        for table, (query, moment) in queries.items():
            schema = schemas[table]
            counted = _Counted()
            with Session(engine) as session:
                batches = _batches(session, query, schema, moment, counted)
                ds.write_dataset(
                    pa.RecordBatchReader.from_batches(schema, batches),
                    Path(staging) / table,
                    format=format,
                    partitioning=ds.partitioning(pa.schema([schema.field("dt")]), flavor="hive"),
                    basename_template="part-{i}." + format,
                    existing_data_behavior="error",
                    create_dir=True,
                    # Keep each day's rows in the order the query gave them.
                    use_threads=False,
                    preserve_order=True,
                )
            rows[table], days[table] = counted.rows, len(counted.days)
        for table in queries:
            _replace(Path(staging) / table, out / table)
    return ExportResult(out, format, rows, days)


@dataclass
class _Counted:
    rows: int = 0
    days: set[str] = field(default_factory=set)


def _batches(
    session: Session, query: Select, schema: pa.Schema, moment: str, counted: _Counted
) -> Iterator[pa.RecordBatch]:
    """The query's rows as record batches, `dt` computed from the `moment` column (UTC)."""
    names = schema.names
    at = names.index(moment)
    result = session.execute(query.execution_options(yield_per=BATCH))
    for chunk in result.partitions():
        columns = [list(c) for c in zip(*chunk, strict=True)]
        dt = [when.strftime("%Y-%m-%d") for when in columns[at]]
        counted.rows += len(dt)
        counted.days.update(dt)
        yield pa.RecordBatch.from_arrays(
            [pa.array(c, type=schema.field(i).type) for i, c in enumerate([*columns, dt])],
            schema=schema,
        )


def _replace(new: Path, target: Path) -> None:
    """Put the freshly written table where the old one was; refuse to delete other data."""
    if target.exists():
        strangers = [p.name for p in target.iterdir() if not p.name.startswith("dt=")]
        if strangers:
            raise ValueError(
                f"{target} holds files that are not an export's ({', '.join(strangers[:3])}): "
                "choose an empty --out folder"
            )
        shutil.rmtree(target)
    if new.exists():
        new.rename(target)
    else:  # an empty ledger: an empty table folder, so readers find it
        target.mkdir()
