"""The count every fault test ends with: what the clients were told was accepted (250),
what the database holds, what the pipeline processed and what reached the customer's
mailbox, mail by mail. accepted == stored == processed, nothing twice, nothing lost."""
from __future__ import annotations

from collections import Counter
from email import message_from_bytes, policy

from sqlalchemy import func, select

from faults.mailers import Mail
from router.storage.db import get_engine, read_scope
from router.storage.models import Conversation, Event, Message
from support import Sink, wait_for


def _inbound_by_sender(url: str) -> dict[str, list[str]]:
    with read_scope(get_engine(url)) as session:
        rows = session.execute(select(Message.sender, Message.status).where(Message.direction == "in")).all()
    out: dict[str, list[str]] = {}
    for sender, status in rows:
        out.setdefault(sender, []).append(status)
    return out


def _outbound_waiting(url: str) -> int:
    with read_scope(get_engine(url)) as session:
        return session.execute(select(func.count()).select_from(Message).where(
            Message.direction == "out", Message.status.in_(("queued", "sending")))).scalar_one()


def _acks_by_reply_to(sink: Sink) -> Counter:
    return Counter(str(message_from_bytes(raw, policy=policy.default)["In-Reply-To"])
                   for _, _, raw in list(sink.messages))


def settle(url: str, accepted: list[Mail], sink: Sink, timeout: float = 60.0, why=lambda: "") -> None:
    """Wait until every accepted mail is processed and acknowledged (or time runs out)."""
    def settled() -> bool:
        rows = _inbound_by_sender(url)
        return (all(rows.get(m.sender) == ["done"] for m in accepted) and _outbound_waiting(url) == 0
                and len(sink.messages) >= len(accepted))
    try:
        wait_for(settled, timeout=timeout, interval=0.2, what="every accepted mail processed and acknowledged")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{why()}") from None


def assert_each_once(url: str, mails: list[Mail], sink: Sink) -> dict[str, int]:
    """accepted == stored == processed == acknowledged, 0 duplicates, 0 lost; returns the counts."""
    accepted = [m for m in mails if m.accepted]
    assert all(m.replies.count(250) == 1 for m in accepted), "a client sent again after a 250"
    stored = _inbound_by_sender(url)
    lost = [m.message_id for m in accepted if m.sender not in stored]
    duplicated = {s: len(v) for s, v in stored.items() if len(v) > 1}
    assert not lost, f"{len(lost)} mails answered 250 are not in the database: {lost[:5]}"
    assert not duplicated, f"stored more than once: {list(duplicated.items())[:5]}"
    # A mail the clients still hold (never answered 250) must not be in the database either:
    # they would send it again, and whoever runs the desk would see it twice.
    unanswered = {m.sender for m in mails if not m.accepted}
    assert not unanswered & set(stored), "stored although the client was never told 250"
    not_done = {s: v for s, v in stored.items() if v != ["done"]}
    assert not not_done, f"not processed: {list(not_done.items())[:5]}"

    with read_scope(get_engine(url)) as session:
        conversations = session.execute(select(func.count()).select_from(Conversation)).scalar_one()
        received = session.execute(select(func.count()).select_from(Event).where(Event.kind == "received")
                                   ).scalar_one()
        acks = session.execute(select(func.count()).select_from(Message).where(
            Message.direction == "out", Message.automatic.is_(True), Message.status == "sent")).scalar_one()
    at_sink = _acks_by_reply_to(sink)
    twice = {k: n for k, n in at_sink.items() if n > 1}
    assert not twice, f"acknowledged more than once at the customer's mailbox: {list(twice.items())[:5]}"
    assert set(at_sink) == {m.message_id for m in accepted}, "every accepted mail acknowledged, no other"
    counts = {"accepted": len(accepted), "stored": len(stored), "processed": len(stored) - len(not_done),
              "conversations": conversations, "received_events": received, "acks_sent": acks,
              "acks_at_sink": sum(at_sink.values())}
    assert len(set(counts.values())) == 1, f"counts differ: {counts}"
    return counts
