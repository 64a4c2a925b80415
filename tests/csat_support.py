"""Helpers for the CSAT tests: answer and resolve a customer's case over HTTP, read the
rating links out of the customer's mailbox (the sink), and rate on the link's page."""
from __future__ import annotations

import re

import httpx

from customer_mail import write_in
from router.delivery.outbox import deliver_pending

LINK = re.compile(r"https?://\S+/csat/([A-Za-z0-9_.\-]+)")


def answered(api, sink, *, sender: str, agent: str = "erin", subject: str = "Withdrawal missing",
             text: str = "My withdrawal of 200 USDT has not arrived.") -> int:
    """A customer's mail answered by an agent, the sink emptied: ready to resolve."""
    cid, _ = write_in(text, sender=sender, subject=subject)
    base, auth = api
    reply = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(agent),
                       json={"text": "It has been sent again; it should arrive within the hour."})
    assert reply.status_code == 201, reply.text
    deliver_pending()
    sink.messages.clear()
    return cid


def resolve(api, cid: int, agent: str = "erin") -> None:
    base, auth = api
    answer = httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth(agent))
    assert answer.status_code == 200, answer.text


def requests_in(sink) -> list[str]:
    """The tokens of the rating links the customer received, in order."""
    found = []
    for message in sink.parsed():
        body = message.get_body(("plain",))
        match = LINK.search(body.get_content() if body else "")
        if match:
            found.append(match.group(1))
    return found


def rate(base: str, token: str, score: str, comment: str = "") -> httpx.Response:
    return httpx.post(f"{base}/csat/{token}", data={"score": score, "comment": comment})
