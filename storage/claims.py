"""Claims that make a post happen once across restarts and replicas: `digest_run`, `alert_state`.

A digest is claimed by inserting its (period, channel) row before anything is posted: the
unique constraint lets exactly one replica win. A claim whose holder failed is released, and one
whose holder died expires after a lease; taking it over is a compare-and-set on `attempts`, so
two replicas retrying at once still post once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import update
from sqlmodel import Session, SQLModel, select

from storage.ledger import add_once
from storage.models import AlertState, DigestRun

RELEASED = ""  # claimed_by of a claim given up after a failed post
Row = TypeVar("Row", bound=SQLModel)


def insert_once(session: Session, row: Row) -> Row | None:
    """Insert and commit `row`; None when its unique key is taken already (by another replica,
    or an earlier run): the one claim that lets exactly one of them go on."""
    if not add_once(session, row):
        session.rollback()
        return None
    session.commit()
    return row


def claim_digest(
    session: Session,
    period: str,
    channel_id: str,
    claimer: str,
    now: datetime,
    lease: timedelta,
) -> DigestRun | None:
    """The run for (period, channel) if this claimer may post it now; None if posted or held."""
    new = DigestRun(
        period=period, channel_id=channel_id, claimed_at=now, claimed_by=claimer, attempts=1
    )
    if insert_once(session, new) is not None:
        return new
    run = digest_run(session, period, channel_id)
    if run is None or run.posted_at is not None:
        return None
    if run.claimed_by != RELEASED and run.claimed_at > now - lease:
        return None
    taken = session.execute(
        update(DigestRun)
        .where(
            DigestRun.id == run.id,
            DigestRun.posted_at.is_(None),
            DigestRun.attempts == run.attempts,
        )
        .values(claimed_by=claimer, claimed_at=now, attempts=run.attempts + 1)
    )
    session.commit()
    if taken.rowcount != 1:
        return None
    session.refresh(run)
    return run


def digest_run(session: Session, period: str, channel_id: str) -> DigestRun | None:
    return session.exec(
        select(DigestRun).where(DigestRun.period == period, DigestRun.channel_id == channel_id)
    ).first()


def finish_digest(
    session: Session, run: DigestRun, message_ts: str, now: datetime, note: str | None
) -> None:
    """Record the post (and any part of it that failed, such as the chart)."""
    run.posted_at, run.message_ts, run.last_error = now, message_ts, note
    session.add(run)
    session.commit()


def release_digest(session: Session, run: DigestRun, error: str) -> None:
    """Give the claim up after a failed post, so the next attempt (any replica) retries."""
    run.claimed_by, run.last_error = RELEASED, error[:1000]
    session.add(run)
    session.commit()


def locked_alert_state(session: Session, key: str, now: datetime) -> AlertState:
    """The state of `key`, created if new, locked until the session commits (PostgreSQL).

    The lock serialises replicas checking the same alert; SQLite serialises writers anyway.
    """
    add_once(session, AlertState(key=key, status="inactive", since=now))
    return session.exec(select(AlertState).where(AlertState.key == key).with_for_update()).one()


def alert_states(session: Session, prefix: str) -> list[AlertState]:
    return list(
        session.exec(select(AlertState).where(AlertState.key.startswith(prefix, autoescape=True)))
    )
