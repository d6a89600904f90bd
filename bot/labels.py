"""What a TA may call a thread: a domain, a signature, or `none` (not friction).

Ids are the catalog's (taxonomy.md is the contract). A typo gets the nearest ids back, so the
TA can retype it instead of guessing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from classifiers import catalog

NOT_FRICTION = "none"


class UnknownLabel(ValueError):
    """Neither a domain nor a signature id; the message names the nearest ones."""


@dataclass(frozen=True, slots=True)
class Label:
    """What to tag with. A bare domain has no signature: the thread keeps its own if it is in
    that domain, else takes `<domain>.other`. No domain at all means dismiss (not friction)."""

    domain: str | None
    signature: str | None

    @property
    def dismisses(self) -> bool:
        return self.domain is None


def all_ids() -> list[str]:
    cat = catalog()
    return [d.id for d in cat.domains] + [s.id for s in cat.signatures] + [NOT_FRICTION]


def parse_label(word: str) -> Label:
    """A label from a TA's word, or UnknownLabel naming the nearest ids."""
    word = word.strip().strip("`").lower()
    cat = catalog()
    if word == NOT_FRICTION:
        return Label(None, None)
    if any(s.id == word for s in cat.signatures):
        return Label(cat.signature(word).domain, word)
    if any(d.id == word for d in cat.domains):
        return Label(word, None)
    nearest = difflib.get_close_matches(word, all_ids(), n=3, cutoff=0.5)
    hint = (
        f"did you mean {' or '.join(f'`{n}`' for n in nearest)}?"
        if nearest
        else "`/friction help` lists the domains; signatures look like `iam.passrole`."
    )
    raise UnknownLabel(f"`{word}` is not a domain or signature id: {hint}")


def signature_in(domain: str, signature: str | None) -> str:
    """`signature` when it belongs to `domain`, else the domain's catch-all `<domain>.other`."""
    if signature and signature.split(".", 1)[0] == domain:
        return signature
    return f"{domain}.other"
