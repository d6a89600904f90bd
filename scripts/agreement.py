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
from classifiers.evaluate import read, score, threads
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
        print(f"{name:<17} {score(pairs).summary()}")


def _same_threads(corpus: list[Example], second: list[Example]) -> list[Example]:
    """The corpus's messages of the threads the second annotator labelled, in their order."""
    by_source = {thread[0].context.source: thread for thread in threads(corpus)}
    return [e for thread in threads(second) for e in by_source[thread[0].context.source]]


def _labels(example: Example) -> Classification:
    return Classification(example.is_incident, example.domain, example.signature, 1.0)


if __name__ == "__main__":
    main()
