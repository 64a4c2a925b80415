"""A small SMTP relay on loopback that holds a client to RFC 2920 to the letter, either way.

Offering PIPELINING, it keeps its replies back until the command that ends a group has
arrived (DATA, RSET, NOOP, QUIT, EHLO, or the end of a mail's data), as RFC 2920 lets a
server do: a client that waits for MAIL's reply before sending RCPT waits for ever. Not
offering it, it answers a command that arrived before the last one's reply with 554 and
hangs up, as Exim's synchronization check does. It refuses RCPT for unknown@ (550) and
busy@ (451); it can hang up on the envelope of a given recipient (the relay never has
that mail) or after taking a given recipient's data without answering (it has the mail,
the client never hears so); and it can accept DATA after refusing every recipient, the
case RFC 2920 3.1 tells clients to end with a lone dot.
"""
from __future__ import annotations

import contextlib
import select
import socket
import threading

from relays import message_ids

GROUP_ENDS = (b"DATA", b"RSET", b"NOOP", b"QUIT", b"EHLO", b"HELO")


class HangUp(Exception):
    """The relay closes the connection without a word."""


class StrictRelay:
    def __init__(self, pipelining: bool = True, hang_up_on: tuple[str, ...] = (),
                 hang_up_after_data: tuple[str, ...] = (), data_after_refusal: bool = False) -> None:
        self.pipelining = pipelining
        self.hang_up_on = set(hang_up_on)  # each once: the envelope that names it is never answered
        self.hang_up_after_data = set(hang_up_after_data)  # each once: its data kept, never answered
        self.data_after_refusal = data_after_refusal
        self.mails: list[tuple[int, str, bytes]] = []  # (connection number, recipient, data)
        self.empty_data = 0  # DATA sessions ended by a lone dot
        self.out_of_sync: list[bytes] = []  # commands sent ahead to a relay without PIPELINING
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def received(self):
        return message_ids([data for _, _, data in self.mails])

    def __enter__(self) -> StrictRelay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept
        self._listener.close()
        self._thread.join(5)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._session, args=(conn, self.connections), daemon=True).start()

    def _session(self, conn: socket.socket, number: int) -> None:
        # A hang-up is the relay's own choice, a reset the client's: either ends the session.
        with conn, contextlib.suppress(HangUp, OSError):
            _Dialogue(self, conn, number).run()


class _Dialogue:
    """One connection's SMTP session."""

    def __init__(self, relay: StrictRelay, conn: socket.socket, number: int) -> None:
        self.relay, self.conn, self.number = relay, conn, number
        self.buffer = b""
        self.held: list[bytes] = []
        self.sender: str | None = None
        self.recipients: list[str] = []

    def run(self) -> None:
        self.conn.sendall(b"220 strict.example ESMTP\r\n")
        while True:
            line = self._line()
            verb = line[:4].upper()
            self._answer(verb, line[4:].strip().decode())
            if verb in GROUP_ENDS or not self.relay.pipelining:
                self._flush()
            if verb == b"QUIT":
                return

    def _answer(self, verb: bytes, argument: str) -> None:
        if verb in (b"EHLO", b"HELO"):
            self._reply(b"250-strict.example\r\n" + (b"250-PIPELINING\r\n" if self.relay.pipelining else b"")
                        + b"250 8BITMIME")
        elif verb == b"MAIL":
            self._mail(argument)
        elif verb == b"RCPT":
            self._rcpt(argument.partition("<")[2].rstrip(">"))
        elif verb == b"DATA":
            self._data()
        elif verb == b"RSET":
            self.sender, self.recipients = None, []
            self._reply(b"250 OK")
        elif verb == b"QUIT":
            self._reply(b"221 Bye")
        else:
            self._reply(b"250 OK" if verb == b"NOOP" else b"500 5.5.2 unknown command")

    def _mail(self, argument: str) -> None:
        if self.sender is not None:
            self._reply(b"503 5.5.1 nested MAIL command")
        else:
            self.sender = argument
            self._reply(b"250 OK")

    def _rcpt(self, address: str) -> None:
        if address in self.relay.hang_up_on:
            self.relay.hang_up_on.discard(address)
            raise HangUp
        if self.sender is None:
            self._reply(b"503 5.5.1 need MAIL first")
        elif address.startswith("unknown@"):
            self._reply(b"550 5.1.1 no such user here")
        elif address.startswith("busy@"):
            self._reply(b"451 4.2.1 mailbox busy, try later")
        else:
            self.recipients.append(address)
            self._reply(b"250 OK")

    def _data(self) -> None:
        if not self.recipients and not self.relay.data_after_refusal:
            self._reply(b"554 5.5.1 no valid recipients")
            return
        self._reply(b"354 end data with <CR><LF>.<CR><LF>")
        self._flush()
        data = self._message()
        if not self.recipients:
            self.relay.empty_data += not data
            self._reply(b"554 5.5.1 no valid recipients")
            return
        [recipient] = self.recipients
        self.relay.mails.append((self.number, recipient, data))
        if recipient in self.relay.hang_up_after_data:
            self.relay.hang_up_after_data.discard(recipient)
            raise HangUp
        self.sender, self.recipients = None, []
        self._reply(b"250 2.0.0 queued")

    def _message(self) -> bytes:
        lines = []
        while (line := self._line()) != b".\r\n":
            lines.append(line[1:] if line.startswith(b".") else line)
        return b"".join(lines)

    def _reply(self, reply: bytes) -> None:
        self.held.append(reply + b"\r\n")

    def _flush(self) -> None:
        if not self.relay.pipelining and self._ahead():
            self.relay.out_of_sync.append(self.buffer[:100])
            self.conn.sendall(b"554 5.5.0 SMTP synchronization error\r\n")
            raise HangUp
        if self.held:
            self.conn.sendall(b"".join(self.held))
            self.held = []

    def _ahead(self) -> bool:
        """Whether the client sent more before hearing our reply to its last line."""
        return bool(self.buffer) or bool(select.select([self.conn], [], [], 0)[0])

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = self.conn.recv(65536)
            if not chunk:
                raise HangUp
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line + b"\r\n"
