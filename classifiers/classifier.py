"""Rules first, then a second opinion on the roots the rules let pass, on every incident's domain,
and on the failure inside it where no pattern named one."""

from __future__ import annotations

from dataclasses import replace

from classifiers.learned import SecondOpinion, lowered_terms, packaged_second_opinion
from classifiers.rules import Classification, Rules, packaged_rules

TRIAGE_THRESHOLD = 0.6
"""Below this confidence an incident awaits a TA (`[classifier] triage_threshold`)."""

CONFIDENT = 0.9
"""How sure the second opinion must be of another domain to move an incident no pattern named."""

OVERRULE = 0.9999
"""How sure it must be to move an incident a pattern named. Patterns are where the rules go
wrong on wording they have not seen. Each round of real threads read with the rules and a model
from before it: moving named incidents at this level raised domain accuracy by 0.016 to 0.051 on
rounds 10 to 13, and by 0.004, 0.000, 0.027, 0.019, 0.007, 0.020 and 0.038 on rounds 14 to 20
(gathered after it shipped); it moved it by -0.013 to +0.005 on rounds 6 to 9 (models fitted on
half as many threads). At 0.99 the written dev set lost 0.003; at 0.9 right answers moved as
often as wrong ones."""

FAILURE = 0.8
"""How sure it must be of another signature inside the incident's domain to name that failure
when no pattern did (the rules' cues chose, or the model moved it). On the real threads of rounds
10 to 20, each read with the rules and a model from before it, signature accuracy rose on every
round but 18 (+0.008 to +0.063; -0.004 on 18; 0.5 and 0.95 did as well or a little worse on
rounds 10 to 14)."""

BLOCKER = 0.9999
"""How sure the second opinion must be that a root the rules let pass reports a blocker. Naive
Bayes is overconfident on long messages: a course lead's announcement full of service names
scores 0.9992, the reports the rules miss in the written holdouts 0.99998 and more."""


class Classifier:
    """The catalog rules, with a learned second opinion (the packaged one unless told otherwise).

    The model is asked three questions. About a root the rules let pass: when it is at least
    `BLOCKER` sure the message reports a blocker, the rules read it as one, with their own doubt
    as its confidence (under one half: a TA triages it). About an incident's domain: an incident
    the rules placed by domain cues alone, or nowhere (`other.other`), moves when the model is at
    least `CONFIDENT` of another domain, under the signature the rules' cues pick there, keeping
    the rules' confidence; one a pattern named moves only when it is `OVERRULE` sure, under a
    pattern's signature there if one matched. About the failure inside the domain, when no
    pattern named it or the model moved it: the signature the model is `FAILURE` sure of. A
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
            model.check(self.rules.catalog)
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
        doubted = self.doubts(result, reply=reply)
        if not (doubted or self.asks(result)):
            return result
        terms = lowered_terms(scan.lowered)  # made once, for every question the model is asked
        if doubted and model.blocker_terms(terms) >= BLOCKER:
            result = replace(self.rules.as_blocker(scan), version=self.version)
        if not self.asks(result):
            return result
        domain, probability = model.predict_terms(terms)
        if domain != result.domain and probability >= (OVERRULE if result.named else CONFIDENT):
            result = replace(self.rules.moved(result, scan, domain), version=self.version)
        elif result.named:
            return result
        failure = model.failure_terms(result.domain, terms)
        if failure and failure[0] != result.signature and failure[1] >= FAILURE:
            result = replace(result, signature=failure[0], version=self.version)
        return result

    def doubts(self, result: Classification, *, reply: bool = False) -> bool:
        """Whether the second opinion is asked if the message the rules read as `result` reports
        a blocker after all: a root they let pass."""
        return self.second_opinion is not None and not (result.is_incident or reply)

    def asks(self, result: Classification) -> bool:
        """Whether the second opinion is asked about the rules' `result`: every incident."""
        return self.second_opinion is not None and result.is_incident
