"""`friction classify` and `friction eval`: the classifier from the command line.

Plain functions with Typer annotations; `bot/cli/main.py` registers them on the `friction` app.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.errors import fail
from bot.context import ModelTurnedOff, classifier_factory
from bot.ingest.reading import read
from classifiers import Classification, Classifier, SecondOpinionError, catalog
from classifiers.evaluate import ClassScore, LabelledSetError, evaluate, load_examples

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model",
        help="A model file from `friction train`: the second opinion instead of the packaged one.",
    ),
]
RulesOnlyOption = Annotated[
    bool,
    typer.Option("--rules-only", help="The catalog rules alone, without the second opinion."),
]


def _classifier(model: Path | None, rules_only: bool) -> Classifier:
    """The classifier the flags ask for (never the config's: these commands try one out)."""
    try:
        return classifier_factory(not rules_only, model)()
    except ModelTurnedOff:
        raise fail("--rules-only and --model: choose one") from None
    except SecondOpinionError as exc:
        raise fail(f"--model: {exc}") from None


def classify(
    text: Annotated[str, typer.Argument(help="The message text, or - to read it from stdin.")],
    reply: Annotated[bool, typer.Option("--reply", help="Treat it as a thread reply.")] = False,
    as_json: JsonOption = False,
    model: ModelOption = None,
    rules_only: RulesOnlyOption = False,
) -> None:
    """Classify one message: incident or not, root-cause domain, signature, attributes."""
    if text == "-":
        text = sys.stdin.read()
    result = _classifier(model, rules_only).classify(text, reply=reply)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "is_incident": result.is_incident,
                    "domain": result.domain,
                    "signature": result.signature,
                    "confidence": result.confidence,
                    "attributes": result.attributes,
                    "version": result.version,
                }
            )
        )
        return
    if not result.is_incident:
        typer.echo(f"not an incident (confidence {result.confidence:.2f})")
        return
    signature = catalog().signature(result.signature or "other.other")
    typer.echo(f"{result.signature}  ({catalog().domain(signature.domain).label})")
    typer.echo(f"  {signature.title}; confidence {result.confidence:.2f}")
    for key, value in result.attributes.items():
        typer.echo(f"  {key}: {value}")
    typer.echo(f"  hint: {signature.hint}")
    if signature.runbook:
        typer.echo(f"  runbook: {signature.runbook}")


def evaluate_file(
    path: Annotated[
        Path,
        typer.Argument(
            help="JSON lines: flat messages (text, is_incident, domain, signature) "
            "or threads (source, messages with role asker/helper/other and the same labels), "
            "each message read in its thread."
        ),
    ],
    as_json: JsonOption = False,
    top: Annotated[int, typer.Option("--top", help="How many confusions to list.")] = 10,
    model: ModelOption = None,
    rules_only: RulesOnlyOption = False,
) -> None:
    """Score the classifier on a labelled set: accuracy, incident F1, per-label precision and
    recall, frequent confusions. Text is redacted first, as the live path does."""
    try:
        examples = load_examples(path)
    except (OSError, LabelledSetError) as exc:
        raise fail(str(exc)) from None
    classifier = _classifier(model, rules_only)

    def live(text: str, *, reply: bool) -> Classification:
        return read(classifier, text, reply=reply)[1]

    report = evaluate(examples, live, top=top)
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
        return
    console = Console()
    scores = Table(
        "measure", "value", title=f"{path} ({report.n} messages, {report.incidents} incidents)"
    )
    for name, value in report.as_dict().items():
        if isinstance(value, float):
            scores.add_row(name, f"{value:.3f}")
    console.print(scores)
    console.print(_per_label("domain", report.domains))
    console.print(_per_label("signature", report.signatures))
    if report.confusions:
        confusions = Table("gold", "predicted", "count", title="most frequent confusions")
        for gold, predicted, count in report.confusions:
            confusions.add_row(gold, predicted, str(count))
        console.print(confusions)


def _per_label(kind: str, scores: list[ClassScore]) -> Table:
    table = Table(kind, "gold", "filed", "precision", "recall", title=f"per {kind}")
    for score in scores:
        table.add_row(
            score.label,
            str(score.gold),
            str(score.predicted),
            f"{score.precision:.3f}",
            f"{score.recall:.3f}" if score.gold else "-",
        )
    return table
