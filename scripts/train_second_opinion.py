"""Fit the packaged second opinion, classifiers/second_opinion.json, on the labelled incidents.

    python scripts/train_second_opinion.py [--out PATH]

It learns from every gold incident of the real dev corpus (tests/data/real/dev.jsonl, threads)
and of the written dev set (tests/data/dev.jsonl), each text redacted first, as the live path
classifies redacted text. The output depends on those files only (sorted, compact JSON), so
tests/test_second_opinion.py can tell when the corpus changed and the model was not fitted
again. The real test split is not read. Prints the counts it learned from.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from bot.ingest.privacy import redact
from classifiers.labelled import incidents, load_examples
from classifiers.learned import PACKAGED, SecondOpinion

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
CORPUS = [DATA / "real" / "dev.jsonl", DATA / "dev.jsonl"]


def redacted_incidents(path: Path) -> list[tuple[str, str]]:
    """(redacted text, gold domain) of every incident in a labelled set."""
    return [(redact(text), domain) for text, domain in incidents(load_examples(path))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PACKAGED, help="the model file to write")
    args = parser.parse_args(argv)
    examples = []
    for path in CORPUS:
        found = redacted_incidents(path)
        print(f"{path.relative_to(DATA.parent.parent)}: {len(found)} incidents")
        examples += found
    model = SecondOpinion.fit(examples)
    model.save(args.out)
    by_domain = ", ".join(f"{d} {n}" for d, n in Counter(model.documents).most_common())
    print(f"{len(examples)} incidents: {by_domain}")
    vocabulary = {t for by_term in model.counts.values() for t in by_term}
    print(
        f"{len(vocabulary):,} terms held by 2 messages or more; "
        f"wrote {args.out} ({args.out.stat().st_size:,} bytes, {model.version})"
    )


if __name__ == "__main__":
    main()
