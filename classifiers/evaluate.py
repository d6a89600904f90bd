"""Score a classifier against a labelled set (flat messages or threads, see `labelled.py`); a
thread's messages are each read in their thread, as the live path reads them.

Domain and signature accuracy are measured over the gold incidents, so a missed incident counts
as a wrong domain: a digest cannot count what the detector let through. Incident precision,
recall and F1 measure the detector itself. Per domain and per signature, precision is over the
messages filed under that label and recall over the gold incidents with it, so a missed incident
lowers its label's recall and a false alarm lowers the precision of the label it was filed under.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from classifiers.labelled import Example, LabelledSetError, load_examples
from classifiers.rules import Classification
from classifiers.threads import ASKER, classify_thread

__all__ = ["ClassScore", "Example", "LabelledSetError", "Report", "evaluate", "load_examples"]


@dataclass(frozen=True, slots=True)
class ClassScore:
    """Precision and recall of one domain or signature, over incidents ("-" is none)."""

    label: str
    gold: int
    """Gold incidents with this label."""
    predicted: int
    """Messages the classifier filed as incidents with this label."""
    hits: int

    @property
    def precision(self) -> float:
        return self.hits / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.gold if self.gold else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "gold": self.gold,
            "predicted": self.predicted,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
        }


@dataclass(slots=True)
class Report:
    n: int
    incidents: int
    domain_accuracy: float
    signature_accuracy: float
    incident_precision: float
    incident_recall: float
    incident_f1: float
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    """(gold, predicted, count), most frequent first; "-" stands for "not an incident"."""
    domains: list[ClassScore] = field(default_factory=list)
    signatures: list[ClassScore] = field(default_factory=list)
    """Per label, most gold incidents first."""

    def summary(self) -> str:
        """The headline figures on one line, as the scripts print a report."""
        return (
            f"{self.n} messages, {self.incidents} incidents: domain {self.domain_accuracy:.3f}, "
            f"signature {self.signature_accuracy:.3f}, incident P {self.incident_precision:.3f} "
            f"R {self.incident_recall:.3f}"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "incidents": self.incidents,
            "domain_accuracy": round(self.domain_accuracy, 4),
            "signature_accuracy": round(self.signature_accuracy, 4),
            "incident_precision": round(self.incident_precision, 4),
            "incident_recall": round(self.incident_recall, 4),
            "incident_f1": round(self.incident_f1, 4),
            "confusions": [
                {"gold": gold, "predicted": predicted, "count": count}
                for gold, predicted, count in self.confusions
            ],
            "domains": [score.as_dict() for score in self.domains],
            "signatures": [score.as_dict() for score in self.signatures],
        }


def evaluate(
    examples: Iterable[Example],
    classify: Callable[..., Classification],
    *,
    top: int = 10,
) -> Report:
    """Run `classify` over the examples and score it."""
    return score(read(examples, classify), top=top)


def score(pairs: Iterable[tuple[Example, Classification]], *, top: int = 10) -> Report:
    """Score labelled examples against their classifications."""
    n = incidents = true_pos = predicted_pos = 0
    confusions: Counter[tuple[str, str]] = Counter()
    domains = _Tally()
    signatures = _Tally()
    for example, result in pairs:
        n += 1
        predicted_pos += result.is_incident
        incidents += example.is_incident
        true_pos += example.is_incident and result.is_incident
        gold = _label(example.is_incident, example.domain, example.signature)
        predicted = _label(result.is_incident, result.domain, result.signature)
        domains.add(gold[0], predicted[0])
        signatures.add(gold[1], predicted[1])
        if gold[1] != predicted[1]:
            confusions[gold[1], predicted[1]] += 1
    precision = true_pos / predicted_pos if predicted_pos else 0.0
    recall = true_pos / incidents if incidents else 0.0
    return Report(
        n=n,
        incidents=incidents,
        domain_accuracy=domains.accuracy(incidents),
        signature_accuracy=signatures.accuracy(incidents),
        incident_precision=precision,
        incident_recall=recall,
        incident_f1=2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        confusions=[(g, p, c) for (g, p), c in confusions.most_common(top)],
        domains=domains.scores(),
        signatures=signatures.scores(),
    )


NONE = "-"


def read(
    examples: Iterable[Example], classify: Callable[..., Classification]
) -> Iterator[tuple[Example, Classification]]:
    """Each example with its classification; a thread's messages in order, in their thread, with
    the classifier's own reading of the thread so far (as live), never the labels."""
    for messages in threads(examples):
        if messages[0].context is None:
            yield from ((e, classify(e.text, reply=e.reply)) for e in messages)
            continue
        pairs = [(e.text, ASKER if e.context.by_asker else "") for e in messages]
        yield from zip(messages, classify_thread(classify, pairs), strict=True)


def threads(examples: Iterable[Example]) -> Iterator[list[Example]]:
    """The examples cut into their threads, in order: a root starts the next; a flat line is a
    thread of its own."""
    thread: list[Example] = []
    for example in examples:
        if thread and (example.context is None or example.context.position == 0):
            yield thread
            thread = []
        thread.append(example)
    if thread:
        yield thread


def _label(is_incident: bool, domain: str | None, signature: str | None) -> tuple[str, str]:
    if not is_incident:
        return NONE, NONE
    return domain or "?", signature or "?"


class _Tally:
    """Gold, predicted and agreeing counts per label; "-" (no incident) is not scored."""

    def __init__(self) -> None:
        self.gold: Counter[str] = Counter()
        self.predicted: Counter[str] = Counter()
        self.hits: Counter[str] = Counter()

    def add(self, gold: str, predicted: str) -> None:
        self.gold[gold] += 1
        self.predicted[predicted] += 1
        self.hits[gold] += gold == predicted

    def accuracy(self, incidents: int) -> float:
        hits = self.hits.total() - self.hits[NONE]
        return hits / incidents if incidents else 0.0

    def scores(self) -> list[ClassScore]:
        labels = (set(self.gold) | set(self.predicted)) - {NONE}
        return [
            ClassScore(label, self.gold[label], self.predicted[label], self.hits[label])
            for label in sorted(labels, key=lambda label: (-self.gold[label], label))
        ]
