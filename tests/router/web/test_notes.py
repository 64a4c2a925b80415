"""Internal notes (issue 20) over real HTTP, on both databases: from the API and from the
conversation page, redacted before they are stored, shown to agents of the pool only,
and never sent: no outbound row, nothing at the customer's mailbox."""
from __future__ import annotations

import io
import logging
import secrets

import httpx
from mnemonic import Mnemonic
from sqlalchemy import func, select, text
from sqlmodel import SQLModel

from dashboard import csrf_of, signed_in
from desk_roles import MEMBER, OUTSIDER, security_cases
from router import logs
from router.delivery.outbox import deliver_pending
from router.storage.db import get_engine, session_scope
from router.storage.models import Event, Message
from router.web.pages.strings import TEXT

NOTE = "Called the customer back: the transfer was to an exchange deposit address."


def _outbound_rows() -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(Message).where(Message.direction == "out")).scalar()


def _everything_stored() -> str:
    chunks = []
    with get_engine().connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            chunks.extend(repr(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {table.name}")))
    return "\n".join(chunks)


def _planted() -> tuple[str, list[str]]:
    """A note quoting a customer's phrase, key and password; and the pieces that must not rest."""
    phrase = Mnemonic("english").generate(strength=128)
    key_hex = secrets.token_hex(32)
    password = "Pw-" + secrets.token_urlsafe(9)
    words = phrase.split()
    pieces = [" ".join(words[i:i + 3]) for i in range(len(words) - 2)] + [key_hex, password]
    note = (f"Customer pasted their seed phrase in chat: {phrase}\nand the private key 0x{key_hex}\n"
            f"and said my password is {password}\nTold them to move funds to a new wallet.")
    return note, pieces


def test_a_note_from_the_api_is_stored_redacted_shown_and_never_sent(api, broker, sink):
    base, auth = api
    [cid] = security_cases(1)
    deliver_pending()  # the acknowledgement goes out first
    before_rows, before_mail = _outbound_rows(), len(sink.messages)
    note, pieces = _planted()
    captured = io.StringIO()
    handler = logs.configure("DEBUG", stream=captured)
    try:
        added = httpx.post(f"{base}/api/conversations/{cid}/notes", headers=auth(MEMBER), json={"text": note})
        plain = httpx.post(f"{base}/api/conversations/{cid}/notes", headers=auth("dan"), json={"text": NOTE})
        shown = httpx.get(f"{base}/api/conversations/{cid}", headers=auth(MEMBER))
        deliver_pending()
    finally:
        logging.getLogger().removeHandler(handler)

    assert added.status_code == 201, added.text
    body = added.json()
    assert body["author"] == MEMBER and set(body["secret_kinds"]) >= {"mnemonic", "private_key", "password"}
    assert "[REDACTED:mnemonic]" in body["text"] and "Told them to move funds" in body["text"]
    assert plain.status_code == 201 and plain.json()["text"] == NOTE
    notes = shown.json()["notes"]
    assert [(n["author"], n["id"]) for n in notes] == [(MEMBER, body["id"]), ("dan", plain.json()["id"])]
    for where, blob in (("database", _everything_stored()), ("log", captured.getvalue()),
                        ("API", added.text + shown.text)):
        assert [p for p in pieces if p in blob] == [], f"a secret reached the {where}"
    # Never queued to any channel, never at the customer's mailbox.
    assert _outbound_rows() == before_rows
    assert len(sink.messages) == before_mail
    assert not any(b"exchange deposit" in raw for _, _, raw in sink.messages)


def test_a_note_is_refused_in_words_and_outside_the_pool_it_is_404(api, broker):
    base, auth = api
    [cid] = security_cases(1)
    url = f"{base}/api/conversations/{cid}/notes"
    for body, status in (({"text": ""}, 422), ({"text": "x" * 10_001}, 422), ({"text": "a\x00b"}, 422),
                         ({}, 422), ({"text": "   "}, 422)):
        refused = httpx.post(url, headers=auth(MEMBER), json=body)
        assert refused.status_code == status, (body, refused.text)
    assert "needs some text" in httpx.post(url, headers=auth(MEMBER), json={"text": " \n "}).json()["detail"]
    hidden = httpx.post(url, headers=auth(OUTSIDER), json={"text": NOTE})
    absent = httpx.post(f"{base}/api/conversations/{cid + 1000}/notes", headers=auth(OUTSIDER), json={"text": NOTE})
    assert (hidden.status_code, absent.status_code) == (404, 404)
    assert hidden.json()["detail"].replace(str(cid), "N") == absent.json()["detail"].replace(str(cid + 1000), "N")
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(Event).where(Event.kind == "note")).scalar() == 0


def test_a_note_from_the_page_is_marked_internal_in_the_thread(api, broker, sink):
    base, _ = api
    [cid] = security_cases(1)
    deliver_pending()
    before_rows, before_mail = _outbound_rows(), len(sink.messages)
    note, pieces = _planted()
    alice = signed_in(base, MEMBER)
    posted = alice.post(f"/conversations/{cid}/notes", data={"csrf": csrf_of(alice, "/work"), "text": note})
    assert posted.status_code == 303 and posted.headers["location"] == f"/conversations/{cid}?done=noted"
    page = alice.get(posted.headers["location"]).text
    assert 'class="note"' in page and "[REDACTED:mnemonic]" in page
    assert TEXT["zh"]["internal_note"] in page  # alice reads Chinese first (desk.toml)
    # After the customer's message in the thread, and apart from the reply form.
    assert page.index('class="message in') < page.index('class="note"') < page.index('id="reply-form"')
    assert [p for p in pieces if p in page + _everything_stored()] == []
    deliver_pending()
    assert _outbound_rows() == before_rows and len(sink.messages) == before_mail

    # An empty note is refused on the page; a draft that held a secret comes back redacted.
    empty = alice.post(f"/conversations/{cid}/notes", data={"csrf": csrf_of(alice, "/work"), "text": "  "})
    assert empty.status_code == 422 and 'id="note-error"' in empty.text and "needs some text" in empty.text
    assert 'id="reply-form"' in empty.text  # the rest of the page is there
    long = alice.post(f"/conversations/{cid}/notes",
                      data={"csrf": csrf_of(alice, "/work"), "text": note + "x" * 10_000})
    assert long.status_code == 422 and "[REDACTED:mnemonic]" in long.text
    assert [p for p in pieces if p in long.text] == []


def test_an_agent_outside_the_pool_gets_404_on_the_page_as_from_the_api(api, broker):
    base, _ = api
    [cid] = security_cases(1)
    carol = signed_in(base, OUTSIDER)
    token = csrf_of(carol, "/work")
    for path, form in (("/notes", {"text": NOTE}), ("/reassign", {"agent": "dan"})):
        hidden = carol.post(f"/conversations/{cid}{path}", data={"csrf": token, **form})
        assert hidden.status_code == 404, (path, hidden.text[:200])
    assert carol.get(f"/conversations/{cid}").status_code == 404
    with session_scope() as session:
        kinds = set(session.execute(select(Event.kind).where(Event.conversation_id == cid)).scalars())
    assert not kinds & {"note", "reassigned"}
