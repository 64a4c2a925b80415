"""The in-app chat's routes: the customer's WebSocket and the demo page. The work is in
`channels.chat`; these only hand the request over."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, WebSocket, status
from fastapi.responses import HTMLResponse

from channels.chat import connection, demo
from channels.chat.hub import hub_for
from config.desk import get_desk
from config.settings import get_settings
from router.web.errors import json_refusals

router = APIRouter(tags=["chat"])


@router.websocket("/chat/ws")
async def chat_socket(websocket: WebSocket) -> None:
    """`/chat/ws?customer=ID&signature=SIG[&after=ID]`: SIG is hex(HMAC-SHA256(secret, ID))."""
    await connection.serve(websocket, hub_for(websocket.app.state))


@router.get("/chat/demo", response_class=HTMLResponse, responses=json_refusals(404, 422, 503))
def chat_demo(customer: str | None = None) -> HTMLResponse:
    settings = get_settings()
    if not settings.chat_demo_on:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the chat demo is off on this desk "
                                                       "(MSGROUTER_CHAT_DEMO; never in production)")
    if not settings.chat_secret:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the chat is off: set MSGROUTER_CHAT_SECRET")
    html = demo.page(settings.chat_secret, demo.demo_customer(customer), get_desk().desk.name,
                     settings.chat_max_message_chars)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
