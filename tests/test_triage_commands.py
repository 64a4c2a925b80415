"""`msgrouter classify` and `msgrouter train` as a desk runs them: real processes,
files on disk, clear errors for bad input, and no secret in anything written."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from mnemonic import Mnemonic

from report_figures import CONFUSION_LABELS, LABELS, assert_same, expected, expected_secrets, printed, printed_secrets

RECORDS = [
    {"id": "a", "channel": "email", "subject": "Withdrawal missing",
     "text": "My withdrawal of 2 ETH three days ago never arrived, the txid shows nothing.",
     "category": "transaction", "urgency": "high", "language": "en", "contains_secret": False},
    {"id": "b", "channel": "chat", "subject": "",
     "text": "怎么把界面语言改成英文？", "category": "technical", "urgency": "low", "language": "zh",
     "contains_secret": False},
    {"id": "c", "channel": "email", "subject": "help",
     "text": "Support on Telegram asked me to verify my wallet, so I sent them: {phrase}",
     "category": "security", "urgency": "critical", "language": "en", "contains_secret": True},
]


def _msgrouter(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSGROUTER_")}
    env["MSGROUTER_MODEL_PATH"] = str(cwd / "model.joblib")
    return subprocess.run([sys.executable, "-m", "router.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _write(tmp_path, records) -> str:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(path)


def test_classify_writes_one_redacted_line_per_record(tmp_path):
    phrase = Mnemonic("english").generate(strength=128)
    records = [dict(r, text=r["text"].format(phrase=phrase)) for r in RECORDS]
    result = _msgrouter("classify", "--jsonl", _write(tmp_path, records), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", "c"]
    for line in lines:
        assert {"category", "urgency", "language", "contains_secret", "text", "reasons"} <= set(line)
        assert line["reasons"], "every decision says why"
        assert set(line["confidence"]) == {"category", "urgency"}, "and how sure it is"
        assert all(0.0 <= v <= 1.0 for v in line["confidence"].values())
    secret = lines[2]
    assert secret["contains_secret"] and (secret["category"], secret["urgency"]) == ("security", "critical")
    assert secret["confidence"] == {"category": 1.0, "urgency": 1.0}, "a secret found is certain"
    assert "[REDACTED:mnemonic]" in secret["text"]
    assert " ".join(phrase.split()[:3]) not in result.stdout + result.stderr
    assert [line["language"] for line in lines] == ["en", "zh", "en"]


def test_classify_eval_reports_accuracy_confusion_critical_and_secrets(tmp_path):
    phrase = Mnemonic("english").generate
    records = [dict(r, text=r["text"].format(phrase=phrase())) for r in RECORDS]
    # Two labels the test knows to be wrong: a handed-over phrase labelled as a harmless
    # Chinese greeting without a secret (redaction finds one: a false alarm, and the
    # rules' critical is not in the labels), and the withdrawal labelled critical and
    # secret-bearing (there is none to find: a missed secret and a missed critical).
    records += [dict(RECORDS[2], id="d", text=RECORDS[2]["text"].format(phrase=phrase()), category="general",
                     urgency="low", language="zh", contains_secret=False),
                dict(RECORDS[0], id="e", urgency="critical", contains_secret=True)]
    path = _write(tmp_path, records)
    plain = _msgrouter("classify", "--jsonl", path, cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    outputs = [json.loads(line) for line in plain.stdout.splitlines()]
    result = _msgrouter("classify", "--jsonl", path, "--eval", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    gold = {label: [r[label] for r in records] for label in LABELS}
    predicted = {label: [o[label] for o in outputs] for label in LABELS}
    wanted = expected(gold, predicted)
    assert_same(printed(result.stdout, "rules only"), wanted)
    secrets = expected_secrets([r["contains_secret"] for r in records], [o["contains_secret"] for o in outputs])
    assert secrets == (1, 2, 1, 3), "c found, e missed, d a false alarm, as the labels were written"
    assert printed_secrets(result.stdout) == secrets
    assert (wanted["critical recall"], wanted["critical precision"]) == (50.0, 50.0), \
        "c hit, e missed, d said but not labelled"


def test_train_writes_a_model_that_classify_then_uses(tmp_path):
    records = [dict(r, text=r["text"].format(phrase="")) for r in RECORDS] * 2
    result = _msgrouter("train", "--jsonl", _write(tmp_path, records), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "model.joblib").stat().st_size > 0
    assert "trained on 6 records" in result.stdout
    evaluated = _msgrouter("classify", "--jsonl", str(tmp_path / "in.jsonl"), "--eval", cwd=tmp_path)
    assert "== rules+model" in evaluated.stdout, "the trained model is loaded from MSGROUTER_MODEL_PATH"


def test_bad_files_get_errors_that_name_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "fine"}\n{not json\n', encoding="utf-8")
    result = _msgrouter("classify", "--jsonl", str(bad), cwd=tmp_path)
    assert result.returncode == 2 and "bad.jsonl:2: not JSON" in result.stderr

    unlabelled = _write(tmp_path, [{"id": "u", "text": "hello", "category": "weather", "urgency": "low"}])
    result = _msgrouter("train", "--jsonl", unlabelled, cwd=tmp_path)
    assert result.returncode == 2 and "category 'weather' is not one of" in result.stderr
    assert not (tmp_path / "model.joblib").exists()

    result = _msgrouter("classify", "--jsonl", str(tmp_path / "missing.jsonl"), cwd=tmp_path)
    assert result.returncode == 2


def test_eval_with_folds_cross_validates_instead_of_scoring_the_shipped_model(tmp_path):
    records = [dict(r, id=f"{r['id']}{n}", text=r["text"].format(phrase="")) for n in range(2) for r in RECORDS]
    path = _write(tmp_path, records)
    result = _msgrouter("classify", "--jsonl", path, "--eval", "--folds", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "6 records, 2-fold cross-validation" in result.stdout
    outputs = [json.loads(line) for line in _msgrouter("classify", "--jsonl", path, cwd=tmp_path).stdout.splitlines()]
    gold = {label: [r[label] for r in records] for label in LABELS}
    assert_same(printed(result.stdout, "rules only"),
                expected(gold, {label: [o[label] for o in outputs] for label in LABELS}))
    with_model = printed(result.stdout, "rules+model")
    for label in CONFUSION_LABELS:          # each record scored once, by the fold that held it out
        assert sum(with_model[f"{label} confusion"].values()) == len(records)
    assert not (tmp_path / "model.joblib").exists(), "cross-validation trains in memory, ships nothing"
    listed = _msgrouter("classify", "--jsonl", path, "--eval", "--folds", "2", "--errors", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("  critical errors") == 2 and "critical errors" not in result.stdout
