"""How sure triage is of each label: a raw score from the model and the rules, mapped
to the share of such decisions that were right (a calibrated confidence).

The raw score of a chosen label joins two independent voices with a noisy OR:
the model's probability for the label, p, and the rules' weight behind it, s,
squashed into 0..1 as the model sees it (`evidence.squash`):

    raw = 1 - (1 - p) * (1 - s)

so a label both the words and the rules back scores higher than either alone, and
a label the rules force with the model unsure still scores by the rules' weight.
Raw scores are not probabilities (the model is trained on rule-thinned copies and
its classes are weighted); training maps them to the share of correct decisions
with an isotonic regression fitted on out-of-fold decisions (the same inner
cross-validation that picks the regularisation, `training.choose_c`), stored in
the model file.  Rules alone have no such map: their confidence is the raw score,
marked uncalibrated.  A secret found is certain (1.0): it is critical security
whatever else the message says.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from router.classify.evidence import squash


def raw_score(model_probability: float, rule_total: float, scale: float) -> float:
    """The noisy OR of the model's probability and the rules' squashed weight."""
    return 1.0 - (1.0 - model_probability) * (1.0 - squash(rule_total, scale))


@dataclass(frozen=True, slots=True)
class Calibrator:
    """A monotone piecewise-linear map from raw score to the share of right decisions."""
    x: tuple[float, ...]
    y: tuple[float, ...]

    def __call__(self, raw: float) -> float:
        x, y = self.x, self.y
        if not x:
            return raw
        if raw <= x[0]:
            return y[0]
        if raw >= x[-1]:
            return y[-1]
        i = bisect_right(x, raw)
        x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (raw - x0) / (x1 - x0)


def fit_calibrator(raw: Sequence[float], correct: Sequence[bool]) -> Calibrator:
    """The isotonic map from out-of-fold raw scores to whether those decisions were right."""
    from sklearn.isotonic import IsotonicRegression

    if len(raw) < 20 or len(set(correct)) < 2:
        return Calibrator((), ())          # too little to learn from: the raw score stands
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    iso.fit(list(raw), [float(c) for c in correct])
    return Calibrator(tuple(float(v) for v in iso.X_thresholds_), tuple(float(v) for v in iso.y_thresholds_))


@dataclass(frozen=True, slots=True)
class Reliability:
    """A reliability table: per confidence bin, how many decisions, their mean
    confidence and their accuracy; and the expected calibration error."""
    rows: tuple[tuple[float, float, int, float, float], ...]   # low, high, n, mean confidence, accuracy
    ece: float
    n: int

    def format(self, label: str) -> list[str]:
        lines = [f"  {label} confidence: expected calibration error {self.ece:.3f} over {self.n} decisions",
                 "      bin          n   confidence  accuracy"]
        lines += [f"    {low:.1f}-{high:.1f}  {n:>6}      {conf:6.3f}    {acc:6.3f}"
                  for low, high, n, conf, acc in self.rows if n]
        return lines


def reliability(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> Reliability:
    """Equal-width bins over 0..1; ECE is the count-weighted gap between confidence and accuracy."""
    groups: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for c, ok in zip(confidence, correct, strict=True):
        groups[min(int(c * bins), bins - 1)].append((c, ok))
    rows, gap, total = [], 0.0, len(confidence)
    for i, group in enumerate(groups):
        n = len(group)
        conf = sum(c for c, _ in group) / n if n else 0.0
        acc = sum(ok for _, ok in group) / n if n else 0.0
        gap += n * abs(conf - acc)
        rows.append((i / bins, (i + 1) / bins, n, conf, acc))
    return Reliability(tuple(rows), gap / total if total else 0.0, total)
