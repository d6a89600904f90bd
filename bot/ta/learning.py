"""TAs' tags as training data: the examples `friction train` fits the learned stage on."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from classifiers import LearnedStage
from storage.models import Incident, Message


def tagged_examples(engine: Engine) -> list[tuple[str, str, str]]:
    """(root text, domain, signature) of every incident a TA tagged and did not dismiss."""
    query = (
        select(Message.text, Incident.domain_id, Incident.signature_id)
        .join(Message, Message.id == Incident.root_message_id)
        .where(
            Incident.human_tagged,
            Incident.dismissed.is_(False),
            Message.text.is_not(None),
        )
        .order_by(Incident.id)
    )
    with Session(engine) as session:
        return [(text, domain, signature) for text, domain, signature in session.exec(query)]


def train(engine: Engine) -> tuple[LearnedStage, int]:
    """A learned stage fitted on the ledger's human tags, and how many examples it saw."""
    examples = tagged_examples(engine)
    return LearnedStage.fit(examples), len(examples)
