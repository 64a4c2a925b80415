"""Hypothesis strategies for SMTP dialogues: what a broken client, a spammer's ratware or a
fuzzer writes to port 25. Sequences of commands, valid and invalid, in any order, some
pipelined into one write, with junk lines, NULs, 8-bit bytes and over-long lines between
them, and DATA sections carrying the MIME strategy's messages."""
from __future__ import annotations

from hypothesis import strategies as st

from fuzz.mime_strategies import raw_email

MAILBOX = b"support@pinecone.example"
# Each message's first header: the test gives every one a Message-ID of its own (a fresh one
# per run, which a strategy cannot draw), so no two messages are the same mail.
UNIQUE_ID = b"Message-ID: <@@unique@@>\r\n"

junk_line = st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"")) | st.sampled_from(
    [b"", b" ", b"\x00", b"HELO", b"MAIL", b"RCPT TO", b"DATA x", b"\xff\xfe", b"x" * 1200, b"GET / HTTP/1.1",
     b"AUTH PLAIN AGFAYg==", b"STARTTLS", b"BDAT 10 LAST", b"EHLO " + b"h" * 600])
address = st.sampled_from([MAILBOX, b"Support@Pinecone.Example", b"nobody@pinecone.example", b"", b"@",
                           b"wei@example.com", b"\xe5\x85\xac@example.com", b"a\x00b@example.com",
                           b"x" * 300 + b"@example.com"])
params = st.sampled_from([b"", b" SIZE=100", b" SIZE=999999999999", b" BODY=8BITMIME", b" SMTPUTF8",
                          b" SIZE=-1", b" FOO=bar", b" BODY=BINARYMIME"])


def _data_section(raw: bytes) -> bytes:
    """A message as a client writes it after DATA: dot-stuffed, CRLF, ended by a lone dot."""
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    return UNIQUE_ID + b"\r\n".join(b"." + line if line.startswith(b".") else line for line in lines) + b"\r\n.\r\n"


valid_command = st.one_of(
    st.tuples(st.sampled_from([b"HELO", b"EHLO", b"helo", b"LHLO"]),
              st.sampled_from([b" client.example", b"", b" [127.0.0.1]", b" \x00"])).map(b"".join),
    st.tuples(st.just(b"MAIL FROM:<"), address, st.just(b">"), params).map(b"".join),
    st.sampled_from([b"MAIL FROM:<>", b"MAIL FROM:wei@example.com", b"MAIL FROM:<<a@b>>", b"MAIL"]),
    st.tuples(st.just(b"RCPT TO:<"), address, st.just(b">"), params).map(b"".join),
    st.sampled_from([b"RSET", b"NOOP", b"NOOP hello", b"VRFY support", b"EXPN staff", b"HELP", b"HELP DATA"]),
    st.just(b"DATA"),
)
command = valid_command | junk_line


@st.composite
def dialogue(draw) -> list[bytes]:
    """The writes of one session, each one or more CRLF-ended lines; QUIT may end it early.

    A DATA command is often followed (in the same write or the next) by a message: the
    server may be in data mode by then or not, and must cope either way."""
    writes: list[bytes] = []
    for _ in range(draw(st.integers(1, 12))):
        batch = draw(st.lists(command, min_size=1, max_size=4))  # more than one: pipelined
        write = b"".join(line + b"\r\n" for line in batch)
        if batch[-1] == b"DATA" and draw(st.booleans()):
            write += _data_section(draw(raw_email()))
        writes.append(write)
    if draw(st.booleans()):
        writes.append(b"QUIT\r\n")
    return writes


@st.composite
def transaction(draw) -> list[bytes]:
    """A session meant to deliver: commands of every kind (two junk lines at most: aiosmtpd
    ends a session at its fifth unrecognised command), then EHLO, MAIL, RCPT to the desk,
    DATA and a fuzzed message, pipelined in one write or not."""
    before = draw(st.lists(valid_command, max_size=8)) + draw(st.lists(junk_line, max_size=2))
    before = draw(st.permutations(before))
    mail = [b"EHLO client.example\r\n", b"MAIL FROM:<wei@example.com>\r\n", b"RCPT TO:<" + MAILBOX + b">\r\n",
            b"DATA\r\n", _data_section(draw(raw_email()))]
    if draw(st.booleans()):
        mail = [b"".join(mail)]  # the whole transaction pipelined in one write
    return [*(line + b"\r\n" for line in before), b"RSET\r\n", *mail]
