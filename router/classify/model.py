"""The learned half of triage: a saved model and what it thinks of one message.

One TF-IDF vocabulary over `features.features` and one multinomial logistic
regression per label, whose inputs are the words and the rules' evidence
(`evidence.py`).  Training lives in `training.py`; prediction does not go through
scikit-learn: the model keeps the vocabulary, the IDF weights and the
coefficients as plain arrays and scores a message's words for every label with
one gather and one small matrix product, and its few evidence inputs in plain
Python, which is what makes thousands of messages a second.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from math import exp
from operator import add
from pathlib import Path

import numpy as np

from router.classify.calibration import Calibrator
from router.classify.config import TriageConfig
from router.classify.evidence import Sparse, category_evidence, urgency_evidence
from router.classify.features import features
from router.classify.features import readable as is_readable
from router.classify.rules import RuleMatches

LABELS = ("category", "urgency")


@dataclass(frozen=True, slots=True)
class Head:
    """The regression of one label."""
    classes: tuple[str, ...]
    text: np.ndarray               # (features, classes)
    evidence: np.ndarray           # (evidence inputs, classes)
    bias: np.ndarray               # (classes,)
    _rows: list = field(init=False, repr=False, compare=False)    # evidence as Python lists
    _bias: list = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rows", np.asarray(self.evidence, dtype=np.float64).tolist())
        object.__setattr__(self, "_bias", np.asarray(self.bias, dtype=np.float64).tolist())

    def probabilities(self, words: list[float], evidence: Sparse) -> dict[str, float]:
        """Class probabilities from the words' part of the logits and the evidence."""
        # A dozen numbers and a few evidence inputs: plain Python is faster here
        # than numpy's overhead per call.
        z = list(map(add, words, self._bias))
        rows = self._rows
        for i, value in evidence:
            # Most evidence inputs are 1.0 (a flag): then a plain sum will do.
            z = list(map(add, z, rows[i])) if value == 1.0 else [a + value * b for a, b in zip(z, rows[i], strict=True)]
        top = max(z)
        p = [exp(v - top) for v in z]
        total = sum(p)
        return dict(zip(self.classes, [v / total for v in p], strict=True))


@dataclass(frozen=True)
class TriageModel:
    vocab: dict[str, int]          # feature string -> row
    idf: np.ndarray                # (features,)
    heads: dict[str, Head]         # label -> head
    categories: tuple[str, ...]    # the label order the evidence was built with
    urgencies: tuple[str, ...]
    info: dict = field(default_factory=dict)   # how it was trained (hyperparameters, sizes)
    calibrators: dict[str, Calibrator] = field(default_factory=dict)   # label -> raw score to confidence
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def fits(self, config: TriageConfig) -> bool:
        """Whether the model was trained for the labels `config` uses."""
        return self.categories == config.categories and self.urgencies == config.urgencies

    def analyse(self, text: str, channel: str, matches: RuleMatches, config: TriageConfig) -> Analysis:
        """What the model thinks of normalised `text` with the rules' `matches`."""
        return self.analyse_features(features(text, channel), matches, config)

    def analyse_features(self, feature_list: list[str], matches: RuleMatches, config: TriageConfig) -> Analysis:
        """The same, from the message's features (training has them already)."""
        get = self.vocab.get
        counts = Counter(filter(None, map(get, feature_list)))   # known features' rows (never 0, see training)
        rows = np.fromiter(counts, dtype=np.intp, count=len(counts))
        values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        values = (np.log(values) + 1.0) * self.idf[rows]      # sublinear TF times IDF, as trained
        norm = math.sqrt(values @ values) or 1.0
        joint, spans = self.joint()
        # Every head's logits from the words alone, L2-normalised as in training.
        words = [w / norm for w in (values @ joint[rows]).tolist()]
        return Analysis(self, rows, values, {name: words[span] for name, span in spans.items()}, matches, config)

    def joint(self) -> tuple[np.ndarray, dict[str, slice]]:
        """The word weights of every head side by side, so that one gather serves all."""
        if "joint" not in self._cache:
            spans, start = {}, 0
            for name, head in self.heads.items():
                spans[name] = slice(start, start + len(head.classes))
                start += len(head.classes)
            matrix = np.ascontiguousarray(np.hstack([h.text for h in self.heads.values()]))
            self._cache["joint"] = (matrix, spans)
        return self._cache["joint"]

    def names(self) -> tuple[list[str], np.ndarray]:
        """Row -> feature string, and the word weights of each class (one row per
        class) with the features an agent cannot read zeroed; built on first use,
        for the reasons only."""
        if "names" not in self._cache:
            names = [""] * (len(self.vocab) + 1)
            for feature, row in self.vocab.items():
                names[row] = feature
            readable = np.array([bool(name) and is_readable(name) for name in names], dtype=np.float64)
            self._cache["names"] = (names, np.ascontiguousarray((self.joint()[0] * readable[:, None]).T))
        return self._cache["names"]

    def save(self, path: str | Path) -> None:
        """Write the model to `path`: arrays and a JSON header, no pickle (`model_file.py`);
        word weights in single precision."""
        from router.classify.model_file import write

        vocabulary = [""] * len(self.vocab)
        for feature, row in self.vocab.items():
            vocabulary[row - 1] = feature            # rows start at 1 (see training.fit)
        arrays = {"idf": self.idf.astype(np.float32)}
        for name, head in self.heads.items():
            arrays |= {f"{name}.text": head.text.astype(np.float32),
                       f"{name}.evidence": np.asarray(head.evidence, dtype=np.float64),
                       f"{name}.bias": np.asarray(head.bias, dtype=np.float64)}
        for name, calibrator in self.calibrators.items():
            arrays |= {f"calibration.{name}.x": np.asarray(calibrator.x, dtype=np.float64),
                       f"calibration.{name}.y": np.asarray(calibrator.y, dtype=np.float64)}
        header = {"vocabulary": vocabulary, "categories": list(self.categories), "urgencies": list(self.urgencies),
                  "heads": {name: list(head.classes) for name, head in self.heads.items()}, "info": self.info}
        write(path, header, arrays)

class Analysis:
    """The model's view of one message.  Urgency depends on the category chosen, so
    it is asked for once the category is decided."""

    def __init__(self, model: TriageModel, rows: np.ndarray, values: np.ndarray, words: dict[str, list[float]],
                 matches: RuleMatches, config: TriageConfig) -> None:
        self.model, self.rows, self.values, self._words = model, rows, values, words
        self.matches, self.config = matches, config
        evidence = category_evidence(matches, model.categories, config.combine["rule_scale"])
        self.category = model.heads["category"].probabilities(words["category"], evidence)

    def urgency(self, category: str) -> dict[str, float]:
        """Urgency probabilities for a message of `category`."""
        model = self.model
        evidence = urgency_evidence(self.matches, category, self.config, model.categories, model.urgencies)
        return model.heads["urgency"].probabilities(self._words["urgency"], evidence)

    def words(self, label: str, cls: str, n: int = 3) -> list[str]:
        """The words of this message that pushed hardest towards `cls`."""
        head = self.model.heads[label]
        if cls not in head.classes or not len(self.rows):
            return []
        names, weights = self.model.names()
        push = self.values * weights[self.model.joint()[1][label].start + head.classes.index(cls)][self.rows]
        top = np.argpartition(-push, n)[:n] if len(push) > n else np.arange(len(push))
        ranked = sorted(zip(push[top].tolist(), self.rows[top].tolist(), strict=True), reverse=True)
        return [names[row] for weight, row in ranked if weight > 0]


def load_model(path: str | Path) -> TriageModel | None:
    """The model saved at `path`, or None when there is none (rules alone then).

    Raises `model_file.ModelFileError` (a ValueError naming the file) for anything
    but a model file of the current format, pickles included: they are never loaded.
    """
    from router.classify.model_file import read

    path = Path(path)
    if not path.exists():
        return None
    header, arrays = read(path)
    vocab = {feature: row for row, feature in enumerate(header["vocabulary"], start=1)}
    heads = {name: Head(tuple(classes), arrays[f"{name}.text"].astype(np.float64), arrays[f"{name}.evidence"],
                        arrays[f"{name}.bias"])
             for name, classes in header["heads"].items()}
    calibrators = {name: Calibrator(tuple(arrays[f"calibration.{name}.x"].tolist()),
                                    tuple(arrays[f"calibration.{name}.y"].tolist()))
                   for name in LABELS if f"calibration.{name}.x" in arrays}
    return TriageModel(vocab, arrays["idf"].astype(np.float64), heads, tuple(header["categories"]),
                       tuple(header["urgencies"]), header.get("info", {}), calibrators)
