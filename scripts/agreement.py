"""How far two people agree on the real corpus: a second annotator's blind labels beside ours.

    python scripts/agreement.py [tests/data/real/second_annotator.jsonl]

The second file holds dev threads labelled again by someone who saw only docs/taxonomy.md and
the unlabelled threads. It prints the second annotator scored against the corpus, and the rules
scored against the corpus on the same messages: what careful readers reach is the ceiling the
classifier's targets should sit under.
"""

from __future__ import annotations

import sys
from pathlib import Path

from classifiers import Classification, classify
from classifiers.evaluate import Report, read, score, threads
from classifiers.labelled import Example, load_examples

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "real" / "dev.jsonl"


def main() -> None:
    second = load_examples(
        sys.argv[1] if len(sys.argv) > 1 else CORPUS.with_name("second_annotator.jsonl")
    )
    ours = _same_threads(load_examples(CORPUS), second)
    theirs = [(gold, _labels(other)) for gold, other in zip(ours, second, strict=True)]
    for name, pairs in (("second annotator", theirs), ("rules", read(ours, classify))):
        _print(name, score(pairs))


def _same_threads(corpus: list[Example], second: list[Example]) -> list[Example]:
    """The corpus's messages of the threads the second annotator labelled, in their order."""
    by_source = {thread[0].context.source: thread for thread in threads(corpus)}
    return [e for thread in threads(second) for e in by_source[thread[0].context.source]]


def _labels(example: Example) -> Classification:
    return Classification(example.is_incident, example.domain, example.signature, 1.0)


def _print(name: str, report: Report) -> None:
    print(
        f"{name:<17} {report.n} messages, {report.incidents} incidents: "
        f"domain {report.domain_accuracy:.3f}, signature {report.signature_accuracy:.3f}, "
        f"incident P {report.incident_precision:.3f} R {report.incident_recall:.3f}"
    )


if __name__ == "__main__":
    main()
