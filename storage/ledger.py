"""Reads and writes of ledger rows that the ingest path, the CLI and the Slack surfaces share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Row, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session, SQLModel, func, or_, select

from storage.models import Channel, Domain, Incident, Message, Meta, Signature

# Resolutions a person made on purpose: re-deriving a thread's state never undoes them.
EXPLICIT_RESOLUTIONS = frozenset({"command", "hint", "reopened"})


def sync_taxonomy(
    session: Session,
    domains: Iterable[tuple[str, str]],
    signatures: Iterable[tuple[str, str, str, str | None]],
) -> None:
    """Make the lookup tables hold every (domain) and (signature, domain, title, hint) given."""
    for domain_id, label in domains:
        session.merge(Domain(id=domain_id, label=label))
    session.flush()
    for signature_id, domain_id, title, hint in signatures:
        session.merge(Signature(id=signature_id, domain_id=domain_id, title=title, hint=hint))
    session.flush()


def meta_value(session: Session, key: str) -> str | None:
    row = session.get(Meta, key)
    return row.value if row else None


def set_meta(session: Session, key: str, value: str) -> None:
    session.merge(Meta(key=key, value=value))


def add_once(session: Session, row: SQLModel) -> bool:
    """Add and flush `row` in a savepoint; False, the session still usable, when its unique
    key is taken already (by another writer or replica, or earlier): so one of them wins."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def set_meta_once(session: Session, key: str, value: str) -> str:
    """Store `value` under `key` unless another writer got there first; return what is stored."""
    add_once(session, Meta(key=key, value=value))
    return meta_value(session, key) or value


ChannelKey = tuple[str, str, str | None, str | None]
"""(team id, channel id, name, cohort) of a channel as a message sees it."""


def channel_ids(session: Session, keys: Iterable[ChannelKey]) -> dict[tuple[str, str], int]:
    """Ids of channels by (team id, channel id): created on first sight, name and cohort kept
    current. A few statements for any number of channels; ON CONFLICT DO NOTHING lets two
    replicas create the same channel at once."""
    wanted = {(team, channel): (name, cohort) for team, channel, name, cohort in keys}
    if not wanted:
        return {}
    teams, channels = {team for team, _ in wanted}, {channel for _, channel in wanted}
    query = select(Channel.team_id, Channel.channel_id, Channel.id, Channel.name, Channel.cohort)
    query = query.where(Channel.team_id.in_(teams), Channel.channel_id.in_(channels))

    def stored() -> dict[tuple[str, str], Row]:
        found = session.execute(query)
        return {(row.team_id, row.channel_id): row for row in found if row[:2] in wanted}

    found = stored()
    missing = [
        {"team_id": team, "channel_id": channel, "name": name, "cohort": cohort}
        for (team, channel), (name, cohort) in wanted.items()
        if (team, channel) not in found
    ]
    if missing:
        insert_for = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}
        dialect = session.get_bind().dialect.name
        session.execute(insert_for[dialect](Channel).on_conflict_do_nothing(), missing)
        found = stored()
    for key, (name, cohort) in wanted.items():
        row = found[key]
        changed = {"name": name} if name and row.name != name else {}
        if cohort and row.cohort != cohort:
            changed["cohort"] = cohort
        if changed:
            session.execute(update(Channel).where(Channel.id == row.id).values(changed))
    return {key: row.id for key, row in found.items()}


def channel_row(
    session: Session, team_id: str, channel_id: str, name: str | None, cohort: str | None
) -> Channel:
    """The channel's row, created on first sight; name and cohort kept current."""
    [id_] = channel_ids(session, [(team_id, channel_id, name, cohort)]).values()
    return session.get(Channel, id_, populate_existing=True)


def find_channel(session: Session, team_id: str, channel_id: str) -> Channel | None:
    return session.exec(
        select(Channel).where(Channel.team_id == team_id, Channel.channel_id == channel_id)
    ).first()


def message_row(session: Session, channel_pk: int, ts: str) -> Message | None:
    return session.exec(
        select(Message).where(Message.channel_pk == channel_pk, Message.ts == ts)
    ).first()


def insert_rows(session: Session, model: type, rows: list[dict]) -> list[int]:
    """Insert `rows` (dicts with the same keys, no id) and return their ids, in order.

    The values pass through the column types' own bind processors and go to the driver
    directly: SQLAlchemy's per-row parameter handling cost more than the insert itself. On
    SQLite by executemany; the ids follow from the largest id after it, as SQLite gives a new
    row one more than the table's largest id and a transaction holds the write lock from its
    first insert to its commit. On PostgreSQL the ids are drawn from the table's sequence
    first (RETURNING on a many-row insert cost it four to five times the insert), and the rows
    go in by COPY.
    """
    connection = session.connection()
    dialect = connection.dialect
    table = model.__table__
    ids: list[int] = []
    if dialect.name == "postgresql":
        draw = select(func.nextval(func.pg_get_serial_sequence(table.name, "id")))
        ids = list(connection.scalars(draw.select_from(func.generate_series(1, len(rows)))))
        rows = [{**row, "id": id_} for row, id_ in zip(rows, ids, strict=True)]
    keys = [column.key for column in table.columns if column.key in rows[0]]
    processors = [table.c[key].type.dialect_impl(dialect).bind_processor(dialect) for key in keys]
    bound = list(zip(keys, processors, strict=True))
    values = [tuple(p(row[key]) if p else row[key] for key, p in bound) for row in rows]
    quote = dialect.identifier_preparer.quote
    into = f"{quote(table.name)} ({', '.join(map(quote, keys))})"
    if dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor, cursor.copy(f"COPY {into} FROM STDIN") as copy:
            for value in values:
                copy.write_row(value)
        return ids
    connection.exec_driver_sql(f"INSERT INTO {into} VALUES ({', '.join('?' * len(keys))})", values)
    last = connection.scalar(select(func.max(table.c.id)))
    return list(range(last - len(rows) + 1, last + 1))


def message_rows(session: Session, wanted: Mapping[int, Iterable[str]]) -> dict[int, dict]:
    """Stored messages among `wanted` (channel id -> ts), by channel then ts: one query for a
    whole batch, however many channels it spans."""
    return _rows_among(session, Message, Message.ts, wanted)


def _sets(wanted: Mapping[int, Iterable[str]]) -> dict[int, set[str]]:
    return {pk: set(ts) for pk, ts in wanted.items()}


def _among(pk_column, ts_column, wanted: dict[int, set[str]]) -> tuple:
    """Conditions matching every (channel, ts) in `wanted`, and a few more the caller drops:
    two plain IN lists are cheaper than a row-value IN and work on every backend."""
    return pk_column.in_(wanted), ts_column.in_(set().union(*wanted.values()))


# What an incident is derived from: a thread's rows without their text.
THREAD_COLUMNS = (
    Message.id,
    Message.channel_pk,
    Message.ts,
    Message.thread_ts,
    Message.user_hash,
    Message.posted_at,
    Message.is_incident,
    Message.resolves,
    Message.domain_id,
    Message.signature_id,
    Message.confidence,
    Message.classifier_version,
    Message.attributes,
    Message.resolution_reaction,
    Message.resolution_reaction_at,
    Message.cause_signature_id,
)


def threads_rows(
    session: Session, wanted: Mapping[int, Iterable[str]]
) -> dict[int, dict[str, list[Row]]]:
    """Many threads (channel id -> root ts) in one query, as read-only rows of `THREAD_COLUMNS`.

    channel id -> root_ts -> rows in ts order, root first.
    """
    wanted = _sets(wanted)
    roots = set().union(*wanted.values())
    query = (
        select(*THREAD_COLUMNS)
        .where(
            Message.channel_pk.in_(wanted),
            or_(Message.ts.in_(roots), Message.thread_ts.in_(roots)),
        )
        .order_by(Message.ts)
    )
    rows: dict[int, list[Row]] = {pk: [] for pk in wanted}
    for row in session.execute(query):
        rows[row.channel_pk].append(row)
    threads: dict[int, dict[str, list[Row]]] = {}
    for pk, mine in wanted.items():
        threads[pk] = {root: [] for root in mine}
        join_threads(threads[pk], rows[pk])
    return threads


def join_threads(threads: dict[str, list], rows: Iterable) -> None:
    """Append each row (with `ts`, `thread_ts`) to the thread it belongs to among `threads`."""
    for row in rows:
        if row.ts in threads:
            threads[row.ts].append(row)
        if row.thread_ts in threads and row.thread_ts != row.ts:
            threads[row.thread_ts].append(row)


def incident_rows(
    session: Session, wanted: Mapping[int, Iterable[str]]
) -> dict[int, dict[str, Incident]]:
    """Incidents among thread roots `wanted` (channel id -> root ts), by channel then root_ts."""
    return _rows_among(session, Incident, Incident.root_ts, wanted)


def _rows_among(
    session: Session,
    model: type[Message] | type[Incident],
    ts_column: InstrumentedAttribute[str],
    wanted: Mapping[int, Iterable[str]],
) -> dict[int, dict]:
    """Rows of `model` whose (channel, `ts_column`) is among `wanted`, by channel then ts.

    `_among` filters channels and timestamps apart, so a row of one channel that happens to
    share another channel's ts comes back too and is dropped here."""
    wanted = _sets(wanted)
    found: dict[int, dict] = {pk: {} for pk in wanted}
    if not any(wanted.values()):
        return found
    for row in session.exec(select(model).where(*_among(model.channel_pk, ts_column, wanted))):
        ts = getattr(row, ts_column.key)
        if ts in wanted[row.channel_pk]:
            found[row.channel_pk][ts] = row
    return found


def open_thread_roots(
    session: Session, channel_pk: int, opened_after: datetime, opened_before: datetime
) -> list[str]:
    """Root ts of the channel's unresolved incidents opened in [after, before), oldest first.

    A history window starting at `opened_before` does not show their new replies: Slack's
    `conversations.history` lists a thread under its root only, so these are re-read apart.
    """
    return list(
        session.exec(
            select(Incident.root_ts)
            .where(
                Incident.channel_pk == channel_pk,
                Incident.resolved_at.is_(None),  # type: ignore[union-attr]
                Incident.opened_at >= opened_after,
                Incident.opened_at < opened_before,
            )
            .order_by(Incident.opened_at)
        )
    )


def incident_row(session: Session, channel_pk: int, root_ts: str) -> Incident | None:
    return session.exec(
        select(Incident).where(Incident.channel_pk == channel_pk, Incident.root_ts == root_ts)
    ).first()


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds from `start` to `end`, never negative (clocks and edits disagree)."""
    return max(0, round((end - start).total_seconds()))


def set_resolution(
    incident: Incident, at: datetime | None, by: str | None, *, timed: bool = True
) -> None:
    """Mark the incident resolved at `at` (None re-opens it) and derive its downtime.

    `timed=False` records a resolution whose moment is unknown (a reaction seen in history):
    it counts as resolved but adds nothing to downtime.
    """
    incident.resolved_at = at
    incident.resolved_by = by
    if at is None or not timed:
        incident.downtime_seconds = None
    else:
        incident.downtime_seconds = seconds_between(incident.opened_at, at)
