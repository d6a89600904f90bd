"""The rule-based classifier: catalog evidence in, root-cause domain and signature out.

Decisions follow taxonomy.md: the most specific signature wins (catalog `priority`), explicit
identity wording beats the surfacing service (IAM signatures carry the highest priorities), a
message that matches no signature is placed by a domain scorer as `<domain>.other`, and
`other.other` is kept for messages where nothing points anywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from classifiers.attributes import extract
from classifiers.catalog import Catalog, Signature, catalog
from classifiers.matcher import CUE, DETECTOR, DOMAIN, GENERIC, PATTERN, Evidence, Matcher
from classifiers.normalize import normalize

CODE_VERSION = "1"
# Domains that are AWS services, so a match in them names the surfacing service.
_NOT_SERVICES = {"iam", "other", "vpc"}
# Weights of the incident detector: how much each kind of evidence says "blocker".
_INCIDENT_WEIGHTS = {
    "pattern": 3.0,
    "blocker": 1.2,
    "domain": 0.6,
    "report": 1.0,
    "chatter": -1.6,
    "question": -1.2,
    "resolution": -2.5,
    "advice": -1.5,
}
_INCIDENT_BIAS = -1.4
_REPLY_BIAS = -1.2


@dataclass(frozen=True, slots=True)
class Classification:
    is_incident: bool
    domain: str | None
    signature: str | None
    confidence: float
    attributes: dict[str, str] = field(default_factory=dict)
    version: str = ""


@dataclass(frozen=True, slots=True)
class _Choice:
    signature: Signature
    confidence: float


class Rules:
    """A catalog compiled once; `classify` is then pure and does no I/O."""

    def __init__(self, source: Catalog | None = None) -> None:
        self.catalog = source or catalog()
        self.version = f"rules-{CODE_VERSION}+catalog-{self.catalog.digest}"
        self._matcher = Matcher(self.catalog)
        self._signatures = {s.id: s for s in self.catalog.signatures}
        self._callers = {d.id for d in self.catalog.domains if d.caller} | {"iam"}
        self._by_domain: dict[str, list[Signature]] = {}
        for signature in self.catalog.signatures:
            self._by_domain.setdefault(signature.domain, []).append(signature)

    def scan(self, text: str) -> tuple[str, Evidence]:
        clean = normalize(text)
        return clean, self._matcher.scan(clean.lower())

    def classify(self, text: str, *, reply: bool = False) -> Classification:
        clean, evidence = self.scan(text)
        incident, certainty = self._incident(evidence, reply)
        if not incident:
            return Classification(False, None, None, round(certainty, 3), {}, self.version)
        choice = self._choose(evidence)
        attributes = extract(clean)
        if "service" not in attributes and choice.signature.domain not in _NOT_SERVICES:
            attributes["service"] = choice.signature.domain
        return Classification(
            True,
            choice.signature.domain,
            choice.signature.id,
            round(min(certainty, choice.confidence), 3),
            attributes,
            self.version,
        )

    def is_resolution(self, text: str) -> bool:
        _, evidence = self.scan(text)
        return bool(evidence.get(DETECTOR, "resolution")) and not evidence.get(
            DETECTOR, "unresolved"
        )

    def _incident(self, evidence: Evidence, reply: bool) -> tuple[bool, float]:
        """A weighted vote of the evidence; the margin from the threshold becomes certainty."""
        detector = evidence.of(DETECTOR)
        score = _INCIDENT_BIAS + (_REPLY_BIAS if reply else 0.0)
        strong = sum(evidence.of(PATTERN).values()) + sum(evidence.of(GENERIC).values())
        score += _INCIDENT_WEIGHTS["pattern"] * min(strong, 2)
        has_domain = bool(evidence.of(DOMAIN) or evidence.of(CUE))
        score += _INCIDENT_WEIGHTS["domain"] * has_domain
        for name in ("blocker", "report", "chatter", "question", "resolution", "advice"):
            if name == "advice" and not reply:
                continue
            score += _INCIDENT_WEIGHTS[name] * min(detector.get(name, 0), 2)
        certainty = 1.0 / (1.0 + math.exp(-abs(score) * 1.5))
        return score > 0, certainty

    def _choose(self, evidence: Evidence) -> _Choice:
        scores = self._domain_scores(evidence)
        specific = evidence.of(PATTERN)
        if specific:
            return self._by_pattern(specific, evidence, scores)
        generic = evidence.of(GENERIC)
        if generic:
            top = max(generic, key=lambda s: self._signatures[s].priority)
            return self._generic(self._signatures[top], evidence, scores)
        return self._by_domain_score(evidence, scores)

    def _by_pattern(
        self, patterns: dict[str, int], evidence: Evidence, scores: dict[str, float]
    ) -> _Choice:
        def rank(signature_id: str) -> tuple[int, int, float]:
            signature = self._signatures[signature_id]
            return (
                signature.priority,
                patterns[signature_id] + evidence.get(CUE, signature_id),
                scores.get(signature.domain, 0.0),
            )

        ranked = sorted(patterns, key=rank, reverse=True)
        winner = self._overridden(self._signatures[ranked[0]], evidence)
        rivals = [self._signatures[s] for s in ranked[1:]]
        contested = any(
            r.domain != winner.domain and r.priority >= winner.priority - 5 for r in rivals
        )
        return _Choice(winner, 0.75 if contested else 0.95)

    def _overridden(self, winner: Signature, evidence: Evidence) -> Signature:
        for signature in self.catalog.signatures:
            if winner.id in signature.overrides and evidence.get(CUE, signature.id):
                return signature
        return winner

    def _generic(
        self, signature: Signature, evidence: Evidence, scores: dict[str, float]
    ) -> _Choice:
        """A generic wording counts for its own domain unless another service is indicated."""
        own = scores.get(signature.domain, 0.0)
        elsewhere = {
            d: s for d, s in scores.items() if d not in self._callers and d != signature.domain
        }
        best = max(elsewhere, key=elsewhere.__getitem__, default=None)
        if best is None or own >= elsewhere[best]:
            return _Choice(signature, 0.85 if own else 0.7)
        if signature.outside:
            return _Choice(self._signatures[signature.outside], 0.7)
        return self._within(best, evidence, 0.65)

    def _by_domain_score(self, evidence: Evidence, scores: dict[str, float]) -> _Choice:
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        if not ranked or ranked[0][1] <= 0:
            return _Choice(self._signatures["other.other"], 0.35)
        best, top = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        margin = (top - runner_up) / top
        return self._within(best, evidence, 0.4 + 0.3 * margin)

    def _within(self, domain: str, evidence: Evidence, confidence: float) -> _Choice:
        """Inside a known domain, the signature with most cues, else `<domain>.other`."""
        cued = [(evidence.get(CUE, s.id), s.priority, s) for s in self._by_domain[domain]]
        count, _, signature = max(cued, key=lambda item: item[:2])
        if count:
            return _Choice(signature, confidence)
        return _Choice(self._signatures[f"{domain}.other"], confidence)

    def _domain_scores(self, evidence: Evidence) -> dict[str, float]:
        scores: dict[str, float] = {}
        for domain_id, count in evidence.of(DOMAIN).items():
            scores[domain_id] = scores.get(domain_id, 0.0) + min(count, 3)
        for signature_id, count in evidence.of(CUE).items():
            domain_id = self._signatures[signature_id].domain
            scores[domain_id] = scores.get(domain_id, 0.0) + min(count, 2)
        return scores
