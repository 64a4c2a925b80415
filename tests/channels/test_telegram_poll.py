"""`msgrouter telegram poll`, the real command, against the stand-in's getUpdates: updates are
stored once, confirmed on a clean stop, and a restart that is served them again (as
Telegram serves unconfirmed updates) stores nothing new."""
from __future__ import annotations

import signal

from sqlalchemy import select

from cli_process import start, stop
from router.storage.db import session_scope
from router.storage.models import Message
from standins.telegram_api import TelegramStandIn
from support import wait_for
from telegram_support import SECRET, TOKEN, update


def _stored() -> list[str]:
    with session_scope() as session:
        return list(session.execute(select(Message.external_id).where(Message.direction == "in")
                                    .order_by(Message.id)).scalars())


def _poller(db_url: str, api: TelegramStandIn, tmp_path, n: int):
    return start("telegram", "poll", "--timeout", "1", cwd=tmp_path, log=tmp_path / f"poll{n}.log",
                 MSGROUTER_DATABASE_URL=db_url, MSGROUTER_TELEGRAM_TOKEN=TOKEN,
                 MSGROUTER_TELEGRAM_WEBHOOK_SECRET=SECRET, MSGROUTER_TELEGRAM_BASE_URL=api.base_url)


def test_polling_imports_updates_once_across_a_restart(db_url, tmp_path):
    with TelegramStandIn(token=TOKEN) as api:
        api.add_updates(update("private_text"), update("private_text_second"), update("group_text"))
        first = _poller(db_url, api, tmp_path, 1)
        try:
            wait_for(lambda: len(_stored()) == 2, timeout=60, what="the polled messages")
            wait_for(lambda: not api.state.updates, what="the updates to be confirmed")
        finally:
            first.send_signal(signal.SIGINT)
            assert first.wait(20) == 0, (tmp_path / "poll1.log").read_text()
        log = (tmp_path / "poll1.log").read_text()
        assert "stopped after 3 updates (2 new messages stored)" in log
        assert TOKEN not in log

        # Telegram serves again what it never saw confirmed (a poller killed mid-batch):
        api.add_updates(update("private_text"), update("private_text_second"), update("photo_caption"))
        second = _poller(db_url, api, tmp_path, 2)
        try:
            wait_for(lambda: len(_stored()) == 3, timeout=60, what="the new message")
            wait_for(lambda: not api.state.updates, what="the updates to be confirmed")
        finally:
            stop(second)
        assert _stored() == ["5550001:41", "5550001:42", "5550001:43"]
        # The first poller confirmed everything it stored on its way out.
        assert max(api.state.offsets[:api.state.calls.count("getUpdates")]) >= 810000104
