"""Rules first, then the learned stage where the rules are unsure."""

from __future__ import annotations

from dataclasses import replace

from classifiers.learned import LearnedStage
from classifiers.rules import Classification, Rules, packaged_rules

TRIAGE_THRESHOLD = 0.6
"""Below this confidence an incident awaits a TA (and the learned stage, if any, is asked)."""


class Classifier:
    """The catalog rules, optionally backed by a model fitted on TA tags.

    The model only re-labels incidents whose rule confidence is below `threshold`, and only
    when it is more confident than the rules: what the catalog knows for sure stays put.
    """

    def __init__(
        self,
        rules: Rules | None = None,
        model: LearnedStage | None = None,
        threshold: float = TRIAGE_THRESHOLD,
    ) -> None:
        self.rules = rules or packaged_rules()
        self.model = model
        self.threshold = threshold
        self.version = self.rules.version + (f"+{model.version}" if model else "")

    def classify(self, text: str, *, reply: bool = False) -> Classification:
        result = self.rules.classify(text, reply=reply)
        if self.model is None:
            return result
        if result.is_incident and result.confidence < self.threshold:
            prediction = self.model.predict(text)
            if prediction.probability > result.confidence:
                return replace(
                    result,
                    domain=prediction.signature.split(".", 1)[0],
                    signature=prediction.signature,
                    confidence=round(prediction.probability, 3),
                    version=self.version,
                )
        return replace(result, version=self.version)
