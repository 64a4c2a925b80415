"""A counting SMTP sink on loopback, in its own process: it stands in for the relay,
answers 250 to every mail and counts them. Prints `ready` once listening; on SIGTERM it
prints one JSON line (mails received, its own peak memory) and exits.

    .venv/bin/python bench/sink_counter.py PORT
"""
from __future__ import annotations

import json
import signal
import sys
import threading

from aiosmtpd.controller import Controller

from procmem import own_peak_rss_mb


class Counter:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received += 1  # the event loop is one thread: no lock needed
        return "250 OK"


def main() -> None:
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    print(json.dumps({"received": counter.received, "peak_rss_mb": own_peak_rss_mb()}), flush=True)


if __name__ == "__main__":
    main()
