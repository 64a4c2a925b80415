"""Whether a customer's address on a channel can be written to: unreachable once the channel
says so (a bounce, a blocked bot, an unfollowed WeChat account), reachable again when the
customer writes from it. Acknowledgements skip unreachable addresses."""
from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

from router.storage.models import Identity


def set_reachable(session: Session, channel: str, address: str, reachable: bool) -> None:
    session.execute(update(Identity).where(
        col(Identity.channel) == channel, col(Identity.address) == address,
        col(Identity.undeliverable).is_(reachable)).values(undeliverable=not reachable),
        execution_options={"synchronize_session": False})
