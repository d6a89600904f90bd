"""How far two people agree on the real corpus: a second annotator's blind labels beside ours.

    python scripts/agreement.py [tests/data/real/second_annotator.jsonl]

The second file holds dev threads labelled again by someone who saw only docs/taxonomy.md and
the unlabelled threads. It prints the second annotator scored against the corpus, and the rules
scored against the corpus on the same messages: what careful readers reach is the ceiling the
classifier's targets should sit under.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from classifiers import Classification, classify, classify_thread
from classifiers.evaluate import Example, Report, score

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "real" / "dev.jsonl"


def main() -> None:
    second = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS.with_name("second_annotator.jsonl")
    gold = {thread["source"]: thread for thread in _threads(CORPUS)}
    theirs, rules = [], []
    for thread in _threads(second):
        labelled = gold[thread["source"]]["messages"]
        read = classify_thread(classify, [(m["text"], m["role"]) for m in labelled])
        for ours, other, result in zip(labelled, thread["messages"], read, strict=True):
            example = Example(ours["text"], ours["is_incident"], ours["domain"], ours["signature"])
            theirs.append((example, _labels(other)))
            rules.append((example, result))
    for name, pairs in (("second annotator", theirs), ("rules", rules)):
        _print(name, score(pairs))


def _threads(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _labels(message: dict) -> Classification:
    return Classification(message["is_incident"], message["domain"], message["signature"], 1.0)


def _print(name: str, report: Report) -> None:
    print(
        f"{name:<17} {report.n} messages, {report.incidents} incidents: "
        f"domain {report.domain_accuracy:.3f}, signature {report.signature_accuracy:.3f}, "
        f"incident P {report.incident_precision:.3f} R {report.incident_recall:.3f}"
    )


if __name__ == "__main__":
    main()
