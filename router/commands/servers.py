"""Starting the servers from the command line: ports bound or checked before anything
runs, so a port in use is one line naming the setting; then serve until a signal."""
from __future__ import annotations

import signal
import socket
import threading
from typing import TYPE_CHECKING

from router.commands.errors import bind_socket, listening

if TYPE_CHECKING:
    from types import FrameType

    from aiosmtpd.controller import Controller

    from config.settings import Settings


def web_socket(settings: Settings) -> socket.socket:
    """The web app's socket, bound before anything starts, so a port in use is one line."""
    return bind_socket("the web app", settings.web_host, settings.web_port, "MSGROUTER_WEB_PORT")


def serve_web(sock: socket.socket, settings: Settings) -> None:
    """Serve the web app on the bound socket until SIGINT or SIGTERM."""
    import uvicorn

    from router.web.app import create_app
    from router.web.pages.live import stop_streams

    # uvicorn's start-up and per-request lines are library chatter: shown at DEBUG only.
    level = "info" if settings.log_level.upper() == "DEBUG" else "warning"
    app = create_app()

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # A dashboard's live stream (GET /live) never ends by itself, and uvicorn waits
            # for every open request before it stops: the streams are told to end first.
            stop_streams(app)
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, host=settings.web_host, port=settings.web_port, log_level=level,
                            log_config=None, timeout_graceful_shutdown=10)  # a backstop, never reached
    Server(config).run(sockets=[sock])


def start_smtp(controller: Controller, settings: Settings) -> None:
    """Start our SMTP server; a port in use is an OperatorError naming the setting."""
    with listening("the SMTP server", settings.smtp_host, settings.smtp_port, "MSGROUTER_SMTP_PORT"):
        controller.start()


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM (a server running in its own thread keeps serving)."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
