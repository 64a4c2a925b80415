"""Cross-validation on the labelled corpus meets the targets, and is honest about it:
each fold's model never sees the messages it is scored on."""
from __future__ import annotations

import importlib

from router.classify import evaluate
from router.classify.evaluate import TARGETS

# The package exports the function `evaluate`, which hides the module of that name.
evaluate_module = importlib.import_module("router.classify.evaluate")


def test_cross_validation_meets_the_targets(corpus):
    report = evaluate(corpus, k=5, seed=0)
    system = "rules+model"
    recall, precision = report.critical(system)
    figures = {"category": report.accuracy(system, "category"), "urgency": report.accuracy(system, "urgency"),
               "language": report.accuracy(system, "language"), "critical recall": recall}
    assert all(figures[name] >= target for name, target in TARGETS.items()), report.format()
    assert precision >= 0.75, report.format()
    assert report.secret_found == report.secret_gold


def record_training_sets(monkeypatch) -> list[set[str]]:
    """The documents each fold's model is trained on, one set per fold, as evaluate()
    calls fit (which still trains, at a fixed C that keeps these tests quick)."""
    seen: list[set[str]] = []
    real_fit = evaluate_module.fit

    def recording_fit(data, config, c=None):
        seen.append({" ".join(doc) for doc in data.docs})
        return real_fit(data, config, c=1.0)

    monkeypatch.setattr(evaluate_module, "fit", recording_fit)
    return seen


def test_each_fold_trains_without_its_test_messages(corpus, monkeypatch):
    from router.classify.features import features
    from router.classify.normalise import join_subject, normalise
    from router.redact import redact

    seen = record_training_sets(monkeypatch)
    small = corpus[:60]
    evaluate(small, k=3, seed=1)
    docs = [" ".join(features(normalise(join_subject(redact(r["subject"]).text, redact(r["text"]).text)),
                              r["channel"])) for r in small]
    splits = list(evaluate_module.folds([r["category"] for r in small], 3, 1))
    assert len(seen) == len(splits) == 3
    for trained_on, (train_rows, test_rows) in zip(seen, splits):
        held_out = {docs[i] for i in test_rows} - {docs[i] for i in train_rows}
        assert trained_on == {docs[i] for i in train_rows}
        assert held_out and not held_out & trained_on


def test_report_format_shows_everything(corpus):
    report = evaluate(corpus[:40], k=2, seed=0)
    text = report.format()
    for part in ("rules+model", "rules only", "category", "urgency", "language", "critical", "confusion",
                 "secrets: recall"):
        assert part in text


def test_extra_records_train_every_fold_and_are_never_scored(corpus, monkeypatch):
    from router.classify.features import features
    from router.classify.normalise import join_subject, normalise

    extra = [{"id": "team-1", "channel": "chat", "subject": "", "text": "my hamster ate the hardware wallet cable",
              "category": "technical", "urgency": "normal", "language": "en"},
             {"id": "team-2", "channel": "email", "subject": "合作", "text": "想和贵公司谈谈仓鼠周边的合作",
              "category": "general", "urgency": "low", "language": "zh"}]
    extra_docs = {" ".join(features(normalise(join_subject(r["subject"], r["text"])), r["channel"])) for r in extra}
    seen = record_training_sets(monkeypatch)
    report = evaluate(corpus[:60], k=3, seed=1, extra=extra)
    assert len(seen) == 3 and all(extra_docs <= trained_on for trained_on in seen)
    assert not {"team-1", "team-2"} & set(report.ids) and len(report.ids) == 60
    assert "every fold also trained on 2 other records" in report.format()
