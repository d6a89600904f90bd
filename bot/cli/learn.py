"""`friction train` and `friction reclassify`: TAs' tags teach the classifier; history follows."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.errors import user_errors
from bot.cli.options import DbOption, open_cli_context, open_cli_ledger
from bot.ta.learning import train as fit_on_tags
from classifiers import SecondOpinionError


def train(
    out: Annotated[Path, typer.Option("--out", help="Where to write the model file.")] = Path(
        "friction-model.json"
    ),
    db: DbOption = None,
) -> None:
    r"""Refine the packaged second opinion with TA-tagged incidents, for \[classifier] model."""
    with user_errors():
        try:
            model, tagged, dismissed = fit_on_tags(open_cli_ledger(db))
        except SecondOpinionError as exc:
            raise ValueError(f"cannot train yet: {exc}") from None
        model.save(out)
    typer.echo(
        f"Trained {model.version}: the packaged model, {tagged} TA-tagged incidents and "
        f"{dismissed} dismissed; wrote {out}.\n"
        f'Use it: set model = "{out}" under [classifier] in FRICTION_CONFIG, then run '
        "friction reclassify."
    )


def reclassify(db: DbOption = None) -> None:
    """Classify the whole ledger again with the current catalog and model; TA tags stay."""
    with user_errors():
        context = open_cli_context(db)
        changes = context.ingestor.reclassify()
    version = context.ingestor.classifier.version
    if not changes:
        typer.echo(f"Reclassified with {version}: no incident changed.")
        return
    typer.echo(f"Reclassified with {version}: {changes.total()} incidents changed.")
    for (old, new), n in changes.most_common():
        typer.echo(f"  {n:>5}  {old or '(no incident)'} -> {new or '(no incident)'}")
