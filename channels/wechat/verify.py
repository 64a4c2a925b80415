"""Is this call WeChat's? The query signature, its age, and in safe mode the body's own
signature and decryption.

WeChat signs every call to our server with SHA-1 over the sorted token, timestamp and
nonce. That signature does not cover the body: in plain mode whoever saw one signed query
could post any body with it. So a query is good for a few minutes only (`MAX_AGE`), and
within them for one body (`channels.wechat.replays`); WeChat's own retries send the same
body again, which passes and is then stored once. In safe mode the body is encrypted and
carries `msg_signature` over the ciphertext, checked and decrypted by wechatpy's
`WeChatCrypto` (no AES framing of our own).
"""
from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import WeChatSigner

from channels.wechat.pushes import BadPush
from config.settings import Settings

# How far a call's timestamp may lie from our clock, in seconds, either way: WeChat calls at
# once and retries within seconds, so five minutes leaves room for clocks that drift.
MAX_AGE = 300


class Refused(ValueError):
    """The call is not proven to come from WeChat (the webhook answers 403)."""


def signature(token: str, timestamp: str, nonce: str) -> str:
    signer = WeChatSigner()  # sorts the parts and hashes them, as WeChat does
    signer.add_data(token, timestamp, nonce)
    return signer.signature


def check_query(settings: Settings, query: Mapping[str, str], now: float | None = None) -> tuple[str, str]:
    """Raise Refused unless `signature` signs `timestamp` and `nonce` with our token and the
    timestamp is recent; returns (timestamp, nonce)."""
    token = settings.wechat_token or ""
    timestamp, nonce, given = (query.get(k, "") for k in ("timestamp", "nonce", "signature"))
    if not (timestamp and nonce and given):
        raise Refused("signature, timestamp and nonce are required")
    if not hmac.compare_digest(signature(token, timestamp, nonce).encode(), given.encode()):
        raise Refused("wrong signature")
    try:
        age = (time.time() if now is None else now) - int(timestamp)
    except ValueError:
        raise Refused("the timestamp is not a number") from None
    if abs(age) > MAX_AGE:
        raise Refused(f"the timestamp is {int(age)} s from our clock (at most {MAX_AGE} s): a replay, or a clock "
                      "to set right")
    return timestamp, nonce


def open_body(settings: Settings, query: Mapping[str, str], body: bytes) -> bytes:
    """The push's XML: the body itself in plain mode; in safe mode the decrypted `Encrypt`
    element, once its msg_signature is checked. Raises Refused, or BadPush for a body that is
    no XML."""
    if not settings.wechat_aes_key:
        return body
    msg_signature = query.get("msg_signature", "")
    if not msg_signature:
        raise Refused("safe mode: msg_signature is required (is the official account set to safe mode?)")
    try:
        envelope = xmltodict.parse(body)["xml"]
    except (ExpatError, KeyError, TypeError) as exc:
        raise BadPush(f"not a WeChat push: {type(exc).__name__}: {exc}") from None
    if not isinstance(envelope, dict) or not envelope.get("Encrypt"):
        raise Refused("safe mode: the body has no Encrypt element")
    crypto = WeChatCrypto(settings.wechat_token or "", settings.wechat_aes_key, settings.wechat_app_id or "")
    try:
        plain = crypto.decrypt_message(envelope, msg_signature, query.get("timestamp", ""), query.get("nonce", ""))
    except InvalidSignatureException:
        raise Refused("safe mode: wrong msg_signature") from None
    except InvalidAppIdException:
        raise Refused("safe mode: the message is for another app id (MSGROUTER_WECHAT_APP_ID)") from None
    except Exception as exc:  # noqa: BLE001 - a ciphertext that is none fails inside the library in many ways
        raise Refused(f"safe mode: the body cannot be decrypted ({type(exc).__name__})") from None
    return plain.encode("utf-8") if isinstance(plain, str) else plain

