"""The WeChat official account's server URL: WeChat checks it with a GET and POSTs every push
to it (the official account's 服务器配置, URL `https://<desk>/channels/wechat`).

Not an agent route: WeChat proves itself with the signature over our token
(`channels.wechat.verify`; wrong, missing or too old: 403). A push is answered `success`
only after it is stored; anything else makes WeChat deliver it again (three times), which
stores nothing new.
"""
from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import PlainTextResponse

from channels.wechat.pushes import BadPush
from channels.wechat.receive import ChannelOff, receive, verified
from channels.wechat.verify import Refused
from router.web.errors import json_refusals

log = logging.getLogger(__name__)
router = APIRouter(tags=["channels"])
MAX_PUSH_BYTES = 256 * 1024  # a push is a few hundred bytes; media come by media id, not in it


def _refuse(request: Request, exc: Exception) -> HTTPException:
    if isinstance(exc, ChannelOff):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))
    log.warning("wechat call refused from %s: %s", request.client.host if request.client else "?", exc)
    return HTTPException(status.HTTP_403_FORBIDDEN, f"not signed by WeChat: {exc}")


# The refusals are JSON; the answers WeChat reads are plain text.
@router.get("/channels/wechat", response_class=PlainTextResponse, responses=json_refusals(403, 404, 422))
def check_server(request: Request, echostr: str = "") -> str:
    """WeChat's server check: `echostr` back when the signature is ours."""
    try:
        verified(request.query_params)
    except (ChannelOff, Refused) as exc:
        raise _refuse(request, exc) from None
    return echostr


@router.post("/channels/wechat", response_class=PlainTextResponse,
             responses=json_refusals(400, 403, 404, 413, 503))
async def push(request: Request) -> str:
    body = await request.body()
    if len(body) > MAX_PUSH_BYTES:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"a push is at most {MAX_PUSH_BYTES} bytes")
    try:
        outcome = await asyncio.to_thread(receive, dict(request.query_params), body)
    except (ChannelOff, Refused) as exc:
        raise _refuse(request, exc) from None
    except BadPush as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    except Exception as exc:
        # Not stored: WeChat keeps the push and delivers it again.
        log.exception("wechat push not stored")
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the push could not be stored; "
                            "deliver it again") from exc
    log.info("wechat %s from %s%s", outcome.kind, outcome.openid, " (again)" if outcome.duplicate else "")
    return "success"
