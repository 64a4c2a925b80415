"""The rating link: `<public url>/csat/<token>`, the token naming one survey, signed with
MSGROUTER_SECRET_KEY (itsdangerous, a salt of its own so no other signed value of the desk
can stand in for it) and refused once MSGROUTER_CSAT_LINK_DAYS have passed since it was
signed. Whoever holds the link may rate that one resolution, and nothing else."""
from __future__ import annotations

import re

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from config.settings import get_settings

SALT = "msgrouter.csat.v1"
_TOKEN_IN_TEXT = re.compile(r"/csat/[A-Za-z0-9_.\-]{8,}")
HIDDEN = "/csat/[the customer's own link]"


class LinkRefused(ValueError):
    """The token is not one of ours (tampered, mistyped) or has expired (`expired`)."""

    def __init__(self, message: str, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=SALT)


def token_for(survey_id: int) -> str:
    return _serializer().dumps(survey_id)


def link_for(survey_id: int) -> str:
    return f"{get_settings().public_url.rstrip('/')}/csat/{token_for(survey_id)}"


def survey_of(token: str) -> int:
    """The survey id the token names; LinkRefused when it is not ours or too old."""
    max_age = int(get_settings().csat_link_days * 86400)  # whole seconds, as the token counts them
    try:
        value = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkRefused("this rating link has expired", expired=True) from None
    except BadSignature:
        raise LinkRefused("this rating link is not valid") from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise LinkRefused("this rating link is not valid")
    return value


def hidden(text: str) -> str:
    """The text with every rating link's token hidden: agents read the request we sent (and
    a customer quoting it), but cannot rate in the customer's place."""
    return _TOKEN_IN_TEXT.sub(HIDDEN, text) if "/csat/" in text else text
