"""Every decision carries a confidence: a raw score (model and rules, noisy OR) mapped
through the model's isotonic calibration; a secret is certain; the reliability table
and the critical threshold sweep measure it."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from router.classify import classify, load_model, train
from router.classify.calibration import Calibrator, fit_calibrator, raw_score, reliability
from router.classify.parking import park_reason
from router.classify.threshold import Point, choose

from .conftest import REPO


def test_raw_score_joins_model_and_rules_with_a_noisy_or():
    assert raw_score(0.0, 0.0, 3.0) == 0.0
    assert raw_score(0.6, 0.0, 3.0) == pytest.approx(0.6)
    assert raw_score(0.0, 3.0, 3.0) == pytest.approx(0.5)             # squash(3, 3) = 0.5
    assert raw_score(0.6, 3.0, 3.0) == pytest.approx(1 - 0.4 * 0.5)   # both voices: surer than either


def test_calibrator_interpolates_between_its_points_and_clips_outside():
    calibrator = Calibrator((0.2, 0.6, 1.0), (0.1, 0.5, 0.9))
    assert calibrator(0.0) == 0.1 and calibrator(1.0) == 0.9
    assert calibrator(0.4) == pytest.approx(0.3)
    assert Calibrator((), ())(0.42) == 0.42, "no calibration: the raw score stands"


def test_isotonic_fit_maps_raw_scores_to_the_share_that_was_right():
    # Raw 0.9 was right half the time, raw 0.99 always: an overconfident raw score.
    raw = [0.9] * 20 + [0.99] * 20
    correct = [True, False] * 10 + [True] * 20
    calibrator = fit_calibrator(raw, correct)
    assert calibrator(0.9) == pytest.approx(0.5)
    assert calibrator(0.99) == pytest.approx(1.0)
    assert fit_calibrator([0.5] * 5, [True] * 5) == Calibrator((), ()), "too little to learn from"


def test_reliability_table_and_expected_calibration_error():
    perfect = reliability([0.75] * 4, [True, True, True, False])
    assert perfect.ece == pytest.approx(0.0)
    over = reliability([0.95] * 10, [True] * 5 + [False] * 5)
    assert over.ece == pytest.approx(0.45)
    row = next(r for r in over.rows if r[2])
    assert row[:3] == (0.9, 1.0, 10) and row[4] == pytest.approx(0.5)
    assert "expected calibration error 0.450" in "\n".join(over.format("category"))


def test_critical_threshold_is_the_best_precision_at_the_recall_floor():
    points = [Point(0.1, 1.0, 0.70, 40), Point(0.2, 0.98, 0.85, 33), Point(0.3, 0.98, 0.85, 33),
              Point(0.4, 0.95, 0.95, 28)]
    assert choose(points, 0.97).threshold == 0.2, "best precision with recall >= 0.97; ties: the lower"
    assert choose(points, 0.99).threshold == 0.1
    plateau = [Point(0.1, 0.96, 0.90, 40), Point(0.5, 0.96, 0.92, 38), Point(0.6, 0.96, 0.92, 38),
               Point(0.9, 0.95, 0.93, 36)]
    assert choose(plateau, 0.97).threshold == 0.5, "none reaches the floor: the most recall, then precision"
    assert choose([], 0.97) is None


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """A model trained (with its calibration) on a ninth of the team's examples."""
    lines = (REPO / "config" / "triage-examples.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines[::9]]
    path = tmp_path_factory.mktemp("model") / "small.npz"
    trained = train(records, path)
    return trained, path


def test_training_calibrates_both_labels_and_the_file_keeps_the_calibration(small_model):
    trained, path = small_model
    assert set(trained.calibrators) == {"category", "urgency"}
    for calibrator in trained.calibrators.values():
        assert calibrator.x and list(calibrator.y) == sorted(calibrator.y), "monotone"
        assert all(0.0 <= y <= 1.0 for y in calibrator.y)
    assert load_model(path).calibrators == trained.calibrators


def test_every_decision_carries_a_calibrated_confidence_and_says_it(small_model):
    trained, _ = small_model
    for text in ("my wallet was drained, all USDT gone", "what are the withdrawal limits", "hello?",
                 "app crashes when I open the swap page"):
        result = classify(text, model=trained)
        assert result.calibrated
        assert set(result.confidence) == {"category", "urgency"}
        assert all(0.0 <= v <= 1.0 for v in result.confidence.values())
        assert result.reasons[-1].startswith(f"confidence: category {result.confidence['category']:.2f}")
    alone = classify("hello?")
    assert not alone.calibrated and alone.reasons[-1].endswith("(uncalibrated)")


def test_a_secret_is_certain_and_never_parked_whatever_the_floor(small_model, rules):
    trained, _ = small_model
    strict = replace(rules.config, triage_below=0.99)
    result = classify("hi, my key is here [REDACTED:private_key] is that ok?", model=trained)
    assert (result.category, result.urgency) == ("security", "critical")
    assert result.secret and result.confidence == {"category": 1.0, "urgency": 1.0}
    assert park_reason(result, strict) is None
    unsure = classify("hmm", model=trained)
    assert min(unsure.confidence.values()) < 0.99
    assert "pool triage" in park_reason(unsure, strict)
    assert park_reason(unsure, replace(rules.config, triage_below=0.0)) is None, "0 turns parking off"
    assert park_reason(classify("hmm"), strict) is None, "rules alone are not calibrated: never parked"
