"""Threads: what a thread knows about a message, and a thread read in order.

A message is judged by its place in the thread: a reply by someone other than the asker
answers, agrees ("+1, same here") or closes; the asker's reply that repeats the thread's error
belongs to the incident already open, while one that reports a *new* error is a report of its
own. The live path, history and the export know the thread; `friction eval` reads thread files
through `classify_thread`, so the bot and the score judge a thread the same way (labelled
threads are read by `labelled.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from classifiers.rules import Classification

ASKER = "asker"
"""The role of the thread's root author; "helper" and "other" are everyone else."""
ROLES = (ASKER, "helper", "other")


@dataclass(frozen=True, slots=True)
class Context:
    """A message's place in its thread. The defaults describe a thread's root."""

    reply: bool = False
    by_asker: bool | None = None
    """Whether the reply's author wrote the root; None when the caller does not know."""
    open_signature: str | None = None
    """The signature the thread's root reported, if it reported one."""


def classify_thread(
    classify: Callable[..., Classification], messages: Sequence[tuple[str, str]]
) -> list[Classification]:
    """Classify a thread's (text, role) pairs in order, each then placed in its thread
    (`in_context`), as the ledger does (`bot/ingest/ingestor.py`).

    The first message is the root; the thread's incident is the asker's report `incident_of`
    chooses, moved to the layer the asker's last explanation after it names as the cause.
    """
    results: list[Classification] = []
    for index, (text, role) in enumerate(messages):
        root = results[0].signature if results else None
        context = Context(index > 0, role == ASKER, root)
        results.append(in_context(classify(text, reply=context.reply), context))
    asker = [i for i, (_, role) in enumerate(messages) if role == ASKER]
    chosen = incident_of(
        [(results[i].is_incident, results[i].signature, results[i].cause) for i in asker]
    )
    if chosen is not None:
        incident = asker[chosen[0]]
        if moved := moved_to(results[incident].domain, chosen[1]):
            results[incident] = replace(results[incident], domain=moved[0], signature=moved[1])
    return results


def incident_of(
    own: Sequence[tuple[bool, str | None, str | None]],
) -> tuple[int, str | None] | None:
    """Which of the asker's messages (in order, each as: is a report, its signature, the cause it
    explains) is the thread's incident, and the cause the asker named last after it; None
    without a report. The incident is the first report that names its failure, not only its
    domain (`<domain>.other`), else the first report: a root's "my lambda fails" followed by
    the asker's pasted traceback is the traceback's incident."""
    reports = [i for i, (report, _, _) in enumerate(own) if report]
    if not reports:
        return None
    best = next((i for i in reports if not (own[i][1] or "").endswith(".other")), reports[0])
    cause = next((c for _, _, c in reversed(own[best + 1 :]) if c), None)
    return best, cause


def in_context(result: Classification, context: Context) -> Classification:
    """A message already read as a root or a reply, judged by its place in the thread.

    A reply by someone other than the asker is never the thread's report: it answers, quotes
    the error back, agrees ("same here") or closes; nor is a reply saying it works now ("I was
    calling the wrong bucket, fixed") or what caused it ("turned out my lambda was in a VPC":
    that moves the incident, see `moved_to`). The asker's reply that repeats the
    thread's error belongs to the incident already open; one that names a new failure is a
    report.
    Separate from reading the text, so a message read without its thread (an import's worker)
    is placed in it afterwards at no cost.
    """
    if not (result.is_incident and context.reply):
        return result
    if context.by_asker is False or result.says_resolved or result.cause:
        confidence = _OTHERS_REPLY
    elif context.open_signature and not (
        result.named and result.signature != context.open_signature
    ):
        confidence = result.confidence
    else:
        return result
    return replace(
        result,
        is_incident=False,
        domain=None,
        signature=None,
        confidence=confidence,
        attributes={},
        named=False,
    )


_OTHERS_REPLY = 0.9
"""Certainty that a reply by someone other than the asker reports no incident of the thread."""


def moved_to(domain: str | None, cause: str | None) -> tuple[str, str] | None:
    """Where a cause the asker found later moves an incident filed under `domain`: (domain,
    signature) of the cause when that is another layer (the surfacing service stays an
    attribute); None when it stays."""
    if cause is None:
        return None
    layer = cause.split(".", 1)[0]
    return (layer, cause) if layer != domain else None
