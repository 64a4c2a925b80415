"""IMAP against a real dovecot (tests/dovecot.py): mail filed into the mailbox with APPEND is
taken in once, marked or moved after it is stored, never downloaded again when its
Message-ID is known, threads like SMTP mail, and the agent's answer leaves by SMTP."""
from __future__ import annotations

import os
import signal
from typing import ClassVar

import httpx
import pytest
from imapclient import IMAPClient
from sqlalchemy import select

from channels.email.imap import poll_once
from cli_process import start, stop
from dovecot import PASSWORD, Dovecot, dovecot_binary
from router.storage.db import session_scope
from router.storage.models import Conversation, ImapCursor, Message
from support import make_email, wait_for


class CountingClient(IMAPClient):
    """IMAPClient that notes each FETCH it sends: (UIDs, data items)."""

    fetches: ClassVar[list[tuple[list[int], list[str]]]] = []

    def fetch(self, messages, data, modifiers=None):
        CountingClient.fetches.append((list(messages), [str(d) for d in data]))
        return super().fetch(messages, data, modifiers)


def bodies_downloaded() -> list[int]:
    return [uid for uids, items in CountingClient.fetches if "BODY.PEEK[]" in items for uid in uids]


@pytest.fixture
def imap(db_url, broker, monkeypatch):
    """A private dovecot whose mailbox msgrouter's settings point at."""
    if dovecot_binary() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("dovecot is not installed: tests/services.sh installs dovecot-imapd")
        pytest.skip("dovecot is not installed (tests/services.sh installs dovecot-imapd as root)")
    from config.settings import get_settings

    CountingClient.fetches = []
    with Dovecot() as server:
        for key, value in server.settings().items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()


def _inbound_ids() -> list[str]:
    with session_scope() as session:
        return list(session.execute(select(Message.external_id).where(Message.direction == "in")
                                    .order_by(Message.id)).scalars())


def test_new_mail_is_imported_once_and_flagged_after_it_is_stored(imap):
    first, second = make_email(subject="Withdrawal missing"), make_email(subject="Fee question")
    imap.append(first.as_bytes())
    imap.append(second.as_bytes())

    result = poll_once(client_class=CountingClient)
    assert (result.imported, result.known) == (2, 0)
    assert _inbound_ids() == [first["Message-ID"], second["Message-ID"]]
    assert all("\\Seen" in flags for flags in imap.flags()), imap.flags()

    # The next look (a restart included: the cursor is in the database) finds nothing new
    # and downloads nothing.
    CountingClient.fetches = []
    assert poll_once(client_class=CountingClient).imported == 0
    assert CountingClient.fetches == []

    third = make_email(subject="Another question")
    imap.append(third.as_bytes())
    assert poll_once(client_class=CountingClient).imported == 1
    assert bodies_downloaded() == [3]
    assert _inbound_ids() == [first["Message-ID"], second["Message-ID"], third["Message-ID"]]


def test_a_renumbered_mailbox_downloads_no_body_it_knows(imap, monkeypatch):
    from config.settings import get_settings

    monkeypatch.setenv("MSGROUTER_IMAP_MAILBOX", "Support")
    get_settings.cache_clear()
    known = [make_email(subject=f"Question {i}") for i in range(2)]
    for mail in known:
        imap.append(mail.as_bytes(), "Support")
    assert poll_once().imported == 2
    with session_scope() as session:
        validity_before = session.execute(select(ImapCursor.uidvalidity)).scalar_one()

    # The mailbox is made again (a server migration, a restore): new UIDVALIDITY, the same
    # mail under new UIDs, plus one new mail.
    imap.recreate("Support")
    new = make_email(subject="A new question")
    for mail in [*known, new]:
        imap.append(mail.as_bytes(), "Support")
    bodies_before = imap.bodies_fetched()

    result = poll_once(client_class=CountingClient)
    assert (result.imported, result.known) == (1, 2)
    assert bodies_downloaded() == [3], "only the unknown mail's body is downloaded"
    assert imap.bodies_fetched() - bodies_before == 1, "dovecot saw one body fetched"
    assert _inbound_ids() == [known[0]["Message-ID"], known[1]["Message-ID"], new["Message-ID"]]
    assert all("\\Seen" in flags for flags in imap.flags("Support")), "known mail is marked too"
    with session_scope() as session:
        assert session.execute(select(ImapCursor.uidvalidity)).scalar_one() != validity_before


def test_taken_mail_is_moved_to_the_folder_set(imap, monkeypatch):
    from config.settings import get_settings

    monkeypatch.setenv("MSGROUTER_IMAP_MOVE_TO", "Processed")
    get_settings.cache_clear()
    imap.append(make_email().as_bytes())
    imap.append(make_email(subject="Second").as_bytes())
    assert poll_once().imported == 2
    assert imap.count("INBOX") == 0
    assert imap.count("Processed") == 2
    assert len(_inbound_ids()) == 2


def test_imap_mail_threads_and_the_answer_leaves_by_smtp(imap, worker, sink, api):
    base, auth = api
    question = make_email(sender="wei@example.com", subject="Withdrawal missing",
                          text="My withdrawal of 500 USDT has not arrived since yesterday.")
    imap.append(question.as_bytes())
    assert poll_once().imported == 1
    wait_for(lambda: sink.messages, what="the acknowledgement")
    ack = sink.parsed()[0]
    assert ack["In-Reply-To"] == question["Message-ID"]

    answer = make_email(sender="wei@example.com", subject="Re: " + str(ack["Subject"]),
                        text="The transaction hash is 0xabc, sent from my exchange account.",
                        in_reply_to=ack["Message-ID"], references=[question["Message-ID"], ack["Message-ID"]])
    imap.append(answer.as_bytes())
    assert poll_once().imported == 1

    def conversations_of_both() -> set[int] | None:
        with session_scope() as session:
            rows = session.execute(select(Message.conversation_id, Message.status).where(
                Message.direction == "in")).all()
        done = {cid for cid, status in rows if status == "done"}
        return done if len(rows) == 2 and all(s == "done" for _, s in rows) else None
    assert len(wait_for(conversations_of_both, what="both mails through the pipeline")) == 1
    with session_scope() as session:
        conversation = session.execute(select(Conversation)).scalar_one()

    replied = httpx.post(f"{base}/api/conversations/{conversation.id}/reply", headers=auth("erin"),
                         json={"text": "Thank you, we are checking the transaction now."})
    assert replied.status_code == 201, replied.text
    wait_for(lambda: len(sink.messages) >= 2, what="the agent's answer at the sink")
    reply = sink.parsed()[1]
    assert reply["To"] == "wei@example.com"
    assert reply["In-Reply-To"] == answer["Message-ID"]
    assert "checking the transaction" in reply.get_content()
    assert len(sink.messages) == 2, "the follow-up got no second acknowledgement"


def test_the_imap_command_polls_until_ctrl_c_and_never_prints_the_password(imap, db_url, tmp_path):
    log = tmp_path / "imap.log"
    proc = start("imap", cwd=tmp_path, log=log, MSGROUTER_DATABASE_URL=db_url,
                 MSGROUTER_IMAP_POLL_SECONDS="0.2", MSGROUTER_LOG_LEVEL="DEBUG", **imap.settings())
    try:
        mail = make_email(subject="Polled")
        imap.append(mail.as_bytes())
        wait_for(lambda: _inbound_ids() == [mail["Message-ID"]], what="the command to import the mail")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            stop(proc)
    output = log.read_text()
    assert "IMAP polling stopped" in output
    assert "1 imported" in output
    assert PASSWORD not in output


def test_without_a_host_imap_is_off(db_url, tmp_path):
    from cli_process import msgrouter

    done = msgrouter("imap", cwd=tmp_path, MSGROUTER_DATABASE_URL=db_url)
    assert done.returncode == 2
    assert "IMAP is off" in done.stderr



def test_a_refused_login_is_one_line_without_the_password(imap, db_url, tmp_path):
    from cli_process import msgrouter

    done = msgrouter("imap", "--once", cwd=tmp_path, MSGROUTER_DATABASE_URL=db_url,
                     **imap.settings(MSGROUTER_IMAP_PASSWORD="not-the-password"))
    assert done.returncode == 2
    assert "AUTHENTICATIONFAILED" in done.stderr and "MSGROUTER_IMAP_PASSWORD" in done.stderr
    assert "not-the-password" not in done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def _refuse_inserts(db_url: str, on: bool) -> None:
    """Make the database refuse new messages (a full disk, say), or stop refusing."""
    from sqlalchemy import text

    from router.storage.db import get_engine

    if db_url.startswith("sqlite"):
        statements = ["CREATE TRIGGER refuse BEFORE INSERT ON message BEGIN SELECT RAISE(ABORT, 'disk full'); END"] \
            if on else ["DROP TRIGGER IF EXISTS refuse"]
    else:
        statements = [("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ "
                       "LANGUAGE plpgsql"),
                      "CREATE TRIGGER refuse BEFORE INSERT ON message FOR EACH ROW EXECUTE FUNCTION refuse()"] \
            if on else ["DROP TRIGGER IF EXISTS refuse ON message", "DROP FUNCTION IF EXISTS refuse()"]
    with get_engine(db_url).begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_mail_that_could_not_be_stored_stays_unmarked_and_is_taken_next_time(imap, db_url):
    mail = make_email(subject="Stored later")
    imap.append(mail.as_bytes())
    _refuse_inserts(db_url, True)
    try:
        with pytest.raises(Exception, match="disk full"):
            poll_once()
        assert imap.flags() == [""], "nothing is marked before it is stored"
        assert _inbound_ids() == []
    finally:
        _refuse_inserts(db_url, False)
    assert poll_once().imported == 1
    assert _inbound_ids() == [mail["Message-ID"]]
    assert imap.flags() == ["\\Seen"]


def test_a_copy_of_our_answer_to_a_form_is_ours_but_a_customer_id_on_another_channel_is_not(imap, worker, sink, api):
    """A web form is answered by mail, stored on the `webform` channel: a copy of that mail
    in the mailbox (a Bcc, a relay that files what it sends) is skipped, not imported as the
    customer's. A customer's form, though, is another message than a mail with its id."""
    base, _ = api
    form = {"name": "Ana Souza", "email": "ana@example.com", "subject": "Card refused",
            "message": "My card payment to top up the wallet was refused twice today."}
    assert httpx.post(f"{base}/forms/contact", json=form, timeout=10).status_code == 202
    wait_for(lambda: sink.messages, what="the acknowledgement of the form, by mail")
    ours = sink.messages[0][2]
    with session_scope() as session:
        form_id = session.execute(select(Message.external_id).where(Message.channel == "webform",
                                                                     Message.direction == "in")).scalar_one()
    imap.append(ours)
    imap.append(make_email(sender="ana@example.com", message_id=form_id, text="Mailed with the form's id").as_bytes())

    result = poll_once(client_class=CountingClient)
    assert (result.imported, result.known) == (1, 1)
    assert bodies_downloaded() == [2], "our own answer's body is not even downloaded"
    with session_scope() as session:
        inbound = session.execute(select(Message.channel, Message.text).where(Message.direction == "in")
                                  .order_by(Message.id)).all()
    assert [(channel, "Mailed" in text) for channel, text in inbound] == [("webform", False), ("email", True)]
