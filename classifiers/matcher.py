"""Compile every pattern of a catalog into one regex and read a message in a single pass.

All catalog fragments become one regex, so a message is scanned once whatever the size of the
catalog. A plain alternation of a thousand fragments would make the regex engine try each of
them at every position, so the fragments are arranged as a trie on their literal prefixes: at a
word start the engine compares one character per branch and only descends where the text
agrees. The regex has no groups (with a thousand groups every match costs a copy of all of
them); which fragment produced a matched phrase is looked up afterwards, and remembered. The
text is lowercased once and the catalog is written in lowercase, which keeps the engine's fast
literal comparisons (IGNORECASE would disable them).

A signature's vetoes (`unless`) are not in that regex: one match there hides what overlaps it,
and a veto must be seen wherever it occurs, whatever other fragment read the same words. Each
signature's vetoes have a regex of their own, from the same tries (`_Tries.searcher`), looked
for in the whole message only when the rules ask about that signature (`Evidence.vetoed`). A
signature it yields to (an '@id' entry) vetoes it where that signature's pattern was read, as it
is for that signature itself: no search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from classifiers.catalog import Catalog, CatalogError, Domain, Signature

# Kinds of evidence a fragment gives; the key is a signature id, a domain id or a detector list.
PATTERN, GENERIC, CUE, DOMAIN, SERVICE, DETECTOR = (
    "pattern",
    "generic",
    "cue",
    "domain",
    "service",
    "detector",
)
# How a service's own name appears in SDK errors, endpoints and ARNs; {} is the name.
_SERVICE_FORMS = (
    "service: {}",
    "operation error {}",
    r"{}\.(?:[a-z]{{2}}-[a-z]+-\d\.)?amazonaws\.com",
    "arn:aws:{}:",
    r"services\.{}\.",
    "client-{}",
    r"com\.amazonaws\.(?:services\.)?{}",
    "{}exception",
)
_SPECIAL = set(".^$*+?{}[]()|\\")
_QUANTIFIERS = set("?*+{")
_MEMO_SIZE = 100_000
_NONE = 1 << 30
_INSIDE = r"\w*"
"""A fragment starting with this may match inside a word ("\\w*exception")."""


_UNSPACED = "blocker_unspaced"
"""Detector list of words in languages without spaces; each match counts as a blocker word."""
_EMPTY: dict[str, int] = {}


@dataclass(slots=True)
class Evidence:
    """What one pass over a message found: per kind, how often each key was seen; and, when
    asked, whether a signature is vetoed.

    Not frozen: a frozen dataclass costs three times as much to build, and one is built for
    every message; only the memo of vetoes changes."""

    kinds: dict[str, dict[str, int]]
    text: str
    """The lowered text, where vetoes are looked for."""
    vetoes: dict[str, re.Pattern[str]]
    """Each signature's vetoes, as one regex (the matcher's, shared)."""
    yields: dict[str, tuple[str, ...]]
    """The signatures each signature yields to (the matcher's, shared)."""
    _vetoed: dict[str, bool] | None = None

    def of(self, kind: str) -> dict[str, int]:
        """Counts per key for one kind (read-only)."""
        return self.kinds.get(kind, _EMPTY)

    def get(self, kind: str, key: str) -> int:
        return self.kinds.get(kind, _EMPTY).get(key, 0)

    def vetoed(self, signature: str) -> bool:
        """Whether a signature it yields to was named (its pattern read), or one of its vetoes
        occurs anywhere in the text.

        Vetoes are looked for only when the rules ask (a few signatures per message, of
        hundreds), and remembered, as the rules may ask again about the same signature."""
        if signature in self.yields:
            named = self.kinds.get(PATTERN, _EMPTY)
            if any(other in named for other in self.yields[signature]):
                return True
        veto = self.vetoes.get(signature)
        if veto is None:
            return False
        if self._vetoed is None:
            self._vetoed = {}
        elif signature in self._vetoed:
            return self._vetoed[signature]
        found = self._vetoed[signature] = veto.search(self.text) is not None
        return found


class Matcher:
    """One compiled regex over all catalog fragments but vetoes, and one per signature's vetoes."""

    def __init__(self, catalog: Catalog) -> None:
        self._path = catalog.path
        fragments: list[tuple[str, str, str]] = []
        # Precedence order: where two fragments match at one position, the earlier is reported.
        ordered = sorted(catalog.signatures, key=lambda s: -s.priority)
        fragments += [(PATTERN, s.id, p) for s in ordered for p in s.patterns]
        fragments += [(GENERIC, s.id, p) for s in ordered for p in s.generic_patterns]
        fragments += [(CUE, s.id, p) for s in ordered for p in s.cues]
        fragments += [(DOMAIN, d.id, p) for d in catalog.domains for p in d.cues]
        fragments += [(SERVICE, d.id, p) for d in catalog.domains for p in _service_fragments(d)]
        fragments += [
            (DETECTOR, name, p)
            for name, ps in catalog.detector.items()
            if name != _UNSPACED
            for p in ps
        ]
        # Non-ASCII first characters in the main regex slow every scan by half: these get their
        # own regex, run only on text that is not plain ASCII.
        self._unspaced = re.compile("|".join(catalog.detector[_UNSPACED]) or "(?!)")
        tries = _Tries()
        self._candidates: dict[str, list[tuple[re.Pattern[str], tuple[str, str]]]] = {}
        for order, (kind, key, fragment) in enumerate(fragments):
            for prefix, rest in self._add(tries, order, kind, key, fragment):
                exact = re.compile(re.escape(prefix) + rest)
                self._candidates.setdefault(prefix[0], []).append((exact, (kind, key)))
        self._regex = tries.compile()
        self._memo: dict[str, tuple[tuple[str, str], ...]] = {}
        self._vetoes = {s.id: self._vetoes_of(s) for s in catalog.signatures if s.unless}
        self._yields = {s.id: s.yields_to for s in catalog.signatures if s.yields_to}

    def _vetoes_of(self, signature: Signature) -> re.Pattern[str]:
        """One regex of the signature's vetoes, to search a whole message with."""
        tries = _Tries()
        for order, fragment in enumerate(signature.unless):
            self._add(tries, order, "unless", signature.id, fragment)
        return tries.searcher()

    def _add(
        self, tries: _Tries, order: int, kind: str, key: str, fragment: str
    ) -> list[tuple[str, str]]:
        """Place each variant of a fragment in `tries`: its literal prefix and the rest."""
        placed = []
        for variant in _expand(fragment):
            if (split := tries.add(variant, order)) is None:
                raise CatalogError(
                    f"{self._path}: {kind} fragment {fragment!r} of '{key}' must start "
                    "with a literal character (else it is tried at every position)"
                )
            placed.append(split)
        return placed

    def scan(self, text: str) -> Evidence:
        """Count every fragment occurrence in `text` (already lowercased and normalised)."""
        memo = self._memo
        kinds: dict[str, dict[str, int]] = {}
        for found in self._regex.findall(text):
            for kind, key in memo.get(found) or self._identify(found):
                counts = kinds.setdefault(kind, {})
                counts[key] = counts.get(key, 0) + 1
        if not text.isascii() and (unspaced := len(self._unspaced.findall(text))):
            counts = kinds.setdefault(DETECTOR, {})
            counts["blocker"] = counts.get("blocker", 0) + unspaced
        return Evidence(kinds, text, self._vetoes, self._yields)

    def _identify(self, found: str) -> tuple[tuple[str, str], ...]:
        """Which fragments produced this text: every one that matches it exactly, so a word
        that is both a cue and a sign of a blocker ("hangs") counts as both.

        Remembered, so a phrase seen before costs one dict lookup; the memo is bounded.
        """
        labels = tuple(
            dict.fromkeys(
                label for exact, label in self._candidates[found[0]] if exact.fullmatch(found)
            )
        )
        if len(self._memo) >= _MEMO_SIZE:
            self._memo.clear()
        self._memo[found] = labels
        return labels


def _service_fragments(domain: Domain) -> list[str]:
    names = [re.escape(name).replace(r"\ ", " ?") for name in domain.services]
    fragments = [form.format(name) for name in names for form in _SERVICE_FORMS]
    if domain.operations:
        fragments.append(f"(?:{'|'.join(domain.operations)})(?: operation|command)")
    return fragments


class _Tries:
    """Fragments arranged as three tries on their literal prefixes: those that start a word,
    those that start with another character, and those that may start inside a word."""

    def __init__(self) -> None:
        self.word, self.other, self.infix = _Node(), _Node(), _Node()

    def add(self, variant: str, order: int) -> tuple[str, str] | None:
        """Place one variant (see `_expand`); its literal prefix and the regex after it, or None
        when it has no literal prefix."""
        inside = variant.startswith(_INSIDE)
        variant = variant.removeprefix(_INSIDE)
        prefix, rest = _literal_prefix(variant)
        if not prefix:
            return None
        rest += r"\b" if re.search(r"(?<!\\)\w$", variant) else ""
        node = self.infix if inside else self.word if re.match(r"\w", prefix) else self.other
        node.add(prefix, rest, order)
        return prefix, rest

    def compile(self) -> re.Pattern[str]:
        """One regex of the three tries, tried in this order at each position."""
        # A word fragment starts where no word character precedes: `\b` before its first (word)
        # character, but failing at once after a word, where `\b` holds and every branch is tried.
        # The other two tries are tried at every position too: `dispatched` makes that cheap for
        # the other trie. The infix trie's branches stand alone, each led by its first character,
        # which the engine compares at a glance before entering it: on real dev, 4 % fewer
        # instructions in the regex than `dispatched`, which enters at any of the trie's first
        # characters (eleven common letters) and checks the pair by a look back.
        word, other, infix = self.word, self.other, self.infix
        sources = [r"(?<!\w)" + word.source()] if word.first < _NONE else []
        sources += [other.dispatched()] if other.first < _NONE else []
        sources += infix.alternatives()
        return re.compile("|".join(sources) or "(?!)")

    def searcher(self) -> re.Pattern[str]:
        """A regex that tells whether any fragment occurs (not which, nor where), every branch led
        by a literal: the engine then passes over each position whose character starts no
        fragment at a glance, where `compile`'s regex, led by a look back, is entered at every
        position (on real dev's vetoes, 42 % less time). A word fragment's boundary is looked
        back for after its first character."""
        branches = [
            re.escape(first) + boundary + child.source()
            for node, boundary in ((self.word, r"(?<!\w.)"), (self.other, ""), (self.infix, ""))
            for first, child in node.children.items()
        ]
        return re.compile("|".join(branches) or "(?!)")


@dataclass
class _Node:
    """A trie of literal prefixes; each fragment's remaining regex hangs where its prefix ends."""

    children: dict[str, _Node] = field(default_factory=dict)
    leaves: list[tuple[int, str]] = field(default_factory=list)
    first: int = _NONE
    """Lowest fragment order below this node: keeps precedence among siblings."""

    def add(self, prefix: str, rest: str, order: int) -> None:
        node = self
        for char in prefix:
            node.first = min(node.first, order)
            node = node.children.setdefault(char, _Node())
        node.first = min(node.first, order)
        node.leaves.append((order, rest))

    def source(self) -> str:
        branches = self.alternatives()
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    def alternatives(self) -> list[str]:
        """The regex of each branch (a child, or a fragment ending here), in precedence order."""
        return [re.escape(char or "") + rest for char, rest in self._branches()]

    def dispatched(self) -> str:
        """This trie as a class of its first characters, then the branches below them, each told
        by the second character and a look back at the first.

        The regex engine tries an alternative that starts with a character class at a glance,
        but enters one that starts with a group, as `source()` does, at every position. The
        branches of different first characters exclude each other: only their order under one
        first character is kept."""
        branches = []
        for first, child in self.children.items():
            for second, rest in child._branches():
                pair = re.escape(first + (second or ""))
                branches.append(f"{re.escape(second or '')}(?<={pair}){rest}")
        return f"[{''.join(map(re.escape, self.children))}](?:{'|'.join(branches)})"

    def _branches(self) -> list[tuple[str | None, str]]:
        """(first character, regex after it) of each child, and (None, regex) of each fragment
        ending here, in precedence order."""
        branches = [(order, None, rest) for order, rest in self.leaves]
        branches += [(c.first, char, c.source()) for char, c in self.children.items()]
        branches.sort(key=lambda item: item[0])
        return [(char, rest) for _, char, rest in branches]


def _literal_prefix(fragment: str) -> tuple[str, str]:
    """Split a fragment into its plain leading characters and the regex that follows."""
    literal: list[str] = []
    i = 0
    while i < len(fragment):
        char = fragment[i]
        if char == "\\" and fragment[i + 1 : i + 2] == "x":
            value, width = chr(int(fragment[i + 2 : i + 4], 16)), 4
        elif char == "\\" and not fragment[i + 1 : i + 2].isalnum():
            value, width = fragment[i + 1 : i + 2], 2
        elif char in _SPECIAL:
            break
        else:
            value, width = char, 1
        if fragment[i + width : i + width + 1] in _QUANTIFIERS and i + width < len(fragment):
            break
        literal.append(value)
        i += width
    return "".join(literal), fragment[i:]


def _expand(fragment: str) -> list[str]:
    """Spread a leading `(?:a|b)` group into one fragment per branch, so each has a prefix."""
    if not fragment.startswith("(?:"):
        return [fragment]
    depth, branches, start, i = 0, [], 3, 0
    while i < len(fragment):
        char = fragment[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = fragment.index("]", i + 2)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                break
        elif char == "|" and depth == 1:
            branches.append(fragment[start:i])
            start = i + 1
        i += 1
    branches.append(fragment[start:i])
    rest = fragment[i + 1 :]
    if rest[:1] in _QUANTIFIERS and rest:
        return [fragment]
    return [variant for branch in branches for variant in _expand(branch + rest)]
