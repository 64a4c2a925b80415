"""What the routes without an agent token answer: health, the website form and the
Telegram webhook. Their refusals are in `router.web.errors`."""
from __future__ import annotations

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str = Field(description="ok while the process serves requests")


class Ready(BaseModel):
    """Each check's result; Redis is checked (and listed) only when the desk uses it."""

    status: str = Field(description="ok | unavailable")
    database: str = Field(description="ok | unavailable: <error type>")
    redis: str | None = Field(default=None, description="ok | unavailable: <error type>; absent without Redis")


class FormReceived(BaseModel):
    status: str = Field(description="received")
    reference: str = Field(description="the visitor's reference, WF-XXXXXXXXXX")
    detail: str


class FormRefused(BaseModel):
    detail: str
    errors: dict[str, str] = Field(default_factory=dict, description="each wrong field and what is wrong with it")


class TelegramAck(BaseModel):
    ok: bool
    update_id: int
    kind: str = Field(description="message | edit | start | ignored")
    message_id: int | None = Field(description="our stored message, when one was stored or found")
    duplicate: bool = Field(description="nothing new was stored: the update was delivered before")
