"""The contact form's fields, checked one by one, so that every wrong field gets its own
error: name, email, subject and message, plus the honeypot a person never sees."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

# The hidden field of the form: people leave it empty, form-filling robots do not.
HONEYPOT = "website"


class FormInvalid(ValueError):
    """One error per wrong field, in words the visitor can act on."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {error}" for name, error in errors.items()))
        self.errors = errors


class ContactForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    name: str = Field(default="", max_length=200)
    email: str = Field(max_length=254)
    subject: str = Field(default="", max_length=300)
    message: str = Field(min_length=1, max_length=20_000)

    @field_validator("name", "subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        # Both end up in mail headers and the agents' lists: a line break is never meant.
        if any(ch in value for ch in "\r\n\x00"):
            raise ValueError("must be one line")
        return value

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        try:
            # Syntax only: a DNS lookup per visitor would make the form as slow as the
            # slowest resolver, and the answer by mail tells us soon enough.
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValueError(str(exc)) from None


def _message(error: ErrorDetails) -> str:
    if error["type"] == "missing":
        return "this field is required"
    if error["type"] == "string_too_short":
        return "this field must not be empty"
    return str(error["msg"]).removeprefix("Value error, ")


def check(raw: Mapping[str, Any]) -> ContactForm:
    """The form's fields, checked; FormInvalid names every wrong field."""
    try:
        return ContactForm.model_validate(dict(raw))
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "form"
            errors.setdefault(field, _message(error))
        raise FormInvalid(errors) from None


def is_spam(raw: Mapping[str, Any]) -> bool:
    """Whether the honeypot was filled in."""
    return bool(str(raw.get(HONEYPOT) or "").strip())
