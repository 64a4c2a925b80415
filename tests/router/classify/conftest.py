"""Fixtures for the triage tests: the desk rules, the shipped model, the labelled corpus."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from router.classify import get_rules, load_model

REPO = Path(__file__).resolve().parents[3]
SHIPPED_MODEL = REPO / "config" / "triage-model.joblib"
CORPUS = REPO.parent / "shared" / "corpus" / "dev.jsonl"


@pytest.fixture(scope="session")
def rules():
    return get_rules()


@pytest.fixture(scope="session")
def shipped_model():
    model = load_model(SHIPPED_MODEL)
    if model is None:
        pytest.skip(f"no shipped model at {SHIPPED_MODEL}")
    return model


@pytest.fixture(scope="session")
def corpus() -> list[dict]:
    if not CORPUS.exists():
        pytest.skip(f"labelled corpus not found at {CORPUS}")
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(params=["rules only", "rules + model"])
def system(request, rules):
    """classify() as the desk runs it: rules alone, and with the shipped model."""
    from router.classify import classify

    model = request.getfixturevalue("shipped_model") if request.param == "rules + model" else None

    def run(text: str, subject: str = "", channel: str = "chat", secret_kinds=()):
        return classify(text, subject, channel, secret_kinds, model=model, rules=rules)

    return run
