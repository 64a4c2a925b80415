"""What intake tells the operator, one line a message: that it was accepted, on which
channel and under which id, which kinds of secret were taken out of it (never the
secret), and that a redelivery was ignored; each record carries the message id, which
the JSON log and the dashboard's trail link by (README, "Logs and metrics")."""
from __future__ import annotations

import hashlib
import logging
import uuid

from channels.base import Inbound
from router.queue.intake import accept

PHRASE = "my password is Hunter2Secret!"
KEY = hashlib.sha256(b"a made-up key for the intake log test").hexdigest()


def _records(caplog) -> list[tuple[str, int | None]]:
    return [(r.getMessage(), getattr(r, "message_id", None)) for r in caplog.records
            if r.name == "router.queue.intake"]


def test_accepted_secrets_removed_and_redelivery_each_say_so_with_the_message_id(db_url, caplog):
    caplog.set_level(logging.INFO, logger="router.queue.intake")
    with_secret = Inbound(channel="email", external_id=f"<{uuid.uuid4().hex}@example.com>",
                          sender="wei@example.com", subject="Locked out",
                          text=f"I cannot log in, {PHRASE}\nprivate key: {KEY}")
    plain = Inbound(channel="telegram", external_id="5550001:7", sender="5550001", text="Withdrawal missing")
    first, second = accept(with_secret).message_id, accept(plain).message_id
    again = accept(with_secret)
    assert again.duplicate and again.message_id == first
    assert _records(caplog) == [
        (f"accepted email message {first} (secrets removed: password, private_key)", first),
        (f"accepted telegram message {second}", second),
        (f"duplicate email message ignored (message {first})", first),
    ]
    assert "Hunter2Secret" not in caplog.text and KEY not in caplog.text
