"""How often each signature's hint helped: posted hints and their answers, per signature.

Hints count in the window of their incident (opened in it, in its channels or cohort), like
every other figure, and not when a TA dismissed the incident as not friction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from storage.hints import FIXED, NOT_IT
from storage.models import Channel, Hint, Incident
from storage.queries import Window


@dataclass(frozen=True, slots=True)
class HintRate:
    signature: str
    posted: int
    fixed: int
    not_it: int

    @property
    def no_answer(self) -> int:
        return self.posted - self.fixed - self.not_it

    @property
    def hit_rate(self) -> float | None:
        """Fixed among the answered hints; None while none was answered."""
        answered = self.fixed + self.not_it
        return self.fixed / answered if answered else None


def hint_rates(session: Session, window: Window) -> list[HintRate]:
    """Per signature: hints posted, answered "That fixed it", answered "Not it"; most first."""
    query = (
        select(
            Hint.signature_id,
            func.count(),
            func.count().filter(Hint.outcome == FIXED),
            func.count().filter(Hint.outcome == NOT_IT),
        )
        .join(Incident, Incident.id == Hint.incident_id)
        .join(Channel, Channel.id == Incident.channel_pk)
        .where(
            Hint.message_ts.is_not(None),
            Incident.dismissed.is_(False),
            window.where(Incident.opened_at),
        )
        .group_by(Hint.signature_id)
        .order_by(func.count().desc(), Hint.signature_id)
    )
    return [HintRate(*row) for row in session.execute(query)]


def hint_rate_line(rate: HintRate) -> str:
    """`iam.passrole: 4 hints, 3 fixed, 1 not it, 0 no answer (75 % of answers fixed)`."""
    share = "" if rate.hit_rate is None else f" ({rate.hit_rate * 100:.0f} % of answers fixed)"
    return (
        f"{rate.signature}: {rate.posted} hint{'s' * (rate.posted != 1)}, {rate.fixed} fixed, "
        f"{rate.not_it} not it, {rate.no_answer} no answer{share}"
    )
