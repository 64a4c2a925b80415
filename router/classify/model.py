"""The learned half of triage: train, save, load and apply a per-label text model.

One TF-IDF vocabulary over `features.features` and one multinomial logistic
regression per label (category, urgency), trained with scikit-learn.  Prediction
does not go through scikit-learn: the model keeps the vocabulary, the IDF weights
and the coefficients as plain arrays and scores one message with one gather and
one small matrix product, which is what makes thousands of messages a second.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from router.classify.features import features
from router.classify.normalise import join_subject, normalise

LABELS = ("category", "urgency")
FORMAT = 1            # bump when the saved layout changes
C = 10.0              # inverse regularisation: the corpus is small, the features many
MIN_DF = 2            # a feature seen in one message only is noise (or a secret's fragment)


@dataclass(frozen=True, slots=True)
class Head:
    name: str                      # the label: "category" or "urgency"
    classes: tuple[str, ...]
    columns: slice                 # its columns in TriageModel.weights


@dataclass(frozen=True, slots=True)
class TriageModel:
    vocab: dict[str, int]          # feature string -> row
    idf: np.ndarray                # (features,)
    weights: np.ndarray            # (features, all classes of all heads)
    bias: np.ndarray               # (all classes,)
    heads: tuple[Head, ...]

    def predict(self, text: str, channel: str = "") -> dict[str, dict[str, float]]:
        """Probabilities per label and class for normalised `text`."""
        counts: dict[int, int] = {}
        get = self.vocab.get
        for feature in features(text, channel):
            row = get(feature)
            if row is not None:
                counts[row] = counts.get(row, 0) + 1
        logits = self.bias
        if counts:
            rows = np.fromiter(counts, dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            x = (1.0 + np.log(tf)) * self.idf[rows]         # sublinear TF times IDF, as trained
            x /= math.sqrt(float(x @ x))
            logits = x @ self.weights[rows] + self.bias
        result = {}
        for head in self.heads:
            z = logits[head.columns]
            p = np.exp(z - z.max())
            p /= p.sum()
            result[head.name] = dict(zip(head.classes, p.tolist()))
        return result

    def save(self, path: str | Path) -> None:
        import joblib

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump({"format": FORMAT, "vocab": self.vocab, "idf": self.idf, "weights": self.weights,
                     "bias": self.bias, "heads": [(h.name, h.classes, h.columns.start, h.columns.stop)
                                                  for h in self.heads]}, path)


def load_model(path: str | Path) -> TriageModel | None:
    """The model saved at `path`, or None when there is none (rules alone then)."""
    import joblib

    path = Path(path)
    if not path.exists():
        return None
    data = joblib.load(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a triage model of format {FORMAT}; run `msgrouter train` again")
    heads = tuple(Head(name, tuple(classes), slice(start, stop)) for name, classes, start, stop in data["heads"])
    return TriageModel(data["vocab"], data["idf"], data["weights"], data["bias"], heads)


def document(text: str, subject: str = "", channel: str = "") -> list[str]:
    """The features of one (already redacted) message, as the model sees it."""
    return features(normalise(join_subject(subject, text)), channel)


def fit(docs: Sequence[list[str]], targets: dict[str, Sequence[str]]) -> TriageModel:
    """Train on feature lists `docs` with one label sequence per head in `targets`."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectoriser = TfidfVectorizer(analyzer=_as_is, sublinear_tf=True, min_df=min(MIN_DF, len(docs)))
    matrix = vectoriser.fit_transform(docs)
    blocks, biases, heads, start = [], [], [], 0
    for name, y in targets.items():
        coef, bias, classes = _fit_head(matrix, list(y))
        blocks.append(coef)
        biases.append(bias)
        heads.append(Head(name, classes, slice(start, start + len(classes))))
        start += len(classes)
    vocab = {feature: int(row) for feature, row in vectoriser.vocabulary_.items()}
    return TriageModel(vocab, vectoriser.idf_.astype(np.float64), np.hstack(blocks), np.concatenate(biases),
                       tuple(heads))


def _as_is(doc: list[str]) -> list[str]:
    return doc


def _fit_head(matrix, y: list[str]) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Coefficients (features x classes), biases and classes of one label."""
    from sklearn.linear_model import LogisticRegression

    classes = tuple(sorted(set(y)))
    if len(classes) == 1:      # nothing to learn: the one class always
        return np.zeros((matrix.shape[1], 1)), np.zeros(1), classes
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=5000)
    clf.fit(matrix, y)
    coef, bias = clf.coef_.T, clf.intercept_
    if len(classes) == 2:      # binary: sklearn keeps one column, for the second class
        coef = np.hstack([np.zeros_like(coef), coef])
        bias = np.array([0.0, bias[0]])
    return np.ascontiguousarray(coef), bias.astype(np.float64), tuple(str(c) for c in clf.classes_)


def train(records: Iterable[dict], path: str | Path) -> TriageModel:
    """Train on labelled records (text, subject, channel, category, urgency) and save to `path`.

    Texts are redacted first, as the pipeline does before classifying, so that
    the model sees what it will see in service and never stores a secret.
    """
    from router.redact import redact

    docs, targets = [], {label: [] for label in LABELS}
    for record in records:
        docs.append(document(redact(record.get("text") or "").text, redact(record.get("subject") or "").text,
                             record.get("channel") or ""))
        for label in LABELS:
            targets[label].append(record[label])
    if not docs:
        raise ValueError("no records to train on")
    model = fit(docs, targets)
    model.save(path)
    return model
