"""Does the learned stage help on real text, and what does it cost? Prints figures.

    python benchmarks/learned_stage.py [--folds 5]

Cross-validates on the real dev corpus (tests/data/real/dev.jsonl) with folds grouped by thread,
so no thread is both trained on and scored: the rules alone, then the rules with the `.[ml]`
stage (classifiers/learned.py) consulted where their confidence is below 0.6, trained on the
written sets, on the real dev folds, and on both. Then the cost: the share of messages the stage
is asked about, its latency per call, and throughput on one core with and without it. Text is
redacted first, as on the live path. The real test split is not read here.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from classify import pin_to_one_core, redacted

from classifiers import TRIAGE_THRESHOLD, Classification, Classifier, LearnedStage, Rules
from classifiers.evaluate import Example, Report, evaluate, read, score
from classifiers.rules import packaged_rules

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
WRITTEN = [DATA / "dev.jsonl", DATA / "holdout.jsonl", DATA / "holdout2.jsonl"]
REAL_DEV = DATA / "real" / "dev.jsonl"


def triples(examples: Sequence[Example]) -> list[tuple[str, str, str]]:
    return [(e.text, e.domain, e.signature) for e in examples if e.is_incident]  # type: ignore[misc]


def cross_validated(
    rules: Rules, real: list[Example], written: list[Example], folds: int, use_real: bool
) -> Report:
    """Each real message classified by a stage fitted without its thread."""
    from sklearn.model_selection import GroupKFold

    groups = [e.context.source if e.context else "" for e in real]
    scored: list[tuple[Example, Classification]] = []
    for train, held in GroupKFold(n_splits=folds).split(real, groups=groups):
        data = triples(written) + (triples([real[i] for i in train]) if use_real else [])
        classifier = Classifier(rules=rules, model=LearnedStage.fit(data))
        # A fold holds whole threads, in order: each is read by the stage fitted without it.
        scored += read([real[i] for i in held], classifier.classify)
    return score(scored)


def rate(classify: object, texts: list[str], rounds: int = 3) -> float:
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            classify(text)  # type: ignore[operator]
        rates.append(len(texts) / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    print(pin_to_one_core())
    rules = packaged_rules()
    real = redacted(REAL_DEV)
    written = [e for path in WRITTEN for e in redacted(path)]
    print(f"real dev: {len(real)} messages; written sets: {len(written)} messages")
    rows = [("rules alone", evaluate(real, rules.classify))]
    variants = (("+ stage on written sets", False), ("+ stage on written + real", True))
    for label, use_real in variants:
        rows.append((label, cross_validated(rules, real, written, args.folds, use_real)))
    print(f"{'':<28}{'domain':>8}{'signature':>11}{'inc. F1':>9}   ({args.folds} grouped folds)")
    for label, report in rows:
        print(
            f"{label:<28}{report.domain_accuracy:>8.3f}{report.signature_accuracy:>11.3f}"
            f"{report.incident_f1:>9.3f}"
        )
    model = LearnedStage.fit(triples(written + real))
    with_model = Classifier(rules=rules, model=model)
    texts = [e.text for e in real]
    unsure = [
        t for t in texts if (r := rules.classify(t)).is_incident and r.confidence < TRIAGE_THRESHOLD
    ]
    start = time.perf_counter()
    for text in unsure:
        model.predict(text)
    per_call = (time.perf_counter() - start) / len(unsure) * 1e6
    share = len(unsure) / len(texts)
    print(f"stage asked for {share:.1%} of real messages, {per_call:,.0f} us a call")
    print(
        f"one core: rules {rate(rules.classify, texts):,.0f} msg/s, "
        f"rules + stage {rate(with_model.classify, texts):,.0f} msg/s"
    )


if __name__ == "__main__":
    main()
