"""Compile every pattern of a catalog into one regex and read a message in a single pass.

Each catalog fragment becomes one alternative `(?P<_n>...)` of a single alternation, so a
message is scanned once whatever the size of the catalog; `match.lastindex` says which
fragment fired. Signature patterns come first and in precedence order, because at one position
the first alternative that matches is the one reported.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from classifiers.catalog import Catalog

# Kinds of evidence a fragment gives; the key is a signature id, a domain id or a detector list.
PATTERN, GENERIC, CUE, DOMAIN, DETECTOR = "pattern", "generic", "cue", "domain", "detector"


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one pass over a message found, counted per (kind, key)."""

    counts: Counter[tuple[str, str]]

    def of(self, kind: str) -> dict[str, int]:
        return {key: n for (k, key), n in self.counts.items() if k == kind}

    def get(self, kind: str, key: str) -> int:
        return self.counts.get((kind, key), 0)


class Matcher:
    """One compiled alternation over all catalog fragments."""

    def __init__(self, catalog: Catalog) -> None:
        fragments: list[tuple[str, str, str]] = []
        ordered = sorted(catalog.signatures, key=lambda s: -s.priority)
        fragments += [(PATTERN, s.id, p) for s in ordered for p in s.patterns]
        fragments += [(GENERIC, s.id, p) for s in ordered for p in s.generic_patterns]
        fragments += [(CUE, s.id, p) for s in ordered for p in s.cues]
        fragments += [(DOMAIN, d.id, p) for d in catalog.domains for p in d.cues]
        fragments += [(DETECTOR, name, p) for name, ps in catalog.detector.items() for p in ps]
        # Group n+1 is fragment n; words are bounded so "iam" does not fire inside "diameter".
        self._labels = [(kind, key) for kind, key, _ in fragments]
        self._regex = re.compile(
            "|".join(f"(?P<_{n}>{_bounded(p)})" for n, (_, _, p) in enumerate(fragments)),
            re.IGNORECASE,
        )

    def scan(self, text: str) -> Evidence:
        labels = self._labels
        return Evidence(Counter(labels[m.lastindex - 1] for m in self._regex.finditer(text)))


def _bounded(fragment: str) -> str:
    """Add word boundaries where the fragment starts or ends with a word character."""
    start = r"\b" if re.match(r"\w", fragment) else ""
    end = r"\b" if re.search(r"(?<!\\)\w$", fragment) else ""
    return f"{start}(?:{fragment}){end}"
