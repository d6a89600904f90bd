"""TAs' tags as training data: what `friction train` adds to the packaged second opinion."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from classifiers import SecondOpinion, SecondOpinionError, packaged_second_opinion
from storage.models import Incident, Message


def tagged_examples(engine: Engine) -> list[tuple[str, str]]:
    """(root text, domain) of every incident a TA tagged and did not dismiss."""
    query = (
        select(Message.text, Incident.domain_id)
        .join(Message, Message.id == Incident.root_message_id)
        .where(
            Incident.human_tagged,
            Incident.dismissed.is_(False),
            Message.text.is_not(None),
        )
        .order_by(Incident.id)
    )
    with Session(engine) as session:
        return [(text, domain) for text, domain in session.exec(query)]


def train(engine: Engine) -> tuple[SecondOpinion, int]:
    """The packaged second opinion refined with the ledger's human tags (always from the packaged
    counts, so training twice never counts a tag twice), and how many tags it learned."""
    examples = tagged_examples(engine)
    if not examples:
        raise SecondOpinionError("no incident has a TA's tag (`/friction tag`) to learn from")
    return packaged_second_opinion().refined(examples), len(examples)
