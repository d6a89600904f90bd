"""Threads: what a thread knows about a message, a thread read in order, and labelled sets.

A message is judged by its place in the thread: a reply by someone other than the asker
answers, agrees ("+1, same here") or closes; the asker's reply that repeats the thread's error
belongs to the incident already open, while one that reports a *new* error is a report of its
own. The live path, history and the export know the thread; `friction eval` reads thread files
through `classify_thread`, so the bot and the score judge a thread the same way.

Labelled sets come in two shapes, one JSON object a line, and may be mixed in one file:

- a flat message: `{text, is_incident, domain, signature, reply?}`;
- a thread: `{source, messages: [{role: asker|helper|other, text, is_incident, domain,
  signature, note?}, ...]}` in posting order (the real-text corpus in `tests/data/real/`).

A thread's messages are loaded in order, each with a `ThreadContext`: its position (0 is the
root), whether the thread's asker wrote it, and the thread's source (to group folds by thread).
Scoring reads the thread so far with the classifier's own eyes, as the live path does, never
with the labels.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    """The signature of the thread's incident so far, if the asker has reported one."""


def classify_thread(
    classify: Callable[..., Classification], messages: Iterable[tuple[str, str]]
) -> list[Classification]:
    """Classify a thread's (text, role) pairs in order, each then placed in its thread
    (`in_context`), as the ledger does (`bot/ingest/ingestor.py`).

    The first message is the root; the thread's incident is the asker's first report, moved to
    the layer the asker's last explanation after it names as the cause.
    """
    results: list[Classification] = []
    open_signature: str | None = None
    incident: int | None = None
    cause: str | None = None  # the asker's last explanation after the incident
    for index, (text, role) in enumerate(messages):
        context = Context(index > 0, role == ASKER, open_signature)
        result = in_context(classify(text, reply=context.reply), context)
        if result.is_incident and role == ASKER and open_signature is None:
            open_signature, incident, cause = result.signature, index, None
        elif incident is not None and role == ASKER and result.cause:
            cause = result.cause
        results.append(result)
    if incident is not None and (moved := moved_to(results[incident].domain, cause)):
        results[incident] = replace(results[incident], domain=moved[0], signature=moved[1])
    return results


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


class LabelledSetError(ValueError):
    """A labelled set line is malformed; the message names file, line and field."""


@dataclass(frozen=True, slots=True)
class ThreadContext:
    position: int
    """0 for the thread's root, 1 for the first reply, and so on."""
    by_asker: bool
    """Written by the person who opened the thread (a helper's or bystander's reply is not)."""
    source: str = ""
    """Where the thread came from (an issue address): groups a thread's messages for folds."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    is_incident: bool
    domain: str | None
    signature: str | None
    reply: bool = False
    context: ThreadContext | None = None
    """Set for messages read from a thread; None for flat lines."""


def load_examples(path: str | Path) -> list[Example]:
    """Read a labelled set of either shape; raise LabelledSetError naming file, line and field."""
    examples: list[Example] = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            row = _object(where, line)
            if "messages" in row:
                examples.extend(thread_examples(where, row))
            else:
                examples.append(_example(where, row))
    return examples


def thread_examples(where: str, thread: dict[str, Any]) -> Iterator[Example]:
    """The messages of one thread object, in order, each with its context."""
    messages = thread["messages"]
    if not isinstance(messages, list) or not messages:
        raise LabelledSetError(f"{where}: field 'messages' must be a non-empty list")
    source = thread.get("source", "")
    if not isinstance(source, str):
        raise LabelledSetError(f"{where}: field 'source' must be a string")
    for position, message in enumerate(messages):
        at = f"{where}: message {position + 1}"
        if not isinstance(message, dict):
            raise LabelledSetError(f"{at}: expected a JSON object")
        role = message.get("role")
        if role not in ROLES:
            raise LabelledSetError(f"{at}: field 'role' must be one of {', '.join(ROLES)}")
        if "reply" in message:
            raise LabelledSetError(f"{at}: field 'reply' comes from the position in the thread")
        context = ThreadContext(position, role == ASKER, source)
        yield _example(at, message, reply=position > 0, context=context)


def _object(where: str, line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LabelledSetError(f"{where}: not valid JSON: {exc.msg}") from exc
    if not isinstance(row, dict):
        raise LabelledSetError(f"{where}: expected a JSON object")
    return row


def _example(
    where: str,
    row: dict[str, Any],
    *,
    reply: bool | None = None,
    context: ThreadContext | None = None,
) -> Example:
    for name, kind in (("text", str), ("is_incident", bool), ("reply", bool)):
        if name in row and not isinstance(row[name], kind):
            raise LabelledSetError(f"{where}: field '{name}' must be {kind.__name__}")
    if "text" not in row or "is_incident" not in row:
        raise LabelledSetError(f"{where}: needs fields 'text' and 'is_incident'")
    for name in ("domain", "signature"):
        value = row.get(name)
        if row["is_incident"] and not isinstance(value, str):
            raise LabelledSetError(f"{where}: field '{name}' must be a string for an incident")
        if not row["is_incident"] and value is not None:
            raise LabelledSetError(f"{where}: field '{name}' must be null for a non-incident")
    return Example(
        text=row["text"],
        is_incident=row["is_incident"],
        domain=row.get("domain"),
        signature=row.get("signature"),
        reply=row.get("reply", False) if reply is None else reply,
        context=context,
    )
