"""`msgrouter classify` and `msgrouter train` as a desk runs them: real processes,
files on disk, clear errors for bad input, and no secret in anything written."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from mnemonic import Mnemonic

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


def _msgrouter(*args: str, cwd) -> subprocess.CompletedProcess:  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSGROUTER_")}
    env["MSGROUTER_MODEL_PATH"] = str(cwd / "model.joblib")
    return subprocess.run([sys.executable, "-m", "router.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _write(tmp_path, records) -> str:  # noqa: ANN001
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
    secret = lines[2]
    assert secret["contains_secret"] and (secret["category"], secret["urgency"]) == ("security", "critical")
    assert "[REDACTED:mnemonic]" in secret["text"]
    assert " ".join(phrase.split()[:3]) not in result.stdout + result.stderr
    assert [line["language"] for line in lines] == ["en", "zh", "en"]


def test_classify_eval_reports_accuracy_confusion_critical_and_secrets(tmp_path):
    records = [dict(r, text=r["text"].format(phrase=Mnemonic("english").generate())) for r in RECORDS]
    result = _msgrouter("classify", "--jsonl", _write(tmp_path, records), "--eval", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for needle in ("category", "urgency", "language", "accuracy", "confusion", "critical",
                   "recall", "precision", "secrets: recall 100.0% (1/1), false alarms 0"):
        assert needle in out, needle


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
    result = _msgrouter("classify", "--jsonl", _write(tmp_path, records), "--eval", "--folds", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "6 records, 2-fold cross-validation" in result.stdout
    assert "== rules+model" in result.stdout and "== rules only" in result.stdout
    assert not (tmp_path / "model.joblib").exists(), "cross-validation trains in memory, ships nothing"
