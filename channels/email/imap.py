"""IMAP: read a desk's existing mailbox into the same intake as our SMTP server.

New mail is found by UID after the last one taken (`router.queue.imap_cursors`, kept with the
mailbox's UIDVALIDITY; when that changes every UID is new again and the whole mailbox is
looked at). Only the Message-ID headers are fetched first; mail whose Message-ID is
stored already (`router.queue.intake.already_accepted`) is never downloaded, so a restart or a
renumbered mailbox re-imports nothing. The rest is downloaded, parsed like SMTP mail
and accepted; only once `accept` has returned (committed) is it marked (a flag) or moved
(a folder), and the cursor moves on. A mail over the size limit is left in the mailbox,
unmarked, with an error in the log.

IMAPClient (a maintained library over the stdlib's imaplib) parses the FETCH responses,
literals and SELECT data that imaplib leaves as raw byte tuples.
"""
from __future__ import annotations

import contextlib
import logging
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import compat32

from imapclient import IMAPClient

from channels import email as email_channel
from channels.email.fields import external_id
from channels.email.headers import Headers
from config.settings import Settings, get_settings
from router.queue import imap_cursors
from router.queue.imap_cursors import Cursor
from router.queue.intake import accept, already_accepted

log = logging.getLogger(__name__)
HEADER = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"
CHUNK = 50  # mails looked at per round trip; the cursor moves after each chunk


@dataclass
class PollResult:
    imported: int = 0  # downloaded and accepted now
    known: int = 0  # their Message-ID was stored already: not downloaded
    too_large: int = 0  # over MSGROUTER_SMTP_MAX_MESSAGE_BYTES: left in the mailbox


def connect(settings: Settings, client_class: type[IMAPClient] = IMAPClient) -> IMAPClient:
    """A logged-in client; the password is read here and nowhere else."""
    host = (settings.imap_host or "").strip()
    port = settings.imap_port or (993 if settings.imap_tls == "ssl" else 143)
    client = client_class(host, port=port, ssl=settings.imap_tls == "ssl", timeout=settings.imap_timeout_seconds,
                          ssl_context=ssl.create_default_context() if settings.imap_tls == "ssl" else None)
    if settings.imap_tls == "starttls":
        client.starttls(ssl.create_default_context())
    password = settings.imap_password.get_secret_value() if settings.imap_password else ""
    client.login(settings.imap_user, password)
    return client


def message_id_of(header_block: bytes) -> str | None:
    """The Message-ID as `parse` stores it (its external id), or None when the mail has
    none: then only its bytes can tell, and it must be downloaded."""
    notes: list[str] = []
    msg = BytesParser(policy=compat32).parsebytes(header_block, headersonly=True)
    found = external_id(Headers(msg, None, notes).raw("message-id"), b"", notes)
    return None if found.startswith("sha256:") else found


class Mailbox:
    """One poll of the configured mailbox through a logged-in client."""

    def __init__(self, client: IMAPClient, settings: Settings) -> None:
        self.client, self.settings = client, settings
        self.account, self.name = settings.imap_account, settings.imap_mailbox

    def poll(self) -> PollResult:
        uidvalidity = int(self.client.select_folder(self.name)[b"UIDVALIDITY"])
        cursor = imap_cursors.load(self.account, self.name)
        if cursor is not None and cursor.uidvalidity != uidvalidity:
            log.warning("IMAP %s/%s: UIDVALIDITY changed from %s to %s: looking at every mail again "
                        "(mail already stored is recognised by its Message-ID)", self.account, self.name,
                        cursor.uidvalidity, uidvalidity)
            cursor = None
        last = cursor.last_uid if cursor else 0
        # "N:*" always matches the newest mail, even below N: keep only the new ones.
        uids = sorted(uid for uid in self.client.search(["UID", f"{last + 1}:*"]) if uid > last)
        result = PollResult()
        for start in range(0, len(uids), CHUNK):
            chunk = uids[start:start + CHUNK]
            self._take(chunk, result)
            imap_cursors.save(self.account, self.name, Cursor(uidvalidity, chunk[-1]))
        if cursor is None and not uids:  # remember the UIDVALIDITY of an empty mailbox too
            imap_cursors.save(self.account, self.name, Cursor(uidvalidity, 0))
        return result

    def _take(self, uids: list[int], result: PollResult) -> None:
        found = self.client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]", "RFC822.SIZE"])
        ids = {uid: message_id_of(found[uid].get(HEADER, b"")) for uid in uids if uid in found}
        known = already_accepted("email", {i for i in ids.values() if i})
        limit = self.settings.smtp_max_message_bytes
        taken = [uid for uid, mid in ids.items() if mid in known]
        result.known += len(taken)
        wanted = []
        for uid in ids:
            if uid in taken:
                continue
            if int(found[uid].get(b"RFC822.SIZE", 0)) > limit:
                result.too_large += 1
                log.error("IMAP %s/%s: mail UID %s is over %s bytes: left in the mailbox, not imported",
                          self.account, self.name, uid, limit)
                continue
            wanted.append(uid)
        for uid, raw in self._bodies(wanted):
            accept(email_channel.parse(raw, envelope_to=""))  # returns once committed
            taken.append(uid)
            result.imported += 1
        self._mark(taken)

    def _bodies(self, uids: list[int]) -> Iterable[tuple[int, bytes]]:
        for uid in uids:  # one at a time: a mailbox of large mails must not sit in memory at once
            body = self.client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
            if body is not None:
                yield uid, bytes(body)

    def _mark(self, uids: list[int]) -> None:
        if not uids:
            return
        folder = self.settings.imap_move_to.strip()
        if not folder:
            self.client.add_flags(uids, [self.settings.imap_mark])
            return
        if not self.client.folder_exists(folder):
            self.client.create_folder(folder)
        if self.client.has_capability("MOVE"):
            self.client.move(uids, folder)
            return
        # Without MOVE (RFC 6851): copy, then delete only these UIDs (UIDPLUS), never others'.
        self.client.copy(uids, folder)
        self.client.add_flags(uids, [b"\\Deleted"])
        if self.client.has_capability("UIDPLUS"):
            self.client.uid_expunge(uids)


def poll_once(settings: Settings | None = None, client_class: type[IMAPClient] = IMAPClient) -> PollResult:
    """Connect, take what is new, log out."""
    settings = settings or get_settings()
    client = connect(settings, client_class)
    try:
        return Mailbox(client, settings).poll()
    finally:
        with contextlib.suppress(OSError, IMAPClient.Error):  # the server went first: nothing to close
            client.logout()


def poll_forever(stop: threading.Event, settings: Settings | None = None,
                 client_class: type[IMAPClient] = IMAPClient,
                 on_result: Callable[[PollResult], None] | None = None) -> None:
    """Poll every MSGROUTER_IMAP_POLL_SECONDS until `stop` is set; a failed poll (server
    down, database busy) is logged and tried again at the next interval, and mail it had
    not yet accepted stays unmarked in the mailbox for that try."""
    settings = settings or get_settings()
    while not stop.is_set():
        try:
            result = poll_once(settings, client_class)
            if result.imported or result.too_large:
                log.info("IMAP %s/%s: %d imported, %d known already, %d too large", settings.imap_account,
                         settings.imap_mailbox, result.imported, result.known, result.too_large)
            if on_result:
                on_result(result)
        except Exception as exc:  # noqa: BLE001 - the next interval tries again; nothing was marked
            log.error("IMAP %s/%s: poll failed (%s: %s); trying again in %ss", settings.imap_account,
                      settings.imap_mailbox, type(exc).__name__, str(exc)[:200], settings.imap_poll_seconds)
        stop.wait(settings.imap_poll_seconds)
