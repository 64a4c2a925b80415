"""The benchmark's SMTP clients: several concurrent sessions sending a list of mails into
our SMTP server, either as fast as it accepts them or paced at a steady offered rate."""
from __future__ import annotations

import smtplib
import threading
import time
from email.message import EmailMessage

CLIENTS = 4  # concurrent SMTP sessions, each sending its share of the mails in order


def _run_clients(port: int, messages: list[EmailMessage], clients: int, send_one) -> None:
    errors: list[BaseException] = []

    def client(first: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
                for k in range(first, len(messages), clients):
                    send_one(smtp, k, messages[k])
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller: a refused mail voids the run
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"an SMTP client failed: {errors[0]!r}") from errors[0]


def send_burst(port: int, messages: list[EmailMessage], clients: int = CLIENTS) -> None:
    """Every mail as fast as the server answers 250 (it does so after the commit)."""
    _run_clients(port, messages, clients, lambda smtp, _k, msg: smtp.send_message(msg))


def send_paced(port: int, messages: list[EmailMessage], rate: float, clients: int = CLIENTS) -> float:
    """Mail k is sent no earlier than k / rate seconds after the start; returns the rate
    actually offered (lower than `rate` if the server could not keep up)."""
    start = time.perf_counter()

    def send_one(smtp: smtplib.SMTP, k: int, msg: EmailMessage) -> None:
        delay = start + k / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        smtp.send_message(msg)

    _run_clients(port, messages, clients, send_one)
    return len(messages) / (time.perf_counter() - start)


def relabel(messages: list[EmailMessage], prefix: str) -> list[EmailMessage]:
    """The same mails from other customers (`customer7@` -> `<prefix>7@`), so that a
    warm-up's customers, whose acknowledgements are rate-limited, are not the measured ones."""
    for msg in messages:
        msg.replace_header("From", str(msg["From"]).replace("customer", prefix, 1))
    return messages
