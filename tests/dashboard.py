"""Signing in to the dashboard as a browser does, for the tests of its pages: a password
set through router/desk/passwords.py, the sign-in form posted with its CSRF token, and the
cookie kept by an httpx client."""
from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest

from router.desk.passwords import set_password
from router.storage.db import session_scope

PASSWORD = "correct horse battery staple"
CHROMIUM = Path("/usr/bin/chromium")
# The browser tests need Debian's chromium (tests/services.sh installs it); in CI a missing
# browser is a failure, not a skip.
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"),
                                    reason="Debian's chromium is not installed (tests/services.sh installs it)")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def give_password(name: str, password: str = PASSWORD) -> None:
    with session_scope() as session:
        set_password(session, name, password, actor="test")


def csrf_of(client: httpx.Client, path: str = "/") -> str:
    page = client.get(path)
    found = _CSRF.search(page.text)
    assert found, f"no CSRF token on {path}: {page.status_code} {page.text[:300]}"
    return found.group(1)


def signed_in(base: str, name: str, password: str = PASSWORD, set_it: bool = True) -> httpx.Client:
    """A client signed in as `name` (its password set first unless `set_it` is False)."""
    if set_it:
        give_password(name, password)
    client = httpx.Client(base_url=base)
    response = client.post("/login", data={"csrf": csrf_of(client), "name": name, "password": password})
    assert response.status_code == 303, (response.status_code, response.text[:300])
    return client
