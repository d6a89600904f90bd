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
from collections.abc import Callable
from pathlib import Path

from bot.ingest.reading import read
from classifiers import Classification, Classifier, SecondOpinion
from classifiers.catalog import load_catalog
from classifiers.evaluate import Report, evaluate
from classifiers.labelled import load_examples
from classifiers.rules import Rules

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "real"


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    commit, parts = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory() as folder:
        round_dev = Path(folder) / "round_dev.jsonl"
        count = _write_round_dev(parts, round_dev)
        catalog = _file_at(commit, "classifiers/catalog.toml", Path(folder))
        model = _file_at(commit, "classifiers/second_opinion.json", Path(folder))
        rules = Rules(load_catalog(catalog))
        examples = load_examples(round_dev)
        print(f"{count} dev threads of {', '.join(parts)}, read with {commit}'s catalog and model:")
        for name, classifier in (
            ("rules alone", Classifier(rules, second_opinion=False)),
            ("default", Classifier(rules, second_opinion=SecondOpinion.load(model))),
        ):
            _print(name, evaluate(examples, _live(classifier)))


def _write_round_dev(parts: list[str], out: Path) -> int:
    """The dev threads of the round's parts files, as dev.jsonl holds them today."""
    sources = set()
    for part in parts:
        path = REAL / "parts" / f"{part}.jsonl"
        if not path.exists():
            sys.exit(f"{path}: no such parts file")
        sources |= {json.loads(line)["source"] for line in path.read_text().splitlines() if line}
    kept = [
        line
        for line in (REAL / "dev.jsonl").read_text().splitlines()
        if json.loads(line)["source"] in sources
    ]
    out.write_text("".join(line + "\n" for line in kept))
    return len(kept)


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


def _live(classifier: Classifier) -> Callable[..., Classification]:
    """The classifier as the bot and `friction eval` run it: on redacted text."""

    def classify(text: str, *, reply: bool = False) -> Classification:
        return read(classifier, text, reply=reply)[1]

    return classify


def _print(name: str, report: Report) -> None:
    print(
        f"  {name:<12} domain {report.domain_accuracy:.3f}  signature "
        f"{report.signature_accuracy:.3f}  incident P {report.incident_precision:.3f} "
        f"R {report.incident_recall:.3f} ({report.incidents} incidents)"
    )


if __name__ == "__main__":
    main()
