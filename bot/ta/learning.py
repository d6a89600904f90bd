"""TAs' tags as training data: what `friction train` adds to the packaged second opinion."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from classifiers import SecondOpinion, SecondOpinionError, packaged_second_opinion
from storage.models import Incident, Message


def tagged_examples(engine: Engine) -> list[tuple[str, str, str | None, bool]]:
    """(root text, domain, signature, dismissed?) of every incident a TA tagged or dismissed."""
    query = (
        select(Message.text, Incident.domain_id, Incident.signature_id, Incident.dismissed)
        .join(Message, Message.id == Incident.root_message_id)
        .where(Incident.human_tagged, Message.text.is_not(None))
        .order_by(Incident.id)
    )
    with Session(engine) as session:
        return [
            (text, domain, signature, no) for text, domain, signature, no in session.exec(query)
        ]


def train(engine: Engine) -> tuple[SecondOpinion, int, int]:
    """The packaged second opinion refined with the ledger's human tags (always from the packaged
    counts, so training twice never counts a tag twice), and how many tagged and dismissed
    incidents it learned from. A tagged incident teaches its domain, its signature and that its
    root reports a blocker; a dismissed one, that its root does not."""
    examples = tagged_examples(engine)
    tagged = [(text, domain, signature) for text, domain, signature, no in examples if not no]
    if not tagged:
        raise SecondOpinionError("no incident has a TA's tag (`/friction tag`) to learn from")
    blockers = [(text, not dismissed) for text, _, _, dismissed in examples]
    domains = [(text, domain) for text, domain, _ in tagged]
    signatures = [(text, signature) for text, _, signature in tagged if signature]
    model = packaged_second_opinion().refined(domains, blockers, signatures)
    return model, len(tagged), len(examples) - len(tagged)
