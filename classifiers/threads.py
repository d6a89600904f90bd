"""What a thread knows about a message, and a thread read in order with it.

A message is judged by its place in the thread: a reply by someone other than the asker
answers, agrees ("+1, same here") or closes; the asker's reply that repeats the thread's error
belongs to the incident already open, while one that reports a *new* error is a report of its
own. The live path, history and the export know the thread; `friction eval` reads thread files
through `classify_thread`, so the bot and the score judge a thread the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

ASKER = "asker"
"""The role of the thread's root author; "helper" and "other" are everyone else."""


@dataclass(frozen=True, slots=True)
class Context:
    """A message's place in its thread. The defaults describe a thread's root."""

    reply: bool = False
    by_asker: bool | None = None
    """Whether the reply's author wrote the root; None when the caller does not know."""
    open_signature: str | None = None
    """The signature of the thread's incident so far, if the asker has reported one."""


def classify_thread(classify: Callable[..., Any], messages: Iterable[tuple[str, str]]) -> list[Any]:
    """Classify a thread's (text, role) pairs in order, each with its context.

    The first message is the root; the thread's incident is the asker's first report, as in
    the ledger (`bot/ingest/ingestor.py`).
    """
    results: list[Any] = []
    open_signature: str | None = None
    for index, (text, role) in enumerate(messages):
        context = Context(index > 0, role == ASKER, open_signature)
        result = classify(text, context=context)
        if result.is_incident and role == ASKER and open_signature is None:
            open_signature = result.signature
        results.append(result)
    return results
