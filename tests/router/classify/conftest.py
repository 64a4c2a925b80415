"""Fixtures for the triage tests: the desk rules, the shipped model, the labelled corpus.

The corpus and the model live outside the tests; where one is missing, its tests skip on
a developer's machine and fail in CI (CI=true), which must always have both."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from router.classify import get_rules, load_model

REPO = Path(__file__).resolve().parents[3]
# Both may be pointed elsewhere, e.g. to show what a run without them does.
SHIPPED_MODEL = Path(os.environ.get("MSGROUTER_TEST_MODEL") or REPO / "config" / "triage-model.npz")
CORPUS = Path(os.environ.get("MSGROUTER_TEST_CORPUS") or REPO.parent / "shared" / "corpus" / "dev.jsonl")


def missing(what: str) -> None:
    """Skip, or in CI fail: a CI run without the data would pass while testing nothing."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} (CI=true: CI must have it)", pytrace=False)
    pytest.skip(what)


@pytest.fixture(scope="session")
def rules():
    return get_rules()


@pytest.fixture(scope="session")
def shipped_model():
    model = load_model(SHIPPED_MODEL)
    if model is None:
        missing(f"no shipped model at {SHIPPED_MODEL} (set MSGROUTER_TEST_MODEL to look elsewhere)")
    return model


@pytest.fixture(scope="session")
def corpus() -> list[dict]:
    if not CORPUS.exists():
        missing(f"labelled corpus not found at {CORPUS} (set MSGROUTER_TEST_CORPUS to look elsewhere)")
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(params=["rules only", "rules + model"])
def system(request, rules):
    """classify() as the desk runs it: rules alone, and with the shipped model."""
    from router.classify import classify

    model = request.getfixturevalue("shipped_model") if request.param == "rules + model" else None

    def run(text: str, subject: str = "", channel: str = "chat", secret_kinds=()):
        return classify(text, subject, channel, secret_kinds, model=model, rules=rules)

    return run
