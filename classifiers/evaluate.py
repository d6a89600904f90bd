"""Score a classifier against a labelled set (JSON lines: text, is_incident, domain, signature;
or thread lines: messages, each with a role, asker / helper / other, read in their thread).

Domain and signature accuracy are measured over the gold incidents, so a missed incident counts
as a wrong domain: a digest cannot count what the detector let through. Incident precision,
recall and F1 measure the detector itself.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import groupby
from pathlib import Path

from classifiers.rules import Classification
from classifiers.threads import classify_thread


class LabelledSetError(ValueError):
    """A labelled set line is malformed; the message names file, line and field."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    is_incident: bool
    domain: str | None
    signature: str | None
    reply: bool = False
    role: str | None = None
    """Set for a thread file's messages: the author's role, so each is read in its thread."""
    thread: int = 0
    """The thread's line number in its file (0: a message on its own)."""


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
        }


def load_examples(path: str | Path) -> list[Example]:
    """Read a labelled set; raise LabelledSetError naming the file, line and field at fault."""
    examples = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                examples.extend(_examples(f"{path}:{number}", number, line))
    return examples


def _examples(where: str, number: int, line: str) -> list[Example]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LabelledSetError(f"{where}: not valid JSON: {exc.msg}") from exc
    if not isinstance(row, dict):
        raise LabelledSetError(f"{where}: expected a JSON object")
    if "messages" not in row:
        return [_example(where, row)]
    messages = row["messages"]
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise LabelledSetError(f"{where}: field 'messages' must be a list of objects")
    examples = []
    for index, message in enumerate(messages):
        at = f"{where}: message {index + 1}"
        if not isinstance(message.get("role"), str):
            raise LabelledSetError(f"{at}: field 'role' must be a string")
        example = _example(at, message)
        examples.append(replace(example, reply=index > 0, role=message["role"], thread=number))
    return examples


def _example(where: str, row: dict) -> Example:
    for name, kinds in (("text", (str,)), ("is_incident", (bool,)), ("reply", (bool,))):
        if name in row and not isinstance(row[name], kinds):
            raise LabelledSetError(f"{where}: field '{name}' must be {kinds[0].__name__}")
    if "text" not in row or "is_incident" not in row:
        raise LabelledSetError(f"{where}: needs fields 'text' and 'is_incident'")
    for name in ("domain", "signature"):
        value = row.get(name)
        if row["is_incident"] and not isinstance(value, str):
            raise LabelledSetError(f"{where}: field '{name}' must be a string for an incident")
        if not row["is_incident"] and value is not None:
            raise LabelledSetError(f"{where}: field '{name}' must be null for a non-incident")
    return Example(
        text=row["text"],
        is_incident=row["is_incident"],
        domain=row.get("domain"),
        signature=row.get("signature"),
        reply=row.get("reply", False),
    )


def evaluate(
    examples: Iterable[Example],
    classify: Callable[..., Classification],
    *,
    top: int = 10,
) -> Report:
    """Run `classify` over the examples and score it."""
    n = incidents = domain_hits = signature_hits = true_pos = predicted_pos = 0
    confusions: Counter[tuple[str, str]] = Counter()
    for example, result in _read(examples, classify):
        n += 1
        predicted_pos += result.is_incident
        if not example.is_incident:
            if result.is_incident:
                confusions["-", result.signature or "?"] += 1
            continue
        incidents += 1
        true_pos += result.is_incident
        domain_hits += result.domain == example.domain
        signature_hits += result.signature == example.signature
        if result.signature != example.signature:
            confusions[example.signature or "?", result.signature or "-"] += 1
    precision = true_pos / predicted_pos if predicted_pos else 0.0
    recall = true_pos / incidents if incidents else 0.0
    return Report(
        n=n,
        incidents=incidents,
        domain_accuracy=domain_hits / incidents if incidents else 0.0,
        signature_accuracy=signature_hits / incidents if incidents else 0.0,
        incident_precision=precision,
        incident_recall=recall,
        incident_f1=2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        confusions=[(g, p, c) for (g, p), c in confusions.most_common(top)],
    )


def _read(
    examples: Iterable[Example], classify: Callable[..., Classification]
) -> Iterator[tuple[Example, Classification]]:
    """Each example with its classification; a thread's messages in order, in their thread."""
    for thread, group in groupby(examples, key=lambda e: e.thread):
        if not thread:
            yield from ((e, classify(e.text, reply=e.reply)) for e in group)
            continue
        messages = list(group)
        pairs = [(e.text, e.role or "") for e in messages]
        yield from zip(messages, classify_thread(classify, pairs), strict=True)
