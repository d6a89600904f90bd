"""A ledger's incidents as a test reads them, and a TA's tag made by hand, as `/friction tag`
makes it, for the tests that need one without the Slack or CLI path around it."""

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlmodel import Session, select

from bot.context import Context
from storage.ledger import message_row
from storage.models import Channel, Incident
from storage.tagging import tag


def incidents(context: Context) -> list[Incident]:
    """The ledger's incidents, in the order their threads began."""
    with Session(context.engine) as session:
        return list(session.exec(select(Incident).order_by(Incident.root_ts)))


def tag_by_hand(context: Context, roots: Iterable[str], domain: str, signature: str) -> None:
    """A TA tags the threads whose roots were posted at `roots` (in the ledger's one channel)."""
    with Session(context.engine) as session:
        channel = session.exec(select(Channel)).one()
        for ts in roots:
            root = message_row(session, channel.id, ts)
            tag(session, root, domain, signature, actor_hash="ta", at=datetime.now(UTC))
        session.commit()
