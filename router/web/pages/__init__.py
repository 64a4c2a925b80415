"""The agent dashboard: server-rendered pages over the same access rules as the API."""
from __future__ import annotations

from fastapi import FastAPI

from config.settings import Settings
from router.web.pages import assets, conversation, live, login, pools, presence, reports, session, supervisors, work


def install(app: FastAPI, settings: Settings) -> None:
    session.install(app, settings)
    live.install(app)
    for module in (login, work, pools, reports, assets, live, presence, supervisors):
        app.include_router(module.router)
    app.include_router(conversation.viewer)
    app.include_router(conversation.router)
