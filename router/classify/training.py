"""Train the triage model from labelled records: words plus the rules' evidence.

Each label gets a multinomial logistic regression over the message's TF-IDF
features and the rules' evidence (`evidence.py`).  The training set is the
records once as they are and `COPIES` more times with a share of their rule hits
dropped, so that the model learns to read the words too and does not follow the
rules blindly where they will miss on new messages.  The regularisation is chosen
by cross-validation inside the training records only (`choose_c`), and the
out-of-fold decisions of that cross-validation, at the C chosen, calibrate the
confidence (`calibration.py`) at no extra training cost.
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from router.classify.calibration import Calibrator, fit_calibrator
from router.classify.config import TriageConfig
from router.classify.evidence import category_evidence, dense, evidence_size, thin, urgency_evidence
from router.classify.features import features
from router.classify.model import LABELS, Head, TriageModel
from router.classify.normalise import join_subject, normalise
from router.classify.rules import RuleMatches, RuleSet, get_rules

C_GRID = (0.5, 2.0, 8.0)  # inverse regularisation tried; the corpus is small, the features many
INNER_FOLDS = 3           # folds of the cross-validation that picks C
MIN_DF = 2                # a feature seen in one message only is noise (or a secret's fragment)
DROPOUT = 0.3             # share of rule hits dropped in each extra copy
COPIES = 2                # extra copies with dropped rule hits
SEED = 0                  # training is deterministic
TOL = 1e-3                # optimiser tolerance: finer changes no decision, only training time


@dataclass(frozen=True, slots=True)
class Prepared:
    """Records in the form training needs: feature lists and rule matches."""
    docs: list[list[str]]
    matches: list[RuleMatches]
    targets: dict[str, list[str]]

    def subset(self, rows: Sequence[int]) -> Prepared:
        return Prepared([self.docs[i] for i in rows], [self.matches[i] for i in rows],
                        {label: [values[i] for i in rows] for label, values in self.targets.items()})


def prepare(texts: Sequence[str], subjects: Sequence[str], channels: Sequence[str],
            targets: dict[str, list[str]], rules: RuleSet) -> Prepared:
    """Features and rule matches of already redacted messages."""
    normalised = [normalise(join_subject(s, t)) for t, s in zip(texts, subjects, strict=True)]
    return Prepared([features(n, c) for n, c in zip(normalised, channels, strict=True)],
                    [rules.match(n) for n in normalised], targets)


def train(records: Iterable[dict], path: str | Path, rules: RuleSet | None = None) -> TriageModel:
    """Train on labelled records (text, subject, channel, category, urgency) and save to `path`.

    Texts are redacted first, as the pipeline does before classifying, so that
    the model sees what it will see in service and never stores a secret.
    """
    from router.secrets.redact import redact

    records = list(records)
    if not records:
        raise ValueError("no records to train on")
    rules = rules if rules is not None else get_rules()
    data = prepare([redact(r.get("text") or "").text for r in records],
                   [redact(r.get("subject") or "").text for r in records],
                   [r.get("channel") or "" for r in records],
                   {label: [r[label] for r in records] for label in LABELS}, rules)
    model = fit(data, rules.config)
    model.save(path)
    return model


def fit(data: Prepared, config: TriageConfig, c: float | None = None) -> TriageModel:
    """Train on prepared records; `c` None picks it by inner cross-validation."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    calibrators: dict = {}
    if c is None:
        c, calibrators = choose_c(data, config)
    vectoriser = TfidfVectorizer(analyzer=_as_is, sublinear_tf=True, min_df=min(MIN_DF, len(data.docs)))
    text = vectoriser.fit_transform(data.docs)
    rng = random.Random(SEED)
    copies = [data.matches] + [[thin(m, rng, DROPOUT) for m in data.matches] for _ in range(COPIES)]
    heads = {label: _fit_head(text, copies, data.targets, label, config, c) for label in LABELS}
    # Rows start at 1: row 0 stays empty, so that prediction can drop unknown
    # features (whose row is None) and keep known ones with one filter.
    vocab = {feature: int(row) + 1 for feature, row in vectoriser.vocabulary_.items()}
    idf = _single(np.concatenate([[0.0], vectoriser.idf_]))
    info = {"records": len(data.docs), "features": len(vocab), "C": c, "dropout": DROPOUT, "copies": COPIES,
            "calibrated": sorted(calibrators)}
    return TriageModel(vocab, idf, heads, config.categories, config.urgencies, info, calibrators)


def choose_c(data: Prepared, config: TriageConfig) -> tuple[float, dict[str, Calibrator]]:
    """The C of `C_GRID` that classifies held-out training records best (category
    and urgency together), by cross-validation inside `data` only; and, fitted on
    that C's out-of-fold decisions, each label's confidence calibration."""
    from router.classify.combine import decide
    from router.classify.evaluate import folds

    if len(data.docs) < 4 * INNER_FOLDS:
        return C_GRID[len(C_GRID) // 2], {}
    splits = list(folds(data.targets["category"], INNER_FOLDS, SEED))
    scores, seen = {}, {}
    for c in C_GRID:
        right = 0
        raw: dict[str, list[float]] = {label: [] for label in LABELS}
        correct: dict[str, list[bool]] = {label: [] for label in LABELS}
        for train_rows, test_rows in splits:
            model = fit(data.subset(train_rows), config, c)
            for i in test_rows:
                analysis = model.analyse_features(data.docs[i], data.matches[i], config)
                decision = decide(data.matches[i], analysis, config)
                for label in LABELS:
                    ok = getattr(decision, label) == data.targets[label][i]
                    right += ok
                    raw[label].append(decision.raw[label])
                    correct[label].append(ok)
        scores[c], seen[c] = right, (raw, correct)
    best = max(C_GRID, key=lambda c: (scores[c], -abs(np.log(c))))   # ties: the middle of the grid
    raw, correct = seen[best]
    return best, {label: fit_calibrator(raw[label], correct[label]) for label in LABELS}


def _as_is(doc: list[str]) -> list[str]:
    return doc


def _evidence(label: str, matches: RuleMatches, category: str, config: TriageConfig) -> np.ndarray:
    # Urgency is learnt with the true category: in service it is asked once the category is decided.
    size = evidence_size(label, config.categories, config.urgencies)
    if label == "category":
        return dense(category_evidence(matches, config.categories, config.combine["rule_scale"]), size)
    return dense(urgency_evidence(matches, category, config, config.categories, config.urgencies), size)


def _fit_head(text, copies: list[list[RuleMatches]], targets: dict[str, list[str]], label: str,
              config: TriageConfig, c: float) -> Head:
    """One label's regression over the words and the evidence of every copy."""
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    evidence = np.vstack([_evidence(label, m, targets["category"][i], config)
                          for copy in copies for i, m in enumerate(copy)])
    matrix = sp.hstack([sp.vstack([text] * len(copies)), sp.csr_matrix(evidence)]).tocsr()
    y = list(targets[label]) * len(copies)
    classes = tuple(sorted(set(y)))
    width = text.shape[1]
    if len(classes) == 1:      # nothing to learn: the one class always
        return Head(classes, np.zeros((width + 1, 1)), np.zeros((evidence.shape[1], 1)), np.zeros(1))
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, tol=TOL)
    clf.fit(matrix, y)
    coef, bias = clf.coef_.T, clf.intercept_
    if len(classes) == 2:      # binary: sklearn keeps one column, for the second class
        coef = np.hstack([np.zeros_like(coef), coef])
        bias = np.array([0.0, bias[0]])
    coef = np.ascontiguousarray(coef, dtype=np.float64)
    words = _single(np.vstack([np.zeros((1, coef.shape[1])), coef[:width]]))    # row 0: see fit()
    return Head(tuple(str(k) for k in clf.classes_), words, coef[width:], bias.astype(np.float64))


def _single(array: np.ndarray) -> np.ndarray:
    """`array` at the precision it is saved with, so a loaded model equals the trained one."""
    return array.astype(np.float32).astype(np.float64)
