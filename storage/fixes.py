"""Fix records: written once (by `friction fix add` or `/friction fix add`), listed newest first,
removed by `fix remove` when recorded by mistake.

The caller redacts the description and pseudonymises who recorded it; this module only stores
and reads rows, with the target's title for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from storage.models import Channel, Domain, Fix, Signature


@dataclass(frozen=True, slots=True)
class FixRow:
    """A fix with what a reader needs to recognise its target."""

    fix: Fix
    title: str  # the signature's title, or the domain's label for a domain-wide fix

    @property
    def target(self) -> str:
        return self.fix.signature_id or self.fix.domain_id


def add_fix(session: Session, fix: Fix) -> FixRow:
    """Store a new fix, and return it with its target's title."""
    session.add(fix)
    session.commit()
    return FixRow(fix, session.execute(_titled().where(Fix.id == fix.id)).one()[1])


def remove_fix(session: Session, fix_id: int) -> FixRow | None:
    """Delete the fix `fix_id`; what it was, or None when there is no such fix."""
    found = session.execute(_titled().where(Fix.id == fix_id)).one_or_none()
    if found is None:
        return None
    session.delete(found[0])
    session.commit()
    return FixRow(*found)


def list_fixes(
    session: Session, since: datetime | None = None, until: datetime | None = None
) -> list[FixRow]:
    """Fixes that took effect in [since, until), newest first."""
    query = _titled().order_by(Fix.at.desc(), Fix.id.desc())
    if since is not None:
        query = query.where(Fix.at >= since)
    if until is not None:
        query = query.where(Fix.at < until)
    return [FixRow(fix, title) for fix, title in session.execute(query)]


def _titled():
    """Fixes with their target's title: the signature's, else the domain's label."""
    return (
        select(Fix, func.coalesce(Signature.title, Domain.label))
        .join(Domain, Domain.id == Fix.domain_id)
        .outerjoin(Signature, Signature.id == Fix.signature_id)
    )


def known_cohorts(session: Session) -> list[str]:
    """The cohorts the ledger's channels belong to, in name order."""
    query = select(Channel.cohort).where(Channel.cohort.is_not(None)).distinct()
    return sorted(session.execute(query).scalars())
