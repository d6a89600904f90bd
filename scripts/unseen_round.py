"""Score a gathering round's new dev threads with the rules and model from before the round.

    python scripts/unseen_round.py COMMIT PART [PART ...]

COMMIT is the last commit before the round changed anything (its threads, rules or model); each
PART is a file stem the round's gatherers wrote in tests/data/real/parts/ (`other22 vpc22 ...`).
The round's dev threads, with today's labels, are read in their threads as `friction eval` reads
them (redacted first), by today's code with COMMIT's catalog and packaged model (`git show`):
the rules alone, then with the second opinion. Prints aggregate figures.

Why: this is the honest forecast of the next test figures, and the only fair judge of a model or
a threshold. Real dev cross-validation is not: the rules were written on those threads, so it
always prefers a model that moves less. The test split is not read; of the parts files only each
thread's source address is.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from bot.ingest.privacy import redact
from classifiers import Classifier, SecondOpinion
from classifiers.catalog import load_catalog
from classifiers.evaluate import evaluate
from classifiers.labelled import Example, load_examples
from classifiers.rules import Rules

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "real"


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    commit, parts = sys.argv[1], sys.argv[2:]
    examples = _round_dev(parts)
    threads = len({e.context.source for e in examples if e.context})
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        rules = Rules(load_catalog(_file_at(commit, "classifiers/catalog.toml", folder)))
        model = SecondOpinion.load(_file_at(commit, "classifiers/second_opinion.json", folder))
    print(f"{threads} dev threads of {', '.join(parts)}, read with {commit}'s catalog and model:")
    for name, classifier in (
        ("rules alone", Classifier(rules, second_opinion=False)),
        ("default", Classifier(rules, second_opinion=model)),
    ):
        print(f"  {name:<12} {evaluate(examples, classifier.classify).summary()}")


def _round_dev(parts: list[str]) -> list[Example]:
    """The messages of the round's dev threads, with today's labels, redacted once (as the live
    path reads text)."""
    sources = set()
    for part in parts:
        path = REAL / "parts" / f"{part}.jsonl"
        if not path.exists():
            sys.exit(f"{path}: no such parts file")
        sources |= {json.loads(line)["source"] for line in path.read_text().splitlines() if line}
    return [
        replace(e, text=redact(e.text))
        for e in load_examples(REAL / "dev.jsonl")
        if e.context and e.context.source in sources
    ]


def _file_at(commit: str, path: str, folder: Path) -> Path:
    """A repository file as it was at `commit`, copied into `folder`."""
    shown = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{commit}:{path}"], capture_output=True, text=True
    )
    if shown.returncode:
        sys.exit(f"git show {commit}:{path}: {shown.stderr.strip()}")
    copy = folder / Path(path).name
    copy.write_text(shown.stdout)
    return copy


if __name__ == "__main__":
    main()
