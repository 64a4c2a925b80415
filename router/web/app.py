"""The one web application: the agent API, the agent dashboard, chat, forms and webhooks."""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from importlib.metadata import version
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Receive, Scope, Send

from config.settings import get_settings
from router.logs import log_ids
from router.web import pages
from router.web.body_limit import BodyLimit
from router.web.errors import refusals
from router.web.rate_limit import ApiRateLimit, api_rate_limit
from router.web.routes import (
    agents,
    chat,
    conversations,
    csat,
    forms,
    health,
    outbound,
    presence,
    queues,
    reports,
    telegram,
    wechat,
)


class RequestLogIds:
    """Log lines written while a request runs carry the conversation its path names. The
    path parameters are filled in by routing, after this runs, into this same scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with log_ids(_PathIds(scope)):
            await self.app(scope, receive, send)


class _PathIds(Mapping[str, Any]):
    """The request's path parameters, read when a line is logged, not when the request came."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _params(self) -> dict[str, Any]:
        return self._scope.get("path_params", {})

    def __getitem__(self, key: str) -> Any:
        value = self._params()[key]  # as routing matched it: a string of digits for an id
        return int(value) if isinstance(value, str) and value.isdigit() else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._params())

    def __len__(self) -> int:
        return len(self._params())


class AsciiJSONResponse(JSONResponse):
    """JSON with every non-ASCII character escaped: a lone surrogate a client sent, which
    UTF-8 cannot encode, is written back as the escape it came as."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """422 naming each field and what is wrong with it, without echoing the input back (it
    may be a megabyte of text, or hold what could not be stored)."""
    assert isinstance(exc, RequestValidationError)
    errors = [{key: value for key, value in error.items() if key in ("type", "loc", "msg")}
              for error in exc.errors()]
    return AsciiJSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


DOCS_ASSETS = "/docs/assets"


def create_app() -> FastAPI:
    settings = get_settings()
    # /docs and /redoc with their scripts served from the package, not a CDN: the desk's
    # browser may have no internet.
    app = FastAPIOffline(title="msgrouter", version=version("msgrouter"),  # written once, in pyproject.toml
                         description="Support-desk message router: the agent API.", static_url=DOCS_ASSETS)
    app.state.api_rate_limit = ApiRateLimit(settings)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.include_router(health.router)
    # Agent routes: a token is required (401) and counted (429).
    limited, refused = [Depends(api_rate_limit)], refusals(401, 429)
    app.include_router(queues.router, dependencies=limited, responses=refused)
    app.include_router(presence.router, dependencies=limited, responses=refused)
    app.include_router(conversations.router, dependencies=limited, responses=refused)
    app.include_router(agents.router, dependencies=limited, responses=refused)
    app.include_router(outbound.router, dependencies=limited, responses=refused)
    app.include_router(reports.router, dependencies=limited, responses=refused)
    app.include_router(telegram.router)  # the Telegram webhook: its own secret, not an agent route
    app.include_router(wechat.router)  # the WeChat server URL: its own signature, not an agent route
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestLogIds)
    # The customers' doors: in-app chat (WebSocket and demo page) and the website form.
    app.include_router(chat.router)
    app.include_router(forms.router)
    app.include_router(csat.router)  # the customer's rating page, by signed link (router/csat/ratings.py)
    # The agent dashboard: pages signed in by session cookie (the API keeps its tokens).
    pages.install(app, settings)
    return app
