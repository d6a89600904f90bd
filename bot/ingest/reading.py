"""The half of ingesting that needs no ledger: a message's text redacted and classified.

It costs about as much CPU as writing the rows, so a large import reads each batch in a worker
process while the main process writes the batch before it: two cores at work, batches in their
original order, and the same `read` as in-process, so the ledger ends up the same either way.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import fields
from itertools import islice
from operator import attrgetter
from pathlib import Path
from typing import TypeVar

from bot.history.export_reader import DayFile, ExportReader
from bot.ingest.capture import CapturedMessage
from bot.ingest.privacy import redact
from classifiers import Classification, Classifier

log = logging.getLogger(__name__)

T = TypeVar("T")

Reading = tuple[str, Classification]
"""A message's redacted text and that text's classification."""

AHEAD = 2
"""Batches read ahead of the writer: enough to keep both busy, few enough for flat memory."""

DAYS_PER_TASK = 64
"""Day files the worker reads per task: about a batch of messages in a typical export."""


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of `size` (the last one shorter); `itertools.batched` from 3.12."""
    stream = iter(items)
    return iter(lambda: list(islice(stream, size)), [])


def read(classifier: Classifier, text: str, *, reply: bool) -> Reading:
    redacted = redact(text)
    return redacted, classifier.classify(redacted, reply=reply)


def read_export(
    classifier: Classifier,
    reader: ExportReader,
    days: list[DayFile],
    team_id: str,
    advance: Callable[[int], object] = lambda _n: None,
    per_task: int = DAYS_PER_TASK,
) -> Iterator[tuple[CapturedMessage, Reading | None]]:
    """The export's messages in order, each with its reading, `days` loaded in a worker.

    The worker also parses the day files (JSON, capture), which would otherwise cost the
    writer as much as the insert; its skipped counts and problems are added to `reader`'s.
    The first task is loaded in-process and comes back unread (a small import never starts a
    process), and so do all of them where fork is missing or the worker dies. `advance(n)`: n
    more days done.
    """
    tasks = chunks(range(len(days)), per_task)

    def in_process(task: list[int]) -> list[tuple[CapturedMessage, None]]:
        loaded = [(m, None) for i in task for m in reader.read_day(days[i], team_id)]
        advance(len(task))
        return loaded

    first = next(tasks, None)
    if first is None:
        return
    yield from in_process(first)
    if "fork" not in multiprocessing.get_all_start_methods():
        for task in tasks:
            yield from in_process(task)
        return
    context = multiprocessing.get_context("fork")
    worker = (classifier, reader.root, reader.resolution_emoji, reader.channels, team_id)
    with ProcessPoolExecutor(1, context, initializer=_start, initargs=worker) as pool:
        pending: deque[tuple[list[int], Future[tuple]]] = deque()
        for task in tasks:
            pending.append((task, pool.submit(_load_in_worker, task)))
            if len(pending) > AHEAD:
                yield from _loaded(reader, *pending.popleft(), in_process, advance)
        while pending:
            yield from _loaded(reader, *pending.popleft(), in_process, advance)


def _loaded(
    reader: ExportReader,
    task: list[int],
    future: Future[tuple],
    in_process: Callable[[list[int]], list[tuple[CapturedMessage, None]]],
    advance: Callable[[int], object],
) -> list[tuple[CapturedMessage, Reading | None]]:
    try:
        rows, skipped, problems = future.result()
    except BrokenProcessPool:
        log.warning("the reading worker stopped; reading in-process instead")
        return in_process(task)
    reader.skipped.update(skipped)
    reader.problems += problems
    advance(len(task))
    split = len(_MESSAGE_FIELDS)
    return [
        (CapturedMessage(*row[:split]), (row[split], Classification(*row[split + 1 :])))
        for row in rows
    ]


_classifier: Classifier | None = None
_reader: ExportReader | None = None
_days: list[DayFile] = []
_team_id = ""
_FIELDS = attrgetter(*(f.name for f in fields(Classification)))
_MESSAGE_FIELDS = tuple(f.name for f in fields(CapturedMessage))
_MESSAGE = attrgetter(*_MESSAGE_FIELDS)


def _start(
    classifier: Classifier,
    root: Path,
    emoji: frozenset[str],
    channels: list[str] | None,
    team_id: str,
) -> None:
    """The worker's state; an export is opened afresh (a zip's file offset is not shared)."""
    global _classifier, _reader, _days, _team_id
    _classifier = classifier
    _reader = ExportReader(root, emoji, channels)
    _days, _team_id = _reader.day_files(), team_id


def _load_in_worker(task: list[int]) -> tuple[list[tuple], Counter[str], list[str]]:
    """A task's messages with their readings as plain tuples, and what it skipped and why."""
    assert _classifier is not None and _reader is not None
    _reader.skipped, _reader.problems = Counter(), []
    rows = []
    for i in task:
        for message in _reader.read_day(_days[i], _team_id):
            text, result = read(_classifier, message.text, reply=message.is_reply)
            rows.append((*_MESSAGE(message), text, *_FIELDS(result)))
    return rows, _reader.skipped, _reader.problems
