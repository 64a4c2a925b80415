"""Cross-validation on the labelled corpus meets the targets, and is honest about it:
each fold's model never sees the messages it is scored on."""
from __future__ import annotations

import importlib
import re
from collections import Counter

from report_figures import LABELS, assert_same, expected, expected_secrets, printed, printed_secrets
from router.classify import evaluate
from router.classify.evaluate import TARGETS

# The package exports the function `evaluate`, which hides the module of that name.
evaluate_module = importlib.import_module("router.classify.evaluate")


def test_cross_validation_meets_the_targets(corpus):
    report = evaluate(corpus, k=5, seed=0)
    system = "rules+model"
    recall, precision = report.critical(system)
    figures = {"category": report.accuracy(system, "category"), "urgency": report.accuracy(system, "urgency"),
               "language": report.accuracy(system, "language"), "critical recall": recall,
               "critical precision": precision}
    assert all(figures[name] >= target for name, target in TARGETS.items()), report.format()
    assert report.secret_found == report.secret_gold


class FoldLog:
    """What evaluate() does in each fold, seen at the two calls that matter: the
    documents `fit` trains each model on, and the texts `classify` scores with each
    model. Both wrappers call the real function (fit at a fixed C that keeps these
    tests quick; it still trains)."""

    def __init__(self, monkeypatch) -> None:
        self.trained: dict[int, set[str]] = {}          # id(model) -> its training documents
        self.scored: list[tuple[int, str]] = []         # (id(model), text) per scoring call
        real_fit, real_classify = evaluate_module.fit, evaluate_module.classify

        def recording_fit(data, config, c=None):
            model = real_fit(data, config, c=1.0)
            self.trained[id(model)] = {" ".join(doc) for doc in data.docs}
            return model

        def recording_classify(text, *args, model=None, **kwargs):
            if model is not None:
                self.scored.append((id(model), text))
            return real_classify(text, *args, model=model, **kwargs)

        monkeypatch.setattr(evaluate_module, "fit", recording_fit)
        monkeypatch.setattr(evaluate_module, "classify", recording_classify)


def tag(i: int) -> str:
    """A word of letters only, unique per record, that features() keeps as a word."""
    letters = ""
    while True:
        letters, i = letters + "abcdefghijklmnopqrstuvwxyz"[i % 26], i // 26
        if not i:
            return "zzrec" + letters


TAG = re.compile(r"zzrec[a-z]+")


def test_each_fold_trains_without_its_test_messages(corpus, monkeypatch):
    # Each record carries its own tag word, so what a fold trained on and what it
    # scored can be told apart record by record, duplicates in the corpus or not.
    records = [dict(r, text=f"{r['text']} {tag(i)}") for i, r in enumerate(corpus[:60])]
    everyone = {tag(i) for i in range(len(records))}
    log = FoldLog(monkeypatch)
    evaluate(records, k=3, seed=1)
    trained = {model: {t for doc in docs for t in TAG.findall(doc)} for model, docs in log.trained.items()}
    scored = {model: [t for m, text in log.scored if m == model for t in TAG.findall(text)] for model in trained}
    assert len(trained) == 3 and {m for m, _ in log.scored} == set(trained), "3 folds, each scored by its model"
    for model in trained:
        assert scored[model] and not trained[model] & set(scored[model])
        assert trained[model] | set(scored[model]) == everyone, "a fold trains on all the other records"
    every_score = Counter(t for tags in scored.values() for t in tags)
    assert set(every_score) == everyone and set(every_score.values()) == {1}, "each record scored exactly once"


def test_report_prints_the_figures_of_both_systems(corpus, rules):
    from router.classify import classify
    from router.secrets.redact import redact_message

    records = corpus[:40]
    report = evaluate(records, k=2, seed=0, rules=rules)
    text = report.format()
    gold = {label: [r[label] for r in records] for label in LABELS}
    # Rules alone, worked out here message by message as the pipeline would: redact, classify.
    alone, found = {label: [] for label in LABELS}, []
    for r in records:
        body, subject, kinds = redact_message(r["text"], r["subject"])
        result = classify(body, subject, r["channel"], kinds, rules=rules)
        for label in LABELS:
            alone[label].append(getattr(result, label))
        found.append(bool(kinds))
    assert_same(printed(text, "rules only"), expected(gold, alone))
    # The model's predictions come from the folds; the figures printed must be theirs.
    assert_same(printed(text, "rules+model"), expected(gold, report.predicted["rules+model"]))
    assert printed_secrets(text) == expected_secrets([r["contains_secret"] for r in records], found)


def test_extra_records_train_every_fold_and_are_never_scored(corpus, monkeypatch):
    from router.classify.features import features
    from router.classify.normalise import join_subject, normalise

    extra = [{"id": "team-1", "channel": "chat", "subject": "", "text": "my hamster ate the hardware wallet cable",
              "category": "technical", "urgency": "normal", "language": "en"},
             {"id": "team-2", "channel": "email", "subject": "合作", "text": "想和贵公司谈谈仓鼠周边的合作",
              "category": "general", "urgency": "low", "language": "zh"}]
    extra_docs = {" ".join(features(normalise(join_subject(r["subject"], r["text"])), r["channel"])) for r in extra}
    log = FoldLog(monkeypatch)
    report = evaluate(corpus[:60], k=3, seed=1, extra=extra)
    assert len(log.trained) == 3 and all(extra_docs <= trained_on for trained_on in log.trained.values())
    assert not {"team-1", "team-2"} & set(report.ids) and len(report.ids) == 60
    assert not [text for _, text in log.scored if "hamster" in text or "仓鼠" in text], "extra records never scored"
    assert "every fold also trained on 2 other records" in report.format()


def test_errors_list_every_missed_and_false_critical_by_its_redacted_text(corpus, rules):
    records = corpus[:60]
    report = evaluate(records, k=2, seed=0, rules=rules, show_errors=True)
    text = report.format()
    for system in report.predicted:
        said = report.predicted[system]["urgency"]
        missed = {r["id"] for r, s in zip(records, said, strict=True) if r["urgency"] == "critical" != s}
        false = {r["id"] for r, s in zip(records, said, strict=True) if s == "critical" != r["urgency"]}
        lines = report.critical_errors(system)
        assert {line.split()[2] for line in lines if line.startswith("  missed critical")} == missed
        assert {line.split()[2] for line in lines if line.startswith("  false critical")} == false
        assert all(line in text for line in lines)
    assert "critical errors" in text
    assert "critical errors" not in evaluate(records, k=2, seed=0, rules=rules).format()
    # A secret is listed as its redaction token, never as typed.
    from router.secrets.redact import redact_message

    secret = next(r for r in corpus if r["contains_secret"] and r["urgency"] == "critical")
    listed = evaluate([secret, *records], k=2, seed=0, rules=rules, show_errors=True)
    assert listed.texts[0] == redact_message(secret["text"], secret["subject"])[0]
    assert "[REDACTED:" in listed.texts[0]
