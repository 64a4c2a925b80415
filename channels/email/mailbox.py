"""The mailbox an email address delivers to, for counting what one person receives: the
address lower-cased, its `+tag` dropped, its dots dropped at providers that ignore them,
and its domain in one form (IDNA ASCII) under one name."""
from __future__ import annotations

from collections.abc import Collection, Mapping


def mailbox_key(address: str, dotless_domains: Collection[str] = (),
                domain_aliases: Mapping[str, str] | None = None) -> str:
    """`address` as the mailbox it reaches: "A.B+news@GoogleMail.com" -> "ab@gmail.com".

    Sub-addressing ("x+tag@") reaches x@ at nearly every provider, so the tag always goes;
    dots reach the same mailbox only where the provider says so (`dotless_domains`)."""
    address = address.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return address
    domain = _ascii_domain(domain.rstrip("."))
    domain = (domain_aliases or {}).get(domain, domain)
    if not local.startswith('"'):  # a quoted local part is taken as written
        local = local.split("+", 1)[0] or local
        if domain in dotless_domains:
            local = local.replace(".", "") or local
    return f"{local}@{domain}"


def _ascii_domain(domain: str) -> str:
    """公司.example and xn--55qx5d.example are one domain: both become the ASCII form."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:  # not a valid IDN label: compared as written
        return domain
