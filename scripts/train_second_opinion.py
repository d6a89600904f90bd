"""Fit the packaged second opinion, classifiers/second_opinion.json, on the labelled messages.

    python scripts/train_second_opinion.py [--out PATH]

It learns the domains, and each domain's signatures, from every gold incident of the real dev
corpus (tests/data/real/dev.jsonl, threads) and of the written dev set (tests/data/dev.jsonl),
and what reports a blocker from every message of both, each text redacted first, as the live
path classifies redacted text. The output depends on those files only (sorted, compact JSON), so
tests/test_second_opinion.py can tell when the corpus changed and the model was not fitted
again. The real test split is not read. Prints the counts it learned from.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import replace
from pathlib import Path

from bot.ingest.privacy import redact
from classifiers.labelled import failures, incidents, load_examples, reports
from classifiers.learned import PACKAGED, SecondOpinion

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
CORPUS = [DATA / "real" / "dev.jsonl", DATA / "dev.jsonl"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PACKAGED, help="the model file to write")
    args = parser.parse_args(argv)
    found_incidents, found_messages, found_failures = [], [], []
    for path in CORPUS:
        # Redacted once, as the live path redacts before classifying.
        examples = [replace(e, text=redact(e.text)) for e in load_examples(path)]
        found_incidents += incidents(examples)
        found_messages += reports(examples)
        found_failures += failures(examples)
        print(f"{path.relative_to(DATA.parent.parent)}: {len(examples)} messages")
    model = SecondOpinion.fit(found_incidents, found_messages, found_failures)
    model.save(args.out)
    by_domain = ", ".join(f"{d} {n}" for d, n in Counter(model.documents).most_common())
    print(f"{len(found_incidents)} incidents: {by_domain}")
    blockers = sum(blocker for _, blocker in found_messages)
    print(f"{len(found_messages)} messages: {blockers} report a blocker")
    told = ", ".join(f"{d} {len(m.labels)}" for d, m in model.failures.items())
    print(f"signatures told apart per domain: {told}")
    for name, part in (("incidents", model.incidents), ("messages", model.blockers)):
        vocabulary = {t for by_term in part.counts.values() for t in by_term}
        print(f"{len(vocabulary):,} terms held by 2 {name} or more")
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, {model.version})")


if __name__ == "__main__":
    main()
