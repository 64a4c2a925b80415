"""The website's contact form: `POST /forms/contact`, JSON or an HTML form post.

Valid input is stored before we answer 202 with the visitor's reference; wrong fields get
422 with one error each; a filled honeypot gets the same 202 and nothing is stored; too
many posts from one client or for one address get 429 with Retry-After.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from channels import webform
from channels.webform.fields import ContactForm
from config.settings import get_settings
from router.clock import utcnow
from router.queue.intake import accept
from router.queue.rate_limits import for_app
from router.web.errors import refusals
from router.web.models_public import FormReceived, FormRefused

log = logging.getLogger(__name__)
router = APIRouter(tags=["website form"])

MAX_BODY_BYTES = 64 * 1024  # the longest message is 20,000 characters
# The route reads the body itself (JSON or an HTML form), so the schema is written out:
# the fields the form checks, as either kind of body.
_FORM_SCHEMA = ContactForm.model_json_schema()
_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": _FORM_SCHEMA},
    "application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA}}}}
_REFUSED: dict[int | str, dict[str, Any]] = {
    413: {"model": FormRefused, "description": f"the form is larger than {MAX_BODY_BYTES} bytes"},
    415: {"model": FormRefused, "description": "neither JSON nor an HTML form"},
    422: {"model": FormRefused, "description": "one error per wrong field"}}


class _BadBody(Exception):
    def __init__(self, status_code: int, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.status_code, self.errors = status_code, errors


async def _fields(request: Request) -> dict[str, Any]:
    """The posted fields, from JSON or from an HTML form (urlencoded or multipart)."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        raise _BadBody(413, {"form": f"the form is larger than {MAX_BODY_BYTES} bytes"})
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise _BadBody(422, {"form": "the body is not valid JSON"}) from None
        if not isinstance(body, dict):
            raise _BadBody(422, {"form": "the body must be a JSON object with the form's fields"})
        return body
    if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form(max_files=0, max_fields=20, max_part_size=MAX_BODY_BYTES)
        return {key: value for key, value in form.items() if isinstance(value, str)}
    raise _BadBody(415, {"form": "send application/json or an HTML form "
                                 "(application/x-www-form-urlencoded or multipart/form-data)"})


def _too_many(wait: int, what: str) -> JSONResponse:
    return JSONResponse({"detail": f"too many messages {what}; try again in {wait} s"},
                        status_code=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(wait)})


def _refused(status_code: int, detail: str, errors: dict[str, str]) -> JSONResponse:
    return JSONResponse(FormRefused(detail=detail, errors=errors).model_dump(), status_code=status_code)


def _received(reference: str) -> FormReceived:
    return FormReceived(status="received", reference=reference, detail="Thank you. We will answer by email.")


@router.post("/forms/contact", status_code=status.HTTP_202_ACCEPTED, response_model=FormReceived,
             openapi_extra=_BODY, responses={**_REFUSED, **refusals(429)})
async def contact(request: Request) -> FormReceived | JSONResponse:
    settings, limits = get_settings(), for_app(request.app.state)
    client = request.client.host if request.client else "unknown"
    wait = limits.hit(settings.form_rate_per_ip, "form", "ip", client)
    if wait:
        return _too_many(wait, "from your network")
    try:
        fields = await _fields(request)
    except _BadBody as bad:
        return _refused(bad.status_code, "the form was not accepted", bad.errors)
    reference = webform.new_reference()
    try:
        inbound = webform.parse(fields, reference=reference, received_at=utcnow())
    except webform.FormInvalid as invalid:
        return _refused(status.HTTP_422_UNPROCESSABLE_CONTENT, "some fields need a correction", invalid.errors)
    except webform.Spam:
        log.info("contact form with the honeypot filled in: answered, not stored")
        return _received(reference)
    wait = limits.hit(settings.form_rate_per_address, "form", "address", inbound.sender.lower())
    if wait:
        return _too_many(wait, "for this address")
    # Stored (committed) before we say so; the blocking write runs off the event loop.
    accepted = await run_in_threadpool(accept, inbound)
    log.info("contact form stored as message %s (reference %s)", accepted.message_id, reference)
    return _received(reference)
