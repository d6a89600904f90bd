"""The rule-based classifier: catalog evidence in, root-cause domain and signature out.

Decisions follow taxonomy.md: the most specific signature wins (catalog `priority`), explicit
identity wording beats the surfacing service (IAM signatures carry the highest priorities), a
message that matches no signature is placed by a domain scorer as `<domain>.other`, and
`other.other` is kept for messages where nothing points anywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cache

from classifiers.attributes import extract
from classifiers.catalog import Catalog, Signature, catalog
from classifiers.matcher import (
    CUE,
    DETECTOR,
    DOMAIN,
    GENERIC,
    PATTERN,
    SERVICE,
    Evidence,
    Matcher,
)
from classifiers.normalize import normalize
from classifiers.threads import Context, in_context

CODE_VERSION = "1"
# Domains that are AWS services, so a match in them names the surfacing service.
_NOT_SERVICES = {"iam", "other", "vpc"}
# Weights of the incident detector: how much each kind of evidence says "blocker".
_INCIDENT_WEIGHTS = {
    "bias": -1.0,
    "pattern": 2.5,
    "blocker": 1.2,
    "domain": 0.5,
    "report": 1.0,
    "chatter": -1.5,
    "question": -1.0,
    "resolution": -1.5,
    "advice": -0.75,  # a root rarely advises: "if you need more context", "has to be public"
}
_VOTES = ("blocker", "report", "chatter", "question", "resolution", "advice")
"""The detector's signs that vote, in the order their weights are added."""
_ERROR_VOTES = ("blocker", "report", "advice")
"""Those that still vote on a root that quotes an error."""
_REPLY_WEIGHTS = _INCIDENT_WEIGHTS | {
    "bias": -2.5,
    "pattern": 1.5,
    "blocker": 0.8,
    "report": 2.0,
    "advice": -1.5,
    "resolution": -2.0,
}


@dataclass(frozen=True, slots=True)
class Classification:
    is_incident: bool
    domain: str | None
    signature: str | None
    confidence: float
    attributes: dict[str, str] = field(default_factory=dict)
    version: str = ""
    says_resolved: bool = False
    """The text says it works now (`is_resolution`), read in the same pass."""
    named: bool = False
    """A pattern named the failure (not only its domain's cues): a new error, in a reply."""
    cause: str | None = None
    """The signature this message gives as what caused the trouble ("turned out my lambda was
    in a VPC without a NAT gateway"): a root-cause layer named in an explanation."""


_AS_REPLY = Context(reply=True)
"""What `_read` knows of a reply's thread: that it is one (a root needs no placing)."""
_CAUSE_LAYERS = frozenset({"iam", "vpc"})
"""The layers beneath the services where errors surface (taxonomy.md): an explanation that names
one says where the thread's trouble was rooted."""


def _cause(choice: _Choice) -> str | None:
    """The root-cause layer's signature an explanation names, if it names one."""
    return choice.signature.id if choice.signature.domain in _CAUSE_LAYERS else None


def _resolves(evidence: Evidence) -> bool:
    return bool(evidence.get(DETECTOR, "resolution")) and not evidence.get(DETECTOR, "unresolved")


@dataclass(slots=True)
class Scan:
    """A message read once, for the rules and whatever else a classifier asks about it (not
    frozen, though never changed, as `Evidence`: one is built for every message)."""

    clean: str
    """The normalised text (`normalize`), where attributes are found."""
    lowered: str
    """The same, lowercased: what the catalog's fragments (and a second opinion) read."""
    evidence: Evidence


@dataclass(slots=True)
class _Choice:
    signature: Signature
    confidence: float
    specific: bool = True
    """A pattern named the failure (not only the domain's cues)."""


class Rules:
    """A catalog compiled once; `classify` is then pure and does no I/O."""

    def __init__(self, source: Catalog | None = None) -> None:
        self.catalog = source or catalog()
        self.version = rules_version(self.catalog)
        self._matcher = Matcher(self.catalog)
        self._signatures = {s.id: s for s in self.catalog.signatures}
        self._callers = {d.id for d in self.catalog.domains if d.caller} | {"iam"}
        self._overriders: dict[str, list[Signature]] = {}
        for signature in self.catalog.signatures:
            for overridden in signature.overrides:
                self._overriders.setdefault(overridden, []).append(signature)
        self._by_domain: dict[str, list[Signature]] = {}
        for signature in self.catalog.signatures:
            self._by_domain.setdefault(signature.domain, []).append(signature)

    def scan(self, text: str) -> Scan:
        """Read `text` once: a classifier that asks more than the rules reuses the scan."""
        clean = normalize(text)
        lowered = clean.lower()
        return Scan(clean, lowered, self._matcher.scan(lowered))

    def classify(self, text: str, *, reply: bool = False) -> Classification:
        """`reply`: a thread reply, held to more (answers and thanks are no reports). A reply is
        then placed by `threads.in_context` knowing only that it is one, so a reply that says
        it works now or explains the cause is dropped even for a reader without the thread;
        who wrote it and what the thread has open are judged when the caller knows the thread
        (`classify_thread`, the ingestor)."""
        return self.classify_scan(self.scan(text), reply=reply)

    def classify_scan(self, scan: Scan, *, reply: bool = False) -> Classification:
        """`classify` of a message already scanned."""
        incident, certainty = self._incident(scan.evidence, reply)
        return self._read(scan, reply, incident, certainty)

    def as_blocker(self, scan: Scan) -> Classification:
        """A root the rules let pass, read as reporting a blocker (a second opinion's call):
        what it names, with the rules' own belief that it is one (under one half) as its
        confidence, so a TA triages it."""
        _, certainty = self._incident(scan.evidence, False)  # its certainty that it is none
        return self._read(scan, False, True, 1 - certainty)

    def _read(self, scan: Scan, reply: bool, incident: bool, certainty: float) -> Classification:
        """What the message names, given whether it is an incident and how sure that is."""
        evidence = scan.evidence
        explains = bool(evidence.get(DETECTOR, "cause"))
        # What the message names, read once: for the incident, and for a cause it explains.
        choice = self._choose(evidence) if incident or explains else None
        cause = _cause(choice) if explains else None
        if choice is None or not incident:
            return Classification(
                False,
                None,
                None,
                round(certainty, 3),
                {},
                self.version,
                _resolves(evidence),
                cause=cause,
            )
        attributes = extract(scan.clean)
        if "service" not in attributes and choice.signature.domain not in _NOT_SERVICES:
            attributes["service"] = choice.signature.domain
        result = Classification(
            True,
            choice.signature.domain,
            choice.signature.id,
            round(min(certainty, choice.confidence), 3),
            attributes,
            self.version,
            _resolves(evidence),
            choice.specific,
            cause,
        )
        return in_context(result, _AS_REPLY) if reply else result

    def is_resolution(self, text: str) -> bool:
        return _resolves(self.scan(text).evidence)

    def moved(self, result: Classification, scan: Scan, domain: str) -> Classification:
        """`result` moved to `domain` by a second opinion: under the failure a pattern names
        there (the highest priority), else the signature the text's cues pick there, else
        `<domain>.other`. A service the text does not name was the rules'
        guess from their domain: it follows a move into another service and goes with a move
        to `other`, but stays where the failure surfaced when the move is to a layer beneath
        (IAM, VPC)."""
        attributes = dict(result.attributes)
        if domain not in _CAUSE_LAYERS and "service" not in extract(scan.clean):
            attributes.pop("service", None)
            if domain not in _NOT_SERVICES:
                attributes["service"] = domain
        evidence = scan.evidence
        named = sorted(
            (
                s
                for s in map(self._signatures.__getitem__, evidence.of(PATTERN))
                if s.domain == domain
            ),
            key=lambda s: s.priority,
            reverse=True,
        )
        signature = (
            _first_unvetoed(named, evidence) or self._within(domain, evidence, 0.0).signature
        )
        return replace(result, domain=domain, signature=signature.id, attributes=attributes)

    def _incident(self, evidence: Evidence, reply: bool) -> tuple[bool, float]:
        """A weighted vote of the evidence; the margin from the threshold becomes certainty.

        A reply is held to more: it must report something ("now I get ...", "still fails")
        or carry an error while giving no advice, since answers quote errors too. A root that
        quotes an error reports it, whatever thanks, tries or "fixed" surround it.
        """
        detector = evidence.of(DETECTOR)
        weights = _REPLY_WEIGHTS if reply else _INCIDENT_WEIGHTS
        strong = sum(evidence.of(PATTERN).values()) + sum(evidence.of(GENERIC).values())
        score = weights["bias"] + weights["pattern"] * min(strong, 2)
        if evidence.of(DOMAIN) or evidence.of(CUE) or evidence.of(SERVICE):
            score += weights["domain"]
        # A root quoting an error reports it, whatever thanks, questions or "fixed" surround it.
        # Only the signs found are added: a sign not found would add zero.
        for name in _ERROR_VOTES if strong and not reply else _VOTES:
            if count := detector.get(name):
                if name == "chatter" and detector.get("blocker", 0) >= 2:
                    continue  # "thanks" / "cheers" closing a report does not cancel it
                if name == "resolution" and not _resolves(evidence):
                    continue  # "fixed that, but now ...": not a resolution after all
                score += weights[name] * min(count, 2)
        certainty = 1.0 / (1.0 + math.exp(-abs(score) * 1.5))
        return score > 0, certainty

    def _choose(self, evidence: Evidence) -> _Choice:
        """Every pattern match proposes a signature; the highest priority wins.

        A generic match ("ValidationException") proposes its own signature only when no other
        service is indicated; otherwise it proposes the signature it means there.
        """
        scores = self._domain_scores(evidence)
        cues = evidence.of(CUE)
        proposals = {
            s: (self._signatures[s].priority, count + cues.get(s, 0))
            for s, count in evidence.of(PATTERN).items()
            if not evidence.vetoed(s)
        }
        if generics := evidence.of(GENERIC):
            self._propose_generics(generics, proposals, evidence, scores)
        if not proposals:
            return self._by_domain_score(evidence, scores)
        ranked = sorted(
            proposals,
            key=lambda s: (*proposals[s], scores.get(self._signatures[s].domain, 0.0)),
            reverse=True,
        )
        winner = self._overridden(self._signatures[ranked[0]], evidence)
        contested = any(
            self._signatures[s].domain != winner.domain
            and proposals[s][0] >= proposals[ranked[0]][0] - 5
            for s in ranked[1:]
        )
        if contested:
            return _Choice(winner, 0.7)
        return _Choice(winner, 0.95 if winner.id in evidence.of(PATTERN) else 0.8)

    def _propose_generics(
        self,
        generics: dict[str, int],
        proposals: dict[str, tuple[int, int]],
        evidence: Evidence,
        scores: dict[str, float],
    ) -> None:
        """Add to the patterns' `proposals` what each generic wording means."""
        named = {self._signatures[s].domain for s in proposals}
        # A generic wording whose own signature's pattern matched needs no reading: it is that.
        meanings = [
            (generic, count, self._generic(generic, evidence, scores))
            for generic, count in (
                (self._signatures[s], count) for s, count in generics.items() if s not in proposals
            )
        ]
        # A domain's own generic wording ("AccessDenied" on an S3 call) says which failure it is
        # better than another domain's wording re-read there by cues (a "ClientError").
        direct = {generic.domain for generic, _, meant in meanings if meant is generic}
        for generic, count, meant in meanings:
            if (meant.id not in proposals and meant.domain in named) or evidence.vetoed(meant.id):
                continue  # the domain's own pattern says which failure it is, or vetoed
            if meant is not generic and meant.domain in direct:
                continue
            # With nothing else pointing at its domain, a generic match is only a last resort;
            # so is one re-read elsewhere by cues alone while a pattern names a failure.
            weak = (meant is generic and not scores.get(generic.domain)) or (
                meant is not generic and bool(named)
            )
            if meant.id not in proposals:
                proposals[meant.id] = (-1 if weak else meant.priority, count)

    def _overridden(self, winner: Signature, evidence: Evidence) -> Signature:
        """A signature that overrides the winner takes over on its own pattern or two cues."""
        for signature in self._overriders.get(winner.id, ()):
            named = evidence.get(PATTERN, signature.id) or evidence.get(CUE, signature.id) >= 2
            if named and not evidence.vetoed(signature.id):
                return signature
        return winner

    def _generic(
        self, signature: Signature, evidence: Evidence, scores: dict[str, float]
    ) -> Signature:
        """What a generic wording means: its own signature, unless another service is named."""
        own = scores.get(signature.domain, 0.0)
        named = {d: 3.0 * min(n, 2) for d, n in evidence.of(SERVICE).items()}
        elsewhere = {
            d: named.get(d, 0.0) if d in self._callers else s
            for d, s in scores.items()
            if d != signature.domain
        }
        best = max(elsewhere, key=elsewhere.__getitem__, default=None)
        if best is None or own >= elsewhere[best]:
            return signature
        if signature.outside:
            return self._signatures[signature.outside]
        return self._within(best, evidence, 0.0).signature

    def _by_domain_score(self, evidence: Evidence, scores: dict[str, float]) -> _Choice:
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        if not ranked or ranked[0][1] <= 0:
            return _Choice(self._signatures["other.other"], 0.35, specific=False)
        best, top = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        margin = (top - runner_up) / top
        choice = self._within(best, evidence, 0.4 + 0.3 * margin)
        return _Choice(self._overridden(choice.signature, evidence), choice.confidence, False)

    def _within(self, domain: str, evidence: Evidence, confidence: float) -> _Choice:
        """Inside a known domain, the unvetoed signature with most cues, else `<domain>.other`."""
        cues = evidence.of(CUE)
        cued = sorted(
            (s for s in self._by_domain[domain] if s.id in cues),
            key=lambda s: (cues[s.id], s.priority),
            reverse=True,
        )
        chosen = _first_unvetoed(cued, evidence) or self._signatures[f"{domain}.other"]
        return _Choice(chosen, confidence)

    def _domain_scores(self, evidence: Evidence) -> dict[str, float]:
        """Cues count once each (at most three per domain); a named service counts triple."""
        scores: dict[str, float] = {}
        for domain_id, count in evidence.of(DOMAIN).items():
            scores[domain_id] = scores.get(domain_id, 0.0) + min(count, 3)
        for signature_id, count in evidence.of(CUE).items():
            domain_id = self._signatures[signature_id].domain
            scores[domain_id] = scores.get(domain_id, 0.0) + min(count, 2)
        for domain_id, count in evidence.of(SERVICE).items():
            scores[domain_id] = scores.get(domain_id, 0.0) + 3 * min(count, 2)
        return scores


def _first_unvetoed(ranked: list[Signature], evidence: Evidence) -> Signature | None:
    """The best of `ranked` that is not vetoed: vetoes are looked for in rank order only, as each
    costs a search of the message."""
    return next((s for s in ranked if not evidence.vetoed(s.id)), None)


def rules_version(source: Catalog) -> str:
    """The version of the rules compiled from `source`: this code's and the catalog's."""
    return f"rules-{CODE_VERSION}+catalog-{source.digest}"


@cache
def packaged_rules() -> Rules:
    """The packaged catalog's rules, compiled once per process (about a third of a second) and
    shared: `classify` is pure, and the matcher's memo only remembers what it has seen."""
    return Rules()
