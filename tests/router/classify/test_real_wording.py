"""Triage on strangers' wording (issue 21): the failure families seen on real posts,
each checked on messages written here (tests/triage_real_wording.py), with the shipped
model and with the rules alone where the rules must carry it.

Names say the behaviour: a how-to about restoring with 助记词 is not critical; a
Korean theft report is critical security; and so on.
"""
from __future__ import annotations

import pytest

from router.classify import classify
from router.secrets.redact import redact
from triage_real_wording import (
    OTHER_THEFT,
    SECRET_MENTIONED_ONLY,
    THEFT_OTHER_LANGUAGES,
    WRONG_CATEGORY,
)


def _label(text: str, model) -> tuple[str, str]:
    found = redact(text)
    result = classify(found.text, secret_kinds=found.kinds, model=model)
    return result.category, result.urgency


def _check(got: str, want: str | None) -> bool:
    if want is None:
        return True
    return got != want[1:] if want.startswith("!") else got == want


def _ids(cases):
    return [text[:40] for text, _, _ in cases]


@pytest.mark.parametrize(("text", "category", "urgency"), SECRET_MENTIONED_ONLY, ids=_ids(SECRET_MENTIONED_ONLY))
def test_a_question_that_only_mentions_the_secret_is_not_critical(text, category, urgency, shipped_model):
    got = _label(text, shipped_model)
    assert _check(got[1], urgency), got


@pytest.mark.parametrize(("text", "category", "urgency"), THEFT_OTHER_LANGUAGES, ids=_ids(THEFT_OTHER_LANGUAGES))
@pytest.mark.parametrize("with_model", [True, False], ids=["rules+model", "rules"])
def test_theft_written_in_another_language_is_critical_security(text, category, urgency, with_model, shipped_model):
    assert _label(text, shipped_model if with_model else None) == (category, urgency)


@pytest.mark.parametrize(("text", "category", "urgency"), OTHER_THEFT, ids=_ids(OTHER_THEFT))
def test_new_device_panics_clipboard_pasted_keys_and_scam_admins_are_critical(text, category, urgency,
                                                                              shipped_model):
    assert _label(text, shipped_model) == (category, urgency)


@pytest.mark.parametrize(("text", "category", "urgency"), WRONG_CATEGORY, ids=_ids(WRONG_CATEGORY))
def test_suggestions_unanswered_support_unlisted_tokens_and_forgotten_passwords_take_their_category(
        text, category, urgency, shipped_model):
    got = _label(text, shipped_model)
    assert _check(got[0], category) and _check(got[1], urgency), got


def test_a_secret_typed_into_a_site_while_restoring_stays_critical(shipped_model):
    # The restore wording must not calm a secret that was handed over.
    text = "how do i restore my wallet? I typed my seed phrase into a site that said it would restore it"
    assert _label(text, shipped_model) == ("security", "critical")
