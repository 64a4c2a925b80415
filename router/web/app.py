"""The one web application: agent API now; dashboard, chat, forms and webhooks join it."""
from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI

from router.web.routes import conversations, health, outbound, queues


def create_app() -> FastAPI:
    app = FastAPI(title="msgrouter", version=version("msgrouter"),  # written once, in pyproject.toml
                  description="Support-desk message router: the agent API.")
    app.include_router(health.router)
    app.include_router(queues.router)
    app.include_router(conversations.router)
    app.include_router(outbound.router)
    return app
