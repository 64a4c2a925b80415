"""The trained model: save and load, redaction before training, labels it fits, size."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import joblib
import pytest
from mnemonic import Mnemonic

from router.classify import classify, load_model, train
from router.classify.config import load_config
from router.classify.rules import RuleSet

PHRASE = Mnemonic("english").to_mnemonic(hashlib.sha256(b"a phrase for a training test").digest()[:16])

# (text, category, urgency): a small desk's worth of examples, written for this test.
EXAMPLES = [
    ("my wallet was drained, all USDT gone", "security", "critical"),
    ("someone logged into my account from another country and moved my coins", "security", "critical"),
    ("钱包被盗了 币全没了", "security", "critical"),
    ("fake support account asked for my seed phrase, I blocked it", "security", "normal"),
    ("withdrawal not arrived after 5 hours", "transaction", "high"),
    ("提币没到账 已经三个小时了", "transaction", "high"),
    ("why was the gas fee so high on my last transfer", "transaction", "normal"),
    ("can't log in, verification code never arrives", "account", "high"),
    ("账号被冻结了 登录不了", "account", "high"),
    ("how do I change my email address", "account", "normal"),
    ("app crashes when I open the swap page", "technical", "normal"),
    ("更新后一直闪退", "technical", "normal"),
    ("nobody answers my tickets, terrible service", "complaint", "normal"),
    ("I want your manager or I will call my lawyer", "complaint", "high"),
    ("when does the airdrop campaign start", "promotion", "low"),
    ("邀请返佣没到账", "promotion", "normal"),
    ("what are the withdrawal limits", "policy", "normal"),
    ("你们支持哪些国家", "policy", "normal"),
    ("great app, love the design", "feedback", "low"),
    ("建议增加深色模式", "feedback", "low"),
    ("hello?", "general", "low"),
    ("在吗", "general", "low"),
    ("how do I back up my wallet", "general", "normal"),
    ("怎么添加代币", "general", "normal"),
]


def records() -> list[dict]:
    rows = [{"text": t, "subject": "", "channel": "chat", "category": c, "urgency": u} for t, c, u in EXAMPLES]
    # The same secret twice: without redaction its words would pass the vocabulary's
    # two-message minimum and end up in the saved model.
    rows += [{"text": f"is this right? {PHRASE}", "channel": "chat", "category": "security", "urgency": "critical"},
             {"text": f"my words: {PHRASE} thanks", "channel": "email", "category": "security",
              "urgency": "critical"}]
    return rows * 2


def test_save_and_load_round_trip(tmp_path, rules):
    path = tmp_path / "models" / "triage.joblib"
    trained = train(records(), path)
    loaded = load_model(path)
    assert path.exists() and loaded is not None
    assert loaded.categories == trained.categories and loaded.info == trained.info
    for text in ("提币没到账", "my wallet was drained", "great app", "when does the campaign end"):
        a = classify(text, model=trained, rules=rules)
        b = classify(text, model=loaded, rules=rules)
        assert (a.category, a.urgency, a.reasons) == (b.category, b.urgency, b.reasons)
        assert a.scores == pytest.approx(b.scores, abs=1e-5)


def test_load_model_of_a_missing_file_is_none(tmp_path):
    assert load_model(tmp_path / "nothing-here.joblib") is None


def test_load_model_refuses_another_format(tmp_path):
    path = tmp_path / "old.joblib"
    joblib.dump({"format": 1, "vocab": {}}, path)
    with pytest.raises(ValueError, match="format"):
        load_model(path)


def test_training_redacts_secrets_first(tmp_path):
    model = train(records(), tmp_path / "m.joblib")
    ordinary = {word for text, _, _ in EXAMPLES for word in text.lower().split()}
    secret_words = set(PHRASE.split()) - ordinary
    assert secret_words and not secret_words & set(model.vocab)
    assert "#[redacted:mnemonic]" in model.vocab


def test_model_for_other_labels_is_ignored(tmp_path, rules):
    model = train(records(), tmp_path / "m.joblib")
    other = RuleSet(replace(load_config(), urgencies=("critical", "high", "normal", "low", "someday")))
    result = classify("my wallet was drained", model=model, rules=other)
    assert any(reason.startswith("model ignored") for reason in result.reasons)
    assert (result.category, result.urgency) == ("security", "critical")


def test_shipped_model_is_small(shipped_model):
    path = Path(__file__).resolve().parents[3] / "config" / "triage-model.npz"
    assert path.stat().st_size < 3_000_000
    assert shipped_model.info["records"] >= 200      # trained on the whole corpus
