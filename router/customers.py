"""Customers and their channel identities: find the one behind an address, or create it."""
from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from router.db import upsert_dialect_insert
from router.models import Customer, Identity


def find_or_create_customer(session: Session, channel: str, address: str, name: str = "") -> Customer:
    """The customer behind (channel, address); concurrent first messages create one, not two."""
    address = address.strip().lower() if channel == "email" else address.strip()
    identity = session.execute(select(Identity).where(
        Identity.channel == channel, Identity.address == address)).scalars().first()
    if identity is not None:
        return session.get(Customer, identity.customer_id)
    customer = Customer(display_name=name[:200])
    session.add(customer)
    session.flush()
    insert = upsert_dialect_insert(session)
    inserted = session.execute(insert(Identity).values(
        customer_id=customer.id, channel=channel, address=address, undeliverable=False,
        created_at=customer.created_at).on_conflict_do_nothing(
        index_elements=["channel", "address"]).returning(Identity.id)).scalar_one_or_none()
    if inserted is None:  # another worker created it between our select and insert
        session.delete(customer)
        identity = session.execute(select(Identity).where(
            Identity.channel == channel, Identity.address == address)).scalars().one()
        return session.get(Customer, identity.customer_id)
    return customer
