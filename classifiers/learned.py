"""The second opinion: what the rules could not say, learned from labelled messages.

Complement Naive Bayes models whose features are the *set* of word unigrams and bigrams
(scikit-learn's `CountVectorizer(binary=True, ngram_range=(1, 2), min_df=2)` tokens, on the
normalised, lowercased text) with `ComplementNB(alpha=0.3)`: one over domains, fitted on
incidents; one over "reports a blocker or not", fitted on every message; and, per domain, one over
its signatures, fitted on its incidents. On real threads the
rules had not seen they raised domain accuracy where a TF-IDF + logistic regression over
signatures did not (docs/classifier.md). Written out in plain Python, as counts, so a call costs
microseconds and needs neither numpy nor scikit-learn, and a model file is JSON: nothing is ever
unpickled.

Each model keeps, per label, how many training messages held each term; the weights are derived
once, at load. `friction train` refines the packaged model with TAs' tags (`refined`).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache
from itertools import pairwise
from pathlib import Path

from classifiers.catalog import Catalog
from classifiers.normalize import normalize

FORMAT = "friction-second-opinion/1"
ALPHA = 0.3
"""Smoothing: every term counts as seen `ALPHA` more times outside each domain."""
MIN_DF = 2
"""A term of the training corpus is kept when at least this many messages hold it."""
PACKAGED = Path(__file__).with_name("second_opinion.json")
"""The model shipped with the package, fitted by scripts/train_second_opinion.py."""
_BLOCKER, _NO_BLOCKER = "blocker", "none"
"""The labels `blockers` learns: a message reporting a blocker, and any other."""

# CountVectorizer's default token_pattern is r"(?u)\b\w\w+\b"; scanning left to right, a greedy run
# of word characters can only start and end at word boundaries, so the same tokens come out
# without the boundary checks, a third faster.
_TOKEN = re.compile(r"\w\w+")
_NOT_WORD = str.maketrans({c: " " for c in map(chr, range(128)) if not (c.isalnum() or c == "_")})
"""Every ASCII character but letters, digits and "_" (the word characters) as a space: ASCII text
(most messages) then splits into the same runs of word characters, in two thirds of the time."""
_FIXED = 2.0**40  # gains in fixed point, see NaiveBayes
# Bits per domain: sums up to 2^24, over a million terms in one message even at the largest
# gain a million training messages could give, log(1e6 / alpha) = 15.
_FIELD = 64
_MASK = (1 << _FIELD) - 1


class SecondOpinionError(ValueError):
    """A model cannot be fitted or loaded; the message says which file and why."""


def terms(text: str) -> set[str]:
    """The words and adjacent word pairs of a message, as CountVectorizer makes them."""
    return lowered_terms(normalize(text).lower())


def lowered_terms(lowered: str) -> set[str]:
    """`terms` of text already normalised and lowercased (as the rules' scan leaves it). A
    classifier makes them once per message and asks every question about the same set."""
    if lowered.isascii():
        tokens = [word for word in lowered.translate(_NOT_WORD).split() if len(word) > 1]
    else:
        tokens = _TOKEN.findall(lowered)
    return {*tokens, *map(" ".join, pairwise(tokens))}


class NaiveBayes:
    """Per-label document counts per term, and the Complement NB weights derived from them.

    ComplementNB scores label c by the sum, over the message's known terms f, of
    -log((A_f + alpha - n_cf) / Z_c): n_cf messages of c hold f, A_f messages in all, and Z_c
    sums the numerator over the vocabulary. Probabilities are the softmax of those scores, which
    a shift common to every label leaves unchanged; so only log Z_c per term and, for the few
    labels that hold a term, the gain log(A_f + alpha) - log(A_f + alpha - n_cf) need computing.

    A term's gains are packed into one integer, each label's in fixed point in its own 64-bit
    field: a message's gains for every label are then one `sum` of integers, in C. A tuple of
    ten floats per term made each call about a third slower (more objects to read); rounding to
    2^-40 per term is far below the 1e-9 the tests hold the probabilities to.
    """

    def __init__(
        self, counts: Mapping[str, Mapping[str, int]], documents: Mapping[str, int]
    ) -> None:
        """`counts[label][term]`: training messages of `label` holding `term`;
        `documents[label]`: training messages of `label` (the classes, even with no term)."""
        if len(documents) < 2:
            raise SecondOpinionError("needs labelled messages of two kinds or more")
        self.counts = {d: dict(counts.get(d, {})) for d in sorted(documents)}
        self.documents = dict(sorted(documents.items()))
        self.labels = tuple(self.documents)
        self._log_norm, self._gains = self._derive()
        self._fields = [_FIELD * i for i in range(len(self.labels))]

    def _derive(self) -> tuple[list[float], dict[str, int]]:
        held = _held(self.counts)  # A_f
        total = held.total()
        vocabulary = len(held)
        log_norm = [
            math.log(total - sum(self.counts[d].values()) + ALPHA * vocabulary) for d in self.labels
        ]
        gains: Counter[str] = Counter()  # never 0: a term is held by some label, n_cf >= 1
        for index, label in enumerate(self.labels):
            for term, n in self.counts[label].items():
                all_of_it = held[term] + ALPHA
                gain = math.log(all_of_it) - math.log(all_of_it - n)
                gains[term] += round(gain * _FIXED) << (_FIELD * index)
        return log_norm, dict(gains)

    @classmethod
    def fit(cls, examples: Iterable[tuple[str, str]], min_df: int = MIN_DF) -> NaiveBayes:
        """Fit on (text, label) pairs; terms held by fewer than `min_df` messages are dropped."""
        documents: Counter[str] = Counter()
        counts: dict[str, Counter[str]] = {}
        _add(examples, documents, counts)
        kept = {t for t, n in _held(counts).items() if n >= min_df}
        return cls(
            {d: {t: n for t, n in c.items() if t in kept} for d, c in counts.items()}, documents
        )

    def refined(self, examples: Iterable[tuple[str, str]]) -> NaiveBayes:
        """This model plus (text, label) examples, each of whose terms counts even if seen once
        (a TA's tag is deliberate; the corpus's single words are mostly noise)."""
        documents = Counter(self.documents)
        counts = {d: Counter(c) for d, c in self.counts.items()}
        _add(examples, documents, counts)
        return NaiveBayes(counts, documents)

    def predict(self, text: str) -> tuple[str, float]:
        """The most probable label of `text` and its probability (ComplementNB's predict_proba)."""
        return self.predict_terms(terms(text))

    def predict_terms(self, message_terms: set[str]) -> tuple[str, float]:
        """`predict` of a message's `terms`."""
        known = list(filter(None, map(self._gains.get, message_terms)))
        packed, n = sum(known), len(known)
        scores = [
            n * z + ((packed >> field) & _MASK) / _FIXED
            for z, field in zip(self._log_norm, self._fields, strict=True)
        ]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        best = scores.index(top)
        return self.labels[best], exps[best] / math.fsum(exps)

    def payload(self) -> dict[str, dict]:
        """What a model file keeps of this model: its counts (the weights derive from them)."""
        return {"documents": self.documents, "counts": self.counts}


class SecondOpinion:
    """Naive Bayes models over the words of labelled messages: which domain an incident belongs
    to (`predict`, asked about every incident), whether a message reports a blocker (`blocker`,
    asked about the roots the rules let pass), and which failure inside a domain an incident is
    (`failure`, asked when no pattern named it). `blockers` learns from every labelled message,
    replies included: answers and advice are full of the words blockers use, so they teach it
    what is not one (trained on roots alone, it took a course lead's "Lab 4 (a Lambda function
    …) is out!" for a report). A model without `blockers` never says a message is one, and one
    without `failures` never names a failure. `friction train` refines them all with TAs' tags
    (`refined`).

    The version is a hash of `to_json()`, the text `save` writes: a saved model loads with the
    version it had.
    """

    def __init__(
        self,
        incidents: NaiveBayes,
        blockers: NaiveBayes | None = None,
        failures: Mapping[str, NaiveBayes] | None = None,
    ) -> None:
        if blockers is not None and set(blockers.labels) != {_BLOCKER, _NO_BLOCKER}:
            raise SecondOpinionError(f"blockers must be labelled {_BLOCKER} or {_NO_BLOCKER}")
        self.incidents, self.blockers = incidents, blockers
        self.failures = dict(sorted((failures or {}).items()))
        for domain, model in self.failures.items():
            if strays := [s for s in model.labels if s.partition(".")[0] != domain]:
                raise SecondOpinionError(f"signatures outside {domain}: {', '.join(strays)}")
        self.domains = incidents.labels
        digest = hashlib.sha256(self.to_json().encode()).hexdigest()
        self.version = f"nb-{digest[:10]}"

    def check(self, catalog: Catalog) -> None:
        """Refuse a model that knows a domain or signature the catalog does not: it could move
        an incident where no signature exists."""
        known = {d.id for d in catalog.domains} | {s.id for s in catalog.signatures}
        learned = {*self.domains, *(s for m in self.failures.values() for s in m.labels)}
        if unknown := learned - known:
            raise SecondOpinionError(
                f"the model knows domains or signatures the catalog does not: "
                f"{', '.join(sorted(unknown))}"
            )

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """Incidents of each domain holding each term."""
        return self.incidents.counts

    @property
    def documents(self) -> dict[str, int]:
        """Incidents of each domain."""
        return self.incidents.documents

    @classmethod
    def fit(
        cls,
        incidents: Iterable[tuple[str, str]],
        messages: Iterable[tuple[str, bool]] = (),
        failures: Iterable[tuple[str, str]] = (),
    ) -> SecondOpinion:
        """Fit on (text, domain) incidents, (text, reports a blocker?) messages and (text,
        signature) incidents; a domain whose incidents hold one signature gets no failure model
        (there is nothing to choose)."""
        labelled = _blocker_labels(messages)
        by_domain = _by_domain(failures)
        return cls(
            NaiveBayes.fit(incidents),
            NaiveBayes.fit(labelled) if labelled else None,
            {d: NaiveBayes.fit(e) for d, e in by_domain.items() if len({s for _, s in e}) > 1},
        )

    def refined(
        self,
        incidents: Iterable[tuple[str, str]],
        messages: Iterable[tuple[str, bool]] = (),
        failures: Iterable[tuple[str, str]] = (),
    ) -> SecondOpinion:
        """This model plus TAs' examples (see `NaiveBayes.refined`); the parts this model lacks
        stay missing (a TA's few tags are no model)."""
        blockers = self.blockers and self.blockers.refined(_blocker_labels(messages))
        by_domain = _by_domain(failures)
        refined = {d: model.refined(by_domain.get(d, ())) for d, model in self.failures.items()}
        return SecondOpinion(self.incidents.refined(incidents), blockers, refined)

    def predict(self, text: str) -> tuple[str, float]:
        """The most probable domain of `text` and its probability (ComplementNB's predict_proba)."""
        return self.incidents.predict(text)

    def predict_terms(self, message_terms: set[str]) -> tuple[str, float]:
        """`predict` of a message's `terms`."""
        return self.incidents.predict_terms(message_terms)

    def failure(self, domain: str, text: str) -> tuple[str, float] | None:
        """The most probable signature of `text` inside `domain` and its probability; None when
        the model knows no failures of that domain."""
        return self.failure_terms(domain, terms(text))

    def failure_terms(self, domain: str, message_terms: set[str]) -> tuple[str, float] | None:
        """`failure` of a message's `terms`."""
        model = self.failures.get(domain)
        return model.predict_terms(message_terms) if model else None

    def blocker(self, text: str) -> float:
        """The probability that a message saying `text` reports a blocker."""
        return self.blocker_terms(terms(text))

    def blocker_terms(self, message_terms: set[str]) -> float:
        """`blocker` of a message's `terms`."""
        if self.blockers is None:
            return 0.0
        label, probability = self.blockers.predict_terms(message_terms)
        return probability if label == _BLOCKER else 1.0 - probability

    def to_json(self) -> str:
        """The model file's text: counts only, sorted, compact (the same model, the same bytes)."""
        payload = {"format": FORMAT, **self.incidents.payload()}
        if self.blockers is not None:
            payload["blockers"] = self.blockers.payload()
        if self.failures:
            payload["failures"] = {d: m.payload() for d, m in self.failures.items()}
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def save(self, path: str | Path) -> None:
        """Write the model file; a path that cannot be written raises SecondOpinionError saying
        which and why, as `load` does for one that cannot be read."""
        try:
            Path(path).write_text(self.to_json() + "\n", encoding="utf-8")
        except OSError as exc:
            raise SecondOpinionError(f"cannot write {path}: {exc.strerror or exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> SecondOpinion:
        """A model file written by `save`; anything else raises SecondOpinionError saying so."""
        retrain = "run `friction train` again to write a new one"
        try:
            payload = json.loads(Path(path).read_bytes().decode("utf-8"))
        except OSError as exc:
            raise SecondOpinionError(f"cannot read {path}: {exc.strerror or exc}") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SecondOpinionError(
                f"{path} is not a second-opinion model (not JSON: an old pickle from "
                f"`friction train`?); {retrain}"
            ) from None
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            found = payload.get("format") if isinstance(payload, dict) else None
            raise SecondOpinionError(
                f"{path} is not a second-opinion model of format {FORMAT} (format: {found!r}); "
                f"{retrain}"
            )
        try:
            blockers = payload.get("blockers")
            return cls(
                NaiveBayes(payload["counts"], payload["documents"]),
                NaiveBayes(blockers["counts"], blockers["documents"]) if blockers else None,
                {
                    d: NaiveBayes(m["counts"], m["documents"])
                    for d, m in payload.get("failures", {}).items()
                },
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise SecondOpinionError(f"{path} is a damaged model ({exc!r}); {retrain}") from None


def _blocker_labels(messages: Iterable[tuple[str, bool]]) -> list[tuple[str, str]]:
    return [(text, _BLOCKER if blocker else _NO_BLOCKER) for text, blocker in messages]


def _by_domain(failures: Iterable[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """(text, signature) examples grouped by the signature's domain."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for text, signature in failures:
        grouped.setdefault(signature.partition(".")[0], []).append((text, signature))
    return grouped


def _add(
    examples: Iterable[tuple[str, str]],
    documents: Counter[str],
    counts: dict[str, Counter[str]],
) -> None:
    """Count (text, label) examples in: one more message of the label, holding its terms."""
    for text, label in examples:
        documents[label] += 1
        counts.setdefault(label, Counter()).update(terms(text))


def _held(counts: Mapping[str, Mapping[str, int]]) -> Counter[str]:
    """How many messages hold each term, under all labels (a message has one label)."""
    held: Counter[str] = Counter()
    for by_term in counts.values():
        held.update(by_term)
    return held


@cache
def packaged_second_opinion() -> SecondOpinion:
    """The packaged model, loaded once per process and shared (predicting changes nothing)."""
    return SecondOpinion.load(PACKAGED)
