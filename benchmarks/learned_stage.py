"""Does the second opinion help on real text, and what does it cost? Prints figures.

    python benchmarks/learned_stage.py [--folds 5]

Cross-validates the second opinion (classifiers/learned.py, asked by `Classifier` about roots the
rules let pass, every incident's domain, and the failure inside it where no pattern named one)
on the real dev corpus (tests/data/real/dev.jsonl), with folds grouped by thread: each fold's
threads are read by a model fitted on the other folds' real incidents and messages and on the
written dev set's, as scripts/train_second_opinion.py fits the packaged one, so no thread is
both trained on and scored. Prints the rules alone beside the rules with the second opinion
(domain and signature accuracy, incident F1), the written holdouts with the packaged model
(which never saw them), then the cost: the share of messages the model is asked its first two
questions about, its time per call, and throughput on one core with and without it. Text is
redacted first, as on the live path. The real test split is not read here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from classify import as_read, pin_to_one_core, redacted, throughput

from classifiers import Classification, Classifier, SecondOpinion
from classifiers.evaluate import Example, Report, evaluate, read, score, threads
from classifiers.labelled import failures, incidents, reports

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
REAL_DEV = DATA / "real" / "dev.jsonl"
WRITTEN_DEV = DATA / "dev.jsonl"
HOLDOUTS = [DATA / "holdout.jsonl", DATA / "holdout2.jsonl"]


def cross_validated(real: list[Example], written: list[Example], folds: int) -> Report:
    """Each real thread read with a second opinion fitted without it (thread i in fold i % k)."""
    grouped = list(threads(real))
    scored: list[tuple[Example, Classification]] = []
    for fold in range(folds):
        held = [e for i, t in enumerate(grouped) if i % folds == fold for e in t]
        rest = [e for i, t in enumerate(grouped) if i % folds != fold for e in t]
        model = SecondOpinion.fit(
            incidents(written) + incidents(rest),
            reports(written) + reports(rest),
            failures(written) + failures(rest),
        )
        scored += read(held, Classifier(second_opinion=model).classify)
    return score(scored)


def row(label: str, report: Report) -> str:
    return (
        f"{label:<34}{report.domain_accuracy:>8.3f}{report.signature_accuracy:>11.3f}"
        f"{report.incident_f1:>9.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    print(pin_to_one_core())
    real, written = redacted(REAL_DEV), redacted(WRITTEN_DEV)
    rules_alone = Classifier(second_opinion=False)
    packaged = Classifier()
    print(f"real dev: {len(real)} messages in {sum(1 for _ in threads(real))} threads")
    print(f"{'':<34}{'domain':>8}{'signature':>11}{'inc. F1':>9}")
    print(row("real dev, rules alone", evaluate(real, rules_alone.classify)))
    cv = cross_validated(real, written, args.folds)
    print(row(f"  + second opinion ({args.folds} folds)", cv))
    for path in HOLDOUTS:
        examples = redacted(path)
        print(row(f"{path.name}, rules alone", evaluate(examples, rules_alone.classify)))
        print(row("  + packaged second opinion", evaluate(examples, packaged.classify)))
    model = packaged.second_opinion
    assert model is not None
    for reading, replies in (("as roots", False), ("as the bot reads them", True)):
        rules = as_read(rules_alone.classify, replies=replies)
        both = as_read(packaged.classify, replies=replies)
        read = [(e, rules(e), both(e)) for e in real]
        doubted = [e.text for e, r, _ in read if packaged.doubts(r, reply=replies and e.reply)]
        asked = [e.text for e, r, _ in read if packaged.asks(r)]
        made = sum(b.is_incident and not r.is_incident for _, r, b in read)
        moved = sum(b.domain != r.domain for _, r, b in read) - made
        print(
            f"{reading}: asked whether a message reports a blocker about "
            f"{len(doubted) / len(real):.1%} of real dev messages ({len(doubted)}, {made} made "
            f"incidents), {1e6 / throughput(model.blocker, doubted):.0f} us a call; asked "
            f"the domain of {len(asked) / len(real):.1%} ({len(asked)}, {moved} moved), "
            f"{1e6 / throughput(model.predict, asked):.0f} us a call; one core: rules alone "
            f"{throughput(rules, real):,.0f} msg/s, rules + second opinion "
            f"{throughput(both, real):,.0f} msg/s"
        )


if __name__ == "__main__":
    main()
