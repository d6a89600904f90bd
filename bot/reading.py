"""The half of ingesting that needs no ledger: a message's text redacted and classified.

It costs about as much CPU as writing the rows, so a large import reads each batch in a worker
process while the main process writes the batch before it: two cores at work, batches in their
original order, and the same `read` as in-process, so the ledger ends up the same either way.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import fields
from operator import attrgetter

from bot.capture import CapturedMessage
from bot.privacy import redact
from classifiers import Classification, Classifier

log = logging.getLogger(__name__)

Reading = tuple[str, Classification]
"""A message's redacted text and that text's classification."""

AHEAD = 2
"""Batches read ahead of the writer: enough to keep both busy, few enough for flat memory."""


def read(classifier: Classifier, text: str, *, reply: bool) -> Reading:
    redacted = redact(text)
    return redacted, classifier.classify(redacted, reply=reply)


def read_ahead(
    classifier: Classifier, batches: Iterable[list[CapturedMessage]]
) -> Iterator[tuple[list[CapturedMessage], list[Reading] | None]]:
    """Each batch with its readings, worked out in a worker process ahead of the caller.

    The first batch comes back unread (the caller reads it in-process): an import of one
    batch never starts a process. Where processes cannot be forked, or the worker dies,
    batches come back unread and the caller reads them itself, so nothing is lost.
    """
    stream = iter(batches)
    first = next(stream, None)
    if first is None:
        return
    yield first, None
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from ((batch, None) for batch in stream)
        return
    # fork: the worker starts at once with the classifier already built (no re-import, no
    # pickling of the catalog's regexes); it only computes, so no lock or socket is shared.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, context, initializer=_start, initargs=(classifier,)) as pool:
        pending: deque[tuple[list[CapturedMessage], Future[list[tuple]]]] = deque()
        for batch in stream:
            pending.append(
                (batch, pool.submit(_read_in_worker, [(m.text, m.is_reply) for m in batch]))
            )
            if len(pending) > AHEAD:
                yield _result(*pending.popleft())
        while pending:
            yield _result(*pending.popleft())


def _result(
    batch: list[CapturedMessage], future: Future[list[tuple]]
) -> tuple[list[CapturedMessage], list[Reading] | None]:
    try:
        return batch, [(text, Classification(*values)) for text, *values in future.result()]
    except BrokenProcessPool:
        log.warning("the reading worker stopped; reading in-process instead")
        return batch, None


_classifier: Classifier | None = None
_FIELDS = attrgetter(*(f.name for f in fields(Classification)))


def _start(classifier: Classifier) -> None:
    global _classifier
    _classifier = classifier


def _read_in_worker(items: list[tuple[str, bool]]) -> list[tuple]:
    """Readings as plain tuples: a tenth of the cost of pickling Classification objects."""
    assert _classifier is not None
    readings = (read(_classifier, text, reply=reply) for text, reply in items)
    return [(text, *_FIELDS(result)) for text, result in readings]
