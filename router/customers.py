"""Customers and their channel identities: find the ones behind a set of addresses, or
create them, with a fixed number of statements however many there are."""
from __future__ import annotations

from sqlalchemy import delete, select, tuple_
from sqlmodel import Session

from router.db import upsert_dialect_insert
from router.models import Customer, Identity

Key = tuple[str, str]  # (channel, normalised address)


def identity_key(channel: str, address: str) -> Key:
    return channel, (address.strip().lower() if channel == "email" else address.strip())


def _existing(session: Session, keys: list[Key]) -> dict[Key, int]:
    if not keys:
        return {}
    match = tuple_(Identity.channel, Identity.address).in_(keys)
    return {(c, a): cid for c, a, cid in session.execute(
        select(Identity.channel, Identity.address, Identity.customer_id).where(match))}


def find_or_create_customers(session: Session, wanted: dict[Key, str]) -> dict[Key, Customer]:
    """The customer behind each (channel, address), created with the given display name
    when new. Concurrent first messages from one address create one customer, not two."""
    found = _existing(session, list(wanted))
    missing = [key for key in wanted if key not in found]
    if missing:
        new = {key: Customer(display_name=wanted[key][:200]) for key in missing}
        session.add_all(new.values())
        session.flush()
        insert = upsert_dialect_insert(session)
        rows = [{"customer_id": customer.id, "channel": key[0], "address": key[1], "undeliverable": False,
                 "created_at": customer.created_at} for key, customer in new.items()]
        inserted = set(session.execute(insert(Identity).on_conflict_do_nothing(
            index_elements=["channel", "address"]).returning(Identity.customer_id), rows).scalars())
        lost = [customer.id for customer in new.values() if customer.id not in inserted]
        if lost:  # another worker created them between our select and insert
            for customer in new.values():
                if customer.id in lost:
                    session.expunge(customer)
            session.execute(delete(Customer).where(Customer.id.in_(lost)))
            found.update(_existing(session, [key for key, c in new.items() if c.id in lost]))
        found.update({key: customer.id for key, customer in new.items() if customer.id not in lost})
    customers = {c.id: c for c in session.execute(
        select(Customer).where(Customer.id.in_(set(found.values())))).scalars()} if found else {}
    return {key: customers[cid] for key, cid in found.items()}


def find_or_create_customer(session: Session, channel: str, address: str, name: str = "") -> Customer:
    """The customer behind (channel, address): the plural called with one."""
    key = identity_key(channel, address)
    return find_or_create_customers(session, {key: name})[key]
