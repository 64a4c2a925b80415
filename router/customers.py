"""Customers and their channel identities: find the ones behind a set of addresses, or
create them, with a fixed number of statements however many there are."""
from __future__ import annotations

from sqlalchemy import delete, select, tuple_
from sqlmodel import Session, col

from router import rows
from router.db import upsert_dialect_insert
from router.models import Customer, Identity

Key = tuple[str, str]  # (channel, normalised address)


def identity_key(channel: str, address: str) -> Key:
    return channel, (address.strip().lower() if channel == "email" else address.strip())


def _existing(session: Session, keys: list[Key]) -> dict[Key, int]:
    if not keys:
        return {}
    return {(c, a): cid for c, a, cid in session.execute(
        select(col(Identity.channel), col(Identity.address), col(Identity.customer_id))
        .where(tuple_(Identity.channel, Identity.address).in_(keys)))}


def find_or_create_customers(session: Session, wanted: dict[Key, str]) -> dict[Key, rows.Row]:
    """The customer behind each (channel, address), created with the given display name
    when new. Concurrent first messages from one address create one customer, not two."""
    found = _existing(session, list(wanted))
    new = {key: rows.new(Customer, display_name=wanted[key][:200]) for key in wanted if key not in found}
    if new:
        rows.insert_all(session, Customer, list(new.values()))
        insert = upsert_dialect_insert(session)
        inserted = set(session.execute(insert(Identity).on_conflict_do_nothing(
            index_elements=["channel", "address"]).returning(Identity.customer_id),
            [{"customer_id": customer.id, "channel": key[0], "address": key[1], "undeliverable": False,
              "created_at": customer.created_at} for key, customer in new.items()]).scalars())
        lost = {key: c.id for key, c in new.items() if c.id not in inserted}
        if lost:  # another worker created them between our select and insert
            session.execute(delete(Customer).where(col(Customer.id).in_(lost.values())))
            found.update(_existing(session, list(lost)))
        found.update({key: c.id for key, c in new.items() if key not in lost})
    customers = {c.id: c for c in rows.load(session, Customer, col(Customer.id).in_(set(found.values())))}
    return {key: customers[cid] for key, cid in found.items()}
