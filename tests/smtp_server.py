"""Our SMTP server started with settings of a test's choosing (limits, parse budget)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from support import free_port


@contextmanager
def smtp_server(monkeypatch, **settings: object) -> Iterator[int]:
    """Start `channels.email.server` on a free port with MSGROUTER_<NAME> set from
    `settings`; yield the port; stop it (and its parse workers) afterwards."""
    from channels.email.server import make_controller
    from config.settings import get_settings

    port = free_port()
    monkeypatch.setenv("MSGROUTER_SMTP_PORT", str(port))
    for name, value in settings.items():
        monkeypatch.setenv(f"MSGROUTER_{name.upper()}", str(value))
    get_settings.cache_clear()
    controller = make_controller()
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
