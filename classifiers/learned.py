"""An optional learned stage, fitted on TA-tagged incidents, for messages the rules are unsure of.

TF-IDF over words and character n-grams with a logistic regression: small, fast, and good at
the wording of one course that the catalog has not seen. scikit-learn is in the `.[ml]` extra,
so it is imported only when a model is fitted or loaded. A model file is a pickle: load only
files that `friction train` wrote.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifiers.normalize import normalize

FORMAT = "friction-learned-stage/1"


class LearnedStageError(ValueError):
    """The learned stage cannot be fitted or loaded; the message says why."""


@dataclass(frozen=True, slots=True)
class Prediction:
    signature: str
    probability: float


class LearnedStage:
    """A fitted text classifier from message text to signature id."""

    def __init__(self, pipeline: Any, digest: str) -> None:
        self._pipeline = pipeline
        self.version = f"model-{digest}"

    @classmethod
    def fit(cls, examples: Iterable[tuple[str, str, str]]) -> LearnedStage:
        """Fit on (text, domain, signature) triples; needs two signatures or more."""
        texts, labels = [], []
        for text, domain, signature in examples:
            if not signature.startswith(f"{domain}."):
                raise LearnedStageError(f"signature {signature!r} is not in domain {domain!r}")
            texts.append(_features(text))
            labels.append(signature)
        if len(set(labels)) < 2:
            raise LearnedStageError("need tagged examples of at least two signatures to fit")
        pipeline = build_pipeline()
        pipeline.fit(texts, labels)
        digest = hashlib.sha256(
            "\n".join(f"{s}\t{t}" for t, s in zip(texts, labels, strict=True)).encode()
        )
        return cls(pipeline, digest.hexdigest()[:10])

    def predict(self, text: str) -> Prediction:
        probabilities = self._pipeline.predict_proba([_features(text)])[0]
        best = probabilities.argmax()
        return Prediction(str(self._pipeline.classes_[best]), float(probabilities[best]))

    def save(self, path: str | Path) -> None:
        payload = {"format": FORMAT, "version": self.version, "pipeline": self._pipeline}
        Path(path).write_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))

    @classmethod
    def load(cls, path: str | Path) -> LearnedStage:
        _require_sklearn()
        try:
            payload = pickle.loads(Path(path).read_bytes())
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            raise LearnedStageError(f"{path}: not a learned-stage file ({exc})") from exc
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise LearnedStageError(f"{path}: not a learned-stage file of format {FORMAT}")
        return cls(payload["pipeline"], payload["version"].removeprefix("model-"))


def build_pipeline() -> Any:
    """The unfitted TF-IDF + logistic regression pipeline (also the benchmark's baseline)."""
    _require_sklearn()
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True
                ),
            ),
        ]
    )
    return make_pipeline(features, LogisticRegression(max_iter=2000, C=10.0))


def _features(text: str) -> str:
    return normalize(text).lower()


def _require_sklearn() -> None:
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise LearnedStageError(
            "the learned stage needs scikit-learn: pip install 'friction-ledger[ml]'"
        ) from exc
