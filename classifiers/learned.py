"""The second opinion: which domain a message's words belong to, learned from labelled incidents.

A Complement Naive Bayes over domains whose features are the *set* of word unigrams and bigrams
(scikit-learn's `CountVectorizer(binary=True, ngram_range=(1, 2), min_df=2)` tokens, on the
normalised, lowercased text) with `ComplementNB(alpha=0.3)`: on real threads the rules had not
seen it raised domain accuracy where a TF-IDF + logistic regression over signatures did not
(docs/classifier.md). Written out in plain Python, as counts, so a call costs microseconds and
needs neither numpy nor scikit-learn, and a model file is JSON: nothing is ever unpickled.

The model keeps, per domain, how many training messages held each term; the weights are derived
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

from classifiers.normalize import normalize

FORMAT = "friction-second-opinion/1"
ALPHA = 0.3
"""Smoothing: every term counts as seen `ALPHA` more times outside each domain."""
MIN_DF = 2
"""A term of the training corpus is kept when at least this many messages hold it."""
PACKAGED = Path(__file__).with_name("second_opinion.json")
"""The model shipped with the package, fitted by scripts/train_second_opinion.py."""

# CountVectorizer's default token_pattern is r"(?u)\b\w\w+\b"; scanning left to right, a greedy run
# of word characters can only start and end at word boundaries, so the same tokens come out
# without the boundary checks, a third faster.
_TOKEN = re.compile(r"\w\w+")
_FIXED = 2.0**40  # gains in fixed point, see SecondOpinion
# Bits per domain: sums up to 2^24, over a million terms in one message even at the largest
# gain a million training messages could give, log(1e6 / alpha) = 15.
_FIELD = 64
_MASK = (1 << _FIELD) - 1


class SecondOpinionError(ValueError):
    """A model cannot be fitted or loaded; the message says which file and why."""


def terms(text: str) -> set[str]:
    """The words and adjacent word pairs of a message, as CountVectorizer makes them."""
    tokens = _TOKEN.findall(normalize(text).lower())
    return {*tokens, *map(" ".join, pairwise(tokens))}


class SecondOpinion:
    """Per-domain document counts per term, and the Complement NB weights derived from them.

    ComplementNB scores domain c by the sum, over the message's known terms f, of
    -log((A_f + alpha - n_cf) / Z_c): n_cf messages of c hold f, A_f messages in all, and Z_c
    sums the numerator over the vocabulary. Probabilities are the softmax of those scores, which
    a shift common to every domain leaves unchanged; so only log Z_c per term and, for the few
    domains that hold a term, the gain log(A_f + alpha) - log(A_f + alpha - n_cf) need computing.

    A term's gains are packed into one integer, each domain's in fixed point in its own 64-bit
    field: a message's gains for every domain are then one `sum` of integers, in C. A tuple of
    ten floats per term made each call about a third slower (more objects to read); rounding to
    2^-40 per term is far below the 1e-9 the tests hold the probabilities to.
    """

    def __init__(
        self, counts: Mapping[str, Mapping[str, int]], documents: Mapping[str, int]
    ) -> None:
        """`counts[domain][term]`: training messages of `domain` holding `term`;
        `documents[domain]`: training messages of `domain` (the classes, even with no term).
        The version is a hash of `to_json()`, the text `save` writes: a saved model loads with
        the version it had."""
        if len(documents) < 2:
            raise SecondOpinionError("needs labelled incidents of two domains or more")
        self.counts = {d: dict(counts.get(d, {})) for d in sorted(documents)}
        self.documents = dict(sorted(documents.items()))
        self.domains = tuple(self.documents)
        digest = hashlib.sha256(self.to_json().encode()).hexdigest()
        self.version = f"nb-{digest[:10]}"
        self._log_norm, self._gains = self._derive()
        self._fields = [_FIELD * i for i in range(len(self.domains))]

    def _derive(self) -> tuple[list[float], dict[str, int]]:
        held = _held(self.counts)  # A_f
        total = held.total()
        vocabulary = len(held)
        log_norm = [
            math.log(total - sum(self.counts[d].values()) + ALPHA * vocabulary)
            for d in self.domains
        ]
        gains: Counter[str] = Counter()  # never 0: a term is held by some domain, n_cf >= 1
        for index, domain in enumerate(self.domains):
            for term, n in self.counts[domain].items():
                all_of_it = held[term] + ALPHA
                gain = math.log(all_of_it) - math.log(all_of_it - n)
                gains[term] += round(gain * _FIXED) << (_FIELD * index)
        return log_norm, dict(gains)

    @classmethod
    def fit(cls, examples: Iterable[tuple[str, str]], min_df: int = MIN_DF) -> SecondOpinion:
        """Fit on (text, domain) pairs; terms held by fewer than `min_df` messages are dropped."""
        documents: Counter[str] = Counter()
        counts: dict[str, Counter[str]] = {}
        _add(examples, documents, counts)
        kept = {t for t, n in _held(counts).items() if n >= min_df}
        return cls(
            {d: {t: n for t, n in c.items() if t in kept} for d, c in counts.items()}, documents
        )

    def refined(self, examples: Iterable[tuple[str, str]]) -> SecondOpinion:
        """This model plus (text, domain) examples, each of whose terms counts even if seen once
        (a TA's tag is deliberate; the corpus's single words are mostly noise)."""
        documents = Counter(self.documents)
        counts = {d: Counter(c) for d, c in self.counts.items()}
        _add(examples, documents, counts)
        return SecondOpinion(counts, documents)

    def predict(self, text: str) -> tuple[str, float]:
        """The most probable domain of `text` and its probability (ComplementNB's predict_proba)."""
        known = list(filter(None, map(self._gains.get, terms(text))))
        packed, n = sum(known), len(known)
        scores = [
            n * z + ((packed >> field) & _MASK) / _FIXED
            for z, field in zip(self._log_norm, self._fields, strict=True)
        ]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        best = scores.index(top)
        return self.domains[best], exps[best] / math.fsum(exps)

    def to_json(self) -> str:
        """The model file's text: counts only, sorted, compact (the same model, the same bytes)."""
        payload = {"format": FORMAT, "documents": self.documents, "counts": self.counts}
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
            return cls(payload["counts"], payload["documents"])
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise SecondOpinionError(f"{path} is a damaged model ({exc!r}); {retrain}") from None


def _add(
    examples: Iterable[tuple[str, str]],
    documents: Counter[str],
    counts: dict[str, Counter[str]],
) -> None:
    """Count (text, domain) examples in: one more message of the domain, holding its terms."""
    for text, domain in examples:
        documents[domain] += 1
        counts.setdefault(domain, Counter()).update(terms(text))


def _held(counts: Mapping[str, Mapping[str, int]]) -> Counter[str]:
    """How many messages hold each term, in all domains (a message is of one domain)."""
    held: Counter[str] = Counter()
    for by_term in counts.values():
        held.update(by_term)
    return held


@cache
def packaged_second_opinion() -> SecondOpinion:
    """The packaged model, loaded once per process and shared (predicting changes nothing)."""
    return SecondOpinion.load(PACKAGED)
