"""Reads and writes of ledger rows that the ingest path, the CLI and the Slack surfaces share."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session, or_, select

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


def set_meta_once(session: Session, key: str, value: str) -> str:
    """Store `value` under `key` unless another writer got there first; return what is stored."""
    try:
        with session.begin_nested():
            session.add(Meta(key=key, value=value))
    except IntegrityError:
        pass
    return meta_value(session, key) or value


def channel_row(
    session: Session, team_id: str, channel_id: str, name: str | None, cohort: str | None
) -> Channel:
    """The channel's row, created on first sight; name and cohort kept current."""
    query = select(Channel).where(Channel.team_id == team_id, Channel.channel_id == channel_id)
    row = session.exec(query).first()
    if row is None:
        try:
            with session.begin_nested():
                row = Channel(team_id=team_id, channel_id=channel_id, name=name, cohort=cohort)
                session.add(row)
        except IntegrityError:  # another replica created it between our read and write
            row = session.exec(query).one()
    if name and row.name != name:
        row.name = name
    if cohort and row.cohort != cohort:
        row.cohort = cohort
    return row


def find_channel(session: Session, team_id: str, channel_id: str) -> Channel | None:
    return session.exec(
        select(Channel).where(Channel.team_id == team_id, Channel.channel_id == channel_id)
    ).first()


def message_row(session: Session, channel_pk: int, ts: str) -> Message | None:
    return session.exec(
        select(Message).where(Message.channel_pk == channel_pk, Message.ts == ts)
    ).first()


def thread_rows(session: Session, channel_pk: int, root_ts: str) -> list[Message]:
    """The thread's root and replies in order."""
    return list(
        session.exec(
            select(Message)
            .where(
                Message.channel_pk == channel_pk,
                or_(Message.ts == root_ts, Message.thread_ts == root_ts),
            )
            .order_by(Message.ts)
        )
    )


def message_rows(session: Session, channel_pk: int, ts: Iterable[str]) -> dict[str, Message]:
    """The channel's stored messages among `ts`, by ts: one query for a whole batch."""
    query = select(Message).where(Message.channel_pk == channel_pk, Message.ts.in_(set(ts)))
    return {row.ts: row for row in session.exec(query)}


def ids_by_ts(
    session: Session, ts_column: InstrumentedAttribute[str], channel_pk: int, ts: Iterable[str]
) -> dict[str, int]:
    """Ids of the channel's messages (`Message.ts`) or incidents (`Incident.root_ts`) by ts.

    How a batch learns the ids of the rows it inserted: RETURNING on a many-row insert costs
    PostgreSQL several times the insert itself, this query a fraction of it.
    """
    model = ts_column.class_
    query = select(ts_column, model.id).where(
        model.channel_pk == channel_pk, ts_column.in_(set(ts))
    )
    return dict(session.execute(query).all())


# What an incident is derived from: a thread's rows without their text.
THREAD_COLUMNS = (
    Message.id,
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
)


def threads_rows(session: Session, channel_pk: int, roots: Iterable[str]) -> dict[str, list[Row]]:
    """Many threads of one channel in one query, as read-only rows of `THREAD_COLUMNS`.

    root_ts -> rows in ts order, root first, as `thread_rows` gives them for one thread.
    """
    roots = set(roots)
    query = (
        select(*THREAD_COLUMNS)
        .where(
            Message.channel_pk == channel_pk,
            or_(Message.ts.in_(roots), Message.thread_ts.in_(roots)),
        )
        .order_by(Message.ts)
    )
    threads: dict[str, list[Row]] = {root: [] for root in roots}
    join_threads(threads, session.execute(query))
    return threads


def join_threads(threads: dict[str, list], rows: Iterable) -> None:
    """Append each row (with `ts`, `thread_ts`) to the thread it belongs to among `threads`."""
    for row in rows:
        if row.ts in threads:
            threads[row.ts].append(row)
        if row.thread_ts in threads and row.thread_ts != row.ts:
            threads[row.thread_ts].append(row)


def incident_rows(session: Session, channel_pk: int, roots: Iterable[str]) -> dict[str, Incident]:
    """The channel's incidents among thread roots `roots`, by root_ts."""
    query = select(Incident).where(
        Incident.channel_pk == channel_pk, Incident.root_ts.in_(set(roots))
    )
    return {row.root_ts: row for row in session.exec(query)}


def incident_row(session: Session, channel_pk: int, root_ts: str) -> Incident | None:
    return session.exec(
        select(Incident).where(Incident.channel_pk == channel_pk, Incident.root_ts == root_ts)
    ).first()


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
        incident.downtime_seconds = max(0, round((at - incident.opened_at).total_seconds()))
