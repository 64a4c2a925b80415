"""Macros filled for a conversation: one pass of plain replacement, so nothing a customer
typed into their name expands a placeholder or reaches a format string; the
conversation's language chooses the text."""
from __future__ import annotations

from config.desk import load_desk
from config.settings import DEFAULT_DESK
from router.desk.macros import fill, macro_language, macros_for, values

DESK = load_desk(DEFAULT_DESK)


def _values(customer: str, language: str = "en") -> dict[str, str]:
    return values(DESK, conversation_id=42, customer=customer, agent="Alice Chen", language=language)


def test_placeholders_are_filled_from_the_conversation_and_the_agent():
    [checking] = [m for m in macros_for(DESK, "en", _values("Wei Zhang")) if m.name == "checking"]
    assert checking.text.startswith("Hello Wei Zhang,\n")
    assert "case #42" in checking.text
    assert checking.text.endswith("Alice Chen\nPinecone Wallet Support")
    assert "{" not in checking.text


def test_a_customers_name_is_written_as_typed_and_never_expanded():
    for name in ("{case}", "{agent_name}{desk_name}", "{0.__class__.__mro__}", "%(x)s ${case}"):
        filled = fill("Hello {customer_name}, case {case}", _values(name))
        assert filled == f"Hello {name}, case #42"


def test_a_name_is_one_bounded_line_and_a_missing_one_is_a_polite_form():
    filled = fill("{customer_name}", _values("Eve\r\nBcc: all@example.com\u202e" + "x" * 200))
    assert "\n" not in filled and "\u202e" not in filled and len(filled) <= 60
    assert filled.startswith("Eve Bcc: all@example.com")
    assert fill("Hello {customer_name},", _values("")) == "Hello there,"
    assert fill("{customer_name}，您好", _values("  ", "zh")) == "尊敬的客户，您好"


def test_an_unknown_field_is_left_as_it_stands():
    assert fill("{nothing} and {case}", {"case": "#1"}) == "{nothing} and #1"


def test_the_conversations_language_chooses_the_text_and_other_falls_back_to_the_desks():
    zh = {m.name: m.text for m in macros_for(DESK, "zh", _values("王伟", "zh"))}
    en = {m.name: m.text for m in macros_for(DESK, "en", _values("Wei"))}
    other = {m.name: m.text for m in macros_for(DESK, "other", _values("Wei", "other"))}
    assert list(zh) == list(en) == list(DESK.macros)
    assert zh["checking"].startswith("王伟，您好")
    assert other == en  # the demo desk's default language is English
    assert macro_language(DESK, "other") == "en"
