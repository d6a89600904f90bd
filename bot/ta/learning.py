"""TAs' tags as training data: what `friction train` adds to the packaged second opinion."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from classifiers import SecondOpinion, SecondOpinionError, packaged_second_opinion
from storage.models import Incident, Message


def tagged_examples(engine: Engine) -> list[tuple[str, str, bool]]:
    """(root text, domain, dismissed?) of every incident a TA tagged or dismissed."""
    query = (
        select(Message.text, Incident.domain_id, Incident.dismissed)
        .join(Message, Message.id == Incident.root_message_id)
        .where(Incident.human_tagged, Message.text.is_not(None))
        .order_by(Incident.id)
    )
    with Session(engine) as session:
        return [(text, domain, dismissed) for text, domain, dismissed in session.exec(query)]


def train(engine: Engine) -> tuple[SecondOpinion, int, int]:
    """The packaged second opinion refined with the ledger's human tags (always from the packaged
    counts, so training twice never counts a tag twice), and how many tagged and dismissed
    incidents it learned from. A tagged incident teaches its domain and that its root reports a
    blocker; a dismissed one, that its root does not."""
    examples = tagged_examples(engine)
    domains = [(text, domain) for text, domain, dismissed in examples if not dismissed]
    if not domains:
        raise SecondOpinionError("no incident has a TA's tag (`/friction tag`) to learn from")
    blockers = [(text, not dismissed) for text, _, dismissed in examples]
    model = packaged_second_opinion().refined(domains, blockers)
    return model, len(domains), len(examples) - len(domains)
