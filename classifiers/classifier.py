"""Rules first, then a second opinion on the roots the rules let pass and the incidents no
pattern named."""

from __future__ import annotations

from dataclasses import replace

from classifiers.learned import SecondOpinion, packaged_second_opinion
from classifiers.rules import Classification, Rules, packaged_rules

TRIAGE_THRESHOLD = 0.6
"""Below this confidence an incident awaits a TA (`[classifier] triage_threshold`)."""

CONFIDENT = 0.9
"""How sure the second opinion must be of another domain to move a message there."""

BLOCKER = 0.9999
"""How sure the second opinion must be that a root the rules let pass reports a blocker. Naive
Bayes is overconfident on long messages: a course lead's announcement full of service names
scores 0.9992, the reports the rules miss in the written holdouts 0.99998 and more."""


class Classifier:
    """The catalog rules, with a learned second opinion (the packaged one unless told otherwise).

    The model is asked twice, and only where the rules are weakest. About a root the rules let
    pass: when it is at least `BLOCKER` sure the message reports a blocker, the rules read it as
    one, with their own doubt as its confidence (under one half: a TA triages it). About an
    incident the rules placed by domain cues alone, or nowhere (`other.other`): when it is at
    least `CONFIDENT` of another domain, the message moves there, under the signature the rules'
    cues pick inside it, keeping the rules' confidence. What a pattern named stays put, and a
    reply is never made a report (the thread judges replies).
    """

    def __init__(
        self, rules: Rules | None = None, second_opinion: SecondOpinion | bool = True
    ) -> None:
        """`second_opinion`: True for the packaged model, False for the rules alone, or a model
        (`SecondOpinion.load` of a file from `friction train`)."""
        self.rules = rules or packaged_rules()
        model = packaged_second_opinion() if second_opinion is True else second_opinion or None
        if model is not None:
            model.check(domain.id for domain in self.rules.catalog.domains)
        self.second_opinion = model
        self.version = self.rules.version + (f"+{model.version}" if model else "")

    def classify(self, text: str, *, reply: bool = False) -> Classification:
        """The rules' reading, made a report or moved where the model is sure; a result the model
        changed carries this classifier's version (the rules' and the model's)."""
        model = self.second_opinion
        if model is None:
            return self.rules.classify(text, reply=reply)
        scan = self.rules.scan(text)  # read once, by the rules and the model alike
        result = self.rules.classify_scan(scan, reply=reply)
        if self.doubts(result, reply=reply) and model.blocker_lowered(scan.lowered) >= BLOCKER:
            result = replace(self.rules.as_blocker(scan), version=self.version)
        if not self.asks(result):
            return result
        domain, probability = model.predict_lowered(scan.lowered)
        if domain == result.domain or probability < CONFIDENT:
            return result
        return replace(self.rules.moved(result, scan, domain), version=self.version)

    def doubts(self, result: Classification, *, reply: bool = False) -> bool:
        """Whether the second opinion is asked if the message the rules read as `result` reports
        a blocker after all: a root they let pass."""
        return self.second_opinion is not None and not (result.is_incident or reply)

    def asks(self, result: Classification) -> bool:
        """Whether the second opinion is asked about the rules' `result`: an incident no pattern
        named."""
        return self.second_opinion is not None and result.is_incident and not result.named
