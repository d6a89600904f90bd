"""Labelled sets: the messages `friction eval` and the benchmarks score, with their labels.

They come in two shapes, one JSON object a line, and may be mixed in one file:

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifiers.threads import ASKER, ROLES


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


def incidents(examples: Iterable[Example]) -> list[tuple[str, str]]:
    """(text, gold domain) of every incident: what the second opinion learns from."""
    return [(e.text, e.domain) for e in examples if e.is_incident and e.domain]


def failures(examples: Iterable[Example]) -> list[tuple[str, str]]:
    """(text, gold signature) of every incident: what the second opinion learns a domain's
    failures from."""
    return [(e.text, e.signature) for e in examples if e.is_incident and e.signature]


def reports(examples: Iterable[Example]) -> list[tuple[str, bool]]:
    """(text, is it an incident?) of every message: what the second opinion learns a blocker
    report from."""
    return [(e.text, e.is_incident) for e in examples]


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
