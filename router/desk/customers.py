"""Customers and their channel identities: find the ones behind a set of addresses, or
create them, with a fixed number of statements however many there are.

Identities on channels of one kind (`channels.kind_of`: email and the website form) are
linked: the same address there is the same customer, so a form sent from an address and
mail from it later are one customer's history. The address is taken as the channel gives
it: neither door proves who typed it, but everything we send to it goes to that mailbox
alone, so linking can add a message to the history of the address's owner, never show
that history to anybody else.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlmodel import Session, col

from channels import kind_of, same_kind
from router.storage import rows
from router.storage.db import upsert_dialect_insert
from router.storage.models import Customer, Identity
from router.storage.pairs import pairs_in

Key = tuple[str, str]  # (channel, normalised address)


def identity_key(channel: str, address: str) -> Key:
    # Mail addresses are compared without case, on every channel that speaks them.
    return channel, (address.strip().lower() if kind_of(channel) == "email" else address.strip())


def _existing(session: Session, keys: list[Key]) -> dict[Key, int]:
    if not keys:
        return {}
    return {(c, a): cid for c, a, cid in session.execute(
        select(col(Identity.channel), col(Identity.address), col(Identity.customer_id))
        .where(pairs_in(col(Identity.channel), col(Identity.address), keys)))}


def _link_key(key: Key) -> tuple[str, str]:
    return kind_of(key[0]), key[1]


def _linked(session: Session, keys: list[Key]) -> dict[tuple[str, str], int]:
    """The customer already known by each (kind, address) on any channel of that kind; the
    oldest identity decides when several customers share it."""
    siblings = list({(other, address) for channel, address in keys for other in same_kind(channel)})
    found = sorted(_existing(session, siblings).items(), key=lambda item: item[1])
    linked: dict[tuple[str, str], int] = {}
    for key, customer_id in found:
        linked.setdefault(_link_key(key), customer_id)
    return linked


def _add_identities(session: Session, owners: dict[Key, int], at) -> set[Key]:
    """Insert the identities; returns those somebody else inserted first (left as they are)."""
    if not owners:
        return set()
    insert = upsert_dialect_insert(session)
    inserted = {(channel, address) for channel, address in session.execute(insert(Identity).on_conflict_do_nothing(
        index_elements=["channel", "address"]).returning(Identity.channel, Identity.address),
        [{"customer_id": cid, "channel": key[0], "address": key[1], "undeliverable": False,
          "created_at": at} for key, cid in owners.items()])}
    return set(owners) - inserted


def find_or_create_customers(session: Session, wanted: dict[Key, str]) -> dict[Key, rows.Row]:
    """The customer behind each (channel, address), created with the given display name
    when new; an address known on a linked channel gets an identity here for the same
    customer. Concurrent first messages from one address create one customer, not two."""
    found = _existing(session, list(wanted))
    missing = [key for key in wanted if key not in found]
    linked = _linked(session, missing) if missing else {}
    # One new customer per (kind, address): a form and a mail in one batch are one person.
    new: dict[tuple[str, str], rows.Row] = {}
    for key in missing:
        if _link_key(key) not in linked and _link_key(key) not in new:
            new[_link_key(key)] = rows.new(Customer, display_name=wanted[key][:200])
    if new:
        rows.insert_all(session, Customer, list(new.values()))
    owners = {key: linked[_link_key(key)] if _link_key(key) in linked else new[_link_key(key)].id
              for key in missing}
    at = next(iter(new.values())).created_at if new else rows.new(Customer).created_at
    lost = _add_identities(session, owners, at)
    if lost:  # another worker created them between our select and insert
        unused = {new[_link_key(k)].id for k in lost if _link_key(k) in new} - \
            {cid for k, cid in owners.items() if k not in lost}
        if unused:
            session.execute(delete(Customer).where(col(Customer.id).in_(unused)))
        found.update(_existing(session, list(lost)))
    found.update({key: cid for key, cid in owners.items() if key not in lost})
    # The customers made here are at hand as inserted; only the others are read.
    customers = {c.id: c for c in new.values()}
    earlier = set(found.values()) - customers.keys()
    if earlier:
        customers.update((c.id, c) for c in rows.load(session, Customer, col(Customer.id).in_(earlier)))
    return {key: customers[cid] for key, cid in found.items()}
