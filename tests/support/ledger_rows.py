"""A ledger's incidents as a test reads them, and a TA's tag made as `/friction tag` makes it,
for the tests that need one without the Slack or CLI path around it."""

from collections.abc import Iterable

from sqlmodel import Session, select

from bot.context import Context
from bot.labels import parse_label
from bot.ta.tag_actions import TagActions, Thread
from storage.models import Channel, Incident


def incidents(context: Context) -> list[Incident]:
    """The ledger's incidents, in the order their threads began."""
    with Session(context.engine) as session:
        return list(session.exec(select(Incident).order_by(Incident.root_ts)))


def tag_by_hand(context: Context, roots: Iterable[str], signature: str) -> None:
    """A TA tags the threads whose roots were posted at `roots` (in the ledger's one channel)
    with `signature`, through `/friction tag`'s own actions."""
    with Session(context.engine) as session:
        channel = session.exec(select(Channel)).one()
    actions, label = TagActions(context), parse_label(signature)
    for ts in roots:
        actions.label(Thread(channel.team_id, channel.channel_id, ts), label, "UTA")
