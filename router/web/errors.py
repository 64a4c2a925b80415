"""How the web app says no: the bodies of its 4xx and 5xx answers, and `refusals(...)`,
which documents them on a route (`responses=refusals(404, 409)`) so the OpenAPI schema
lists every status a route can answer.

Every refusal is `{"detail": "..."}` in words a person can act on, except a request that
failed validation, whose 422 names each wrong field (`{"detail": [{type, loc, msg}]}`,
`router.web.app`), and the website form, which names each wrong field of the form.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Problem(BaseModel):
    detail: str = Field(description="what was refused and why")


class FieldError(BaseModel):
    type: str = Field(description="pydantic's error type, e.g. missing, string_too_long")
    loc: list[str | int] = Field(description="where: ['body', 'text'], ['path', 'conversation_id']")
    msg: str


class Invalid(BaseModel):
    """A request that failed validation: one entry per wrong field. The input itself is
    never echoed back."""

    detail: list[FieldError]


class Unprocessable(BaseModel):
    """Either the request failed validation (a list naming each wrong field) or the action
    refused it in words (an agent reply asking for a secret, labels outside the taxonomy)."""

    detail: str | list[FieldError]


_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again", "required": True,
                                "schema": {"type": "integer"}}}

REFUSALS: dict[int, dict[str, Any]] = {
    400: {"model": Problem, "description": "the body could not be read (not UTF-8, or not what the route takes)"},
    401: {"model": Problem, "description": "no valid agent token",
          "headers": {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}}},
    403: {"model": Problem, "description": "the caller's role or pools do not allow it"},
    404: {"model": Problem, "description": "no such thing, or not one the caller may see"},
    409: {"model": Problem, "description": "the desk's state does not allow it (named in detail)"},
    413: {"model": Problem, "description": "the request body is larger than MSGROUTER_MAX_REQUEST_BYTES"},
    422: {"model": Invalid, "description": "a parameter or body field failed validation"},
    429: {"model": Problem, "description": "too many requests; wait Retry-After seconds", "headers": _RETRY_AFTER},
    503: {"model": Problem, "description": "a part the route needs is unavailable; try again"},
}
# A route whose action can refuse in words with 422 too.
REFUSED_IN_WORDS: dict[int | str, dict[str, Any]] = {422: {"model": Unprocessable,
                          "description": "a field failed validation, or the action refused it (detail says why)"}}


def refusals(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented refusals for `codes`, for a route's or router's `responses=`."""
    return {code: REFUSALS[code] for code in codes}


def refusal(code: int, description: str) -> dict[int | str, dict[str, Any]]:
    """One documented refusal, in the route's own words."""
    return {code: {**REFUSALS[code], "description": description}}


def json_refusals(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The same for a route whose success is not JSON (an HTML page): FastAPI would
    document a refusal's model under the route's own media type, so it is spelled out."""
    return {code: {"description": REFUSALS[code]["description"],
                   "content": {"application/json": {"schema": REFUSALS[code]["model"].model_json_schema()}}}
            for code in codes}
