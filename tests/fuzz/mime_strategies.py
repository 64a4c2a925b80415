"""Hypothesis strategies for mail as it arrives from the wild: raw RFC 5322 bytes built by
hand, so they can be broken in every way the stdlib's composer would refuse to write.

Nested multiparts (with missing, wrong and never-closed boundaries), charsets real and
invented, every transfer encoding (and broken base64/quoted-printable), RFC 2047 header
encodings, NULs and other control bytes, 8-bit bytes in headers, very long lines,
attachments with odd filenames, and LF or CRLF line ends, mixed.
"""
from __future__ import annotations

import base64
import quopri

from hypothesis import strategies as st

CHARSETS = ["utf-8", "us-ascii", "iso-8859-1", "windows-1252", "gb2312", "gbk", "gb18030", "big5",
            "shift_jis", "euc-kr", "koi8-r", "utf-16", "utf-7", "x-unknown", "", "utf-8\x00", "unicode-escape"]
ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "bogus", ""]
CONTROL = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u2028\ud800"

# Text a customer writes, plus the characters that break storage and parsing.
text = st.text(st.characters(codec=None, exclude_categories=["Cs"]) | st.sampled_from(list(CONTROL)) |
               st.sampled_from(list("提现到账助记词被盗 \r\n\t=?<>@:;\"")), max_size=120)
line_end = st.sampled_from([b"\r\n", b"\n"])


def _encode(value: str, charset: str) -> bytes:
    try:
        return value.encode(charset.strip("\x00") or "utf-8", "replace")
    except (LookupError, TypeError, UnicodeError):
        return value.encode("utf-8", "surrogatepass")


@st.composite
def header_value(draw) -> bytes:
    """A header value: plain, RFC 2047 encoded (B or Q, any charset), raw 8-bit, or junk."""
    value, charset = draw(text), draw(st.sampled_from(CHARSETS))
    kind = draw(st.sampled_from(["plain", "b", "q", "raw", "bytes", "long", "broken-word"]))
    label = charset.encode("utf-8", "surrogatepass")
    if kind == "b":
        return b"=?" + label + b"?B?" + base64.b64encode(_encode(value, charset)) + b"?="
    if kind == "q":
        return b"=?" + label + b"?Q?" + quopri.encodestring(_encode(value, charset), header=True).replace(
            b"\n", b"") + b"?="
    if kind == "raw":
        return _encode(value, charset)
    if kind == "bytes":
        return draw(st.binary(max_size=80))
    if kind == "long":
        return b"x" * draw(st.integers(990, 3000))
    if kind == "broken-word":
        return draw(st.sampled_from([b"=?utf-8?B?not base64?=", b"=?utf-8?Q?=ZZ=?=", b"=?utf-8?X?abc?=",
                                     b"=?", b"=??B??=", b"=?utf-8?B?", b"=?gb2312?B?zOHP1g==?="]))
    return value.encode("utf-8", "surrogatepass")


ADDRESSES = [b"wei@example.com", b"Wei <wei@example.com>", b"<\"x@y\">", b"", b"<>", b"@", b"a@b@c",
             b"=?utf-8?B?5YWs5Y+4?= <gs@example.com>", b"\xe5\x85\xac\xe5\x8f\xb8@example.com",
             b"\"a:b\" <c@d.example>", b"undisclosed-recipients:;", b"x\x00y@example.com"]
address = st.sampled_from(ADDRESSES) | header_value()
message_id = st.sampled_from([b"<a@b>", b"", b"<>", b"not-an-id", b"<\x00@x>", b"<" + b"i" * 2000 + b"@x>"]) | \
    header_value().map(lambda v: b"<" + v + b"@fuzz>")


@st.composite
def headers(draw, content_type: bytes | None) -> list[bytes]:
    fields = [(b"From", draw(address)), (b"To", draw(address)), (b"Subject", draw(header_value())),
              (b"Message-ID", draw(message_id)), (b"Date", draw(st.sampled_from(
                  [b"Sun, 06 Dec 2026 23:18:26 +0000", b"yesterday", b"", b"Mon, 99 Foo 2026 25:61:61 +9999"])))]
    fields += draw(st.lists(st.tuples(st.sampled_from(
        [b"In-Reply-To", b"References", b"Auto-Submitted", b"Precedence", b"Reply-To", b"X-Fuzz", b"Bad Name",
         b"Content-Disposition", b"MIME-Version", b"Received"]), header_value()), max_size=4))
    if content_type is not None:
        fields.append((b"Content-Type", content_type))
    fields = draw(st.permutations(fields))
    lines = [name + b": " + value for name, value in fields]
    if draw(st.booleans()):  # a stray line without a colon, or a fold of a header
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from([b"no colon here", b" folded", b"\x00"])))
    return lines


def _transfer_encode(body: bytes, encoding: str, broken: bool) -> bytes:
    if encoding == "base64":
        out = base64.encodebytes(body)
        return out[:-3] + b"!*\n" if broken and out else out
    if encoding == "quoted-printable":
        out = quopri.encodestring(body)
        return out + b"=Z\n=" if broken else out
    return body


@st.composite
def leaf(draw) -> tuple[bytes, list[bytes], bytes]:
    """A single part: (Content-Type value, its other headers, its body)."""
    mime = draw(st.sampled_from([b"text/plain", b"text/html", b"application/octet-stream", b"application/json",
                                 b"image/png", b"text/csv", b"message/rfc822", b"bogus", b"text/plain\x00x", b""]))
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    if mime == b"text/html":
        content = "<div>" * draw(st.integers(0, 30)) + draw(text) + "<p>" + draw(text)
    else:
        content = draw(text)
    body = draw(st.binary(max_size=200)) if draw(st.integers(0, 4)) == 0 else _encode(content, charset)
    if draw(st.integers(0, 6)) == 0:
        body += b"y" * draw(st.integers(990, 5000))  # one very long line
    ctype = mime + (b"; charset=\"" + charset.encode("utf-8", "surrogatepass") + b"\"" if draw(st.booleans()) else b"")
    extra = [b"Content-Transfer-Encoding: " + encoding.encode()] if encoding else []
    if draw(st.booleans()):
        name = draw(header_value() | st.sampled_from([b"seed.txt", b"../../etc/passwd", b"a\x00b.txt", b"",
                                                      b"=?utf-8?Q?=E5=8A=A9=E8=AE=B0.txt?="]))
        star = draw(st.booleans())
        extra.append(b"Content-Disposition: attachment; filename" +
                     (b"*=utf-8''" + name.replace(b" ", b"%20") if star else b"=\"" + name + b"\""))
    return ctype, extra, _transfer_encode(body, encoding, draw(st.booleans()))


@st.composite
def multipart(draw, children) -> tuple[bytes, list[bytes], bytes]:
    subtype = draw(st.sampled_from([b"mixed", b"alternative", b"related", b"digest", b"signed", b"bogus"]))
    boundary = draw(st.sampled_from([b"b1", b"==_boundary_==", b"x" * 80, b"", b"a b", b"\x00"]))
    declared = draw(st.sampled_from(["same", "missing", "other"]))
    ctype = b"multipart/" + subtype + {"same": b"; boundary=\"" + boundary + b"\"", "missing": b"",
                                       "other": b"; boundary=\"never-used\""}[declared]
    parts = draw(st.lists(children, max_size=4))
    out = [draw(st.sampled_from([b"", b"This is a multi-part message in MIME format."]))]
    for child_type, child_headers, child_body in parts:
        out += [b"--" + boundary, b"Content-Type: " + child_type, *child_headers, b"", child_body]
    if draw(st.booleans()):  # closed; otherwise the last part runs to the end of the message
        out += [b"--" + boundary + b"--", draw(st.sampled_from([b"", b"epilogue"]))]
    return ctype, [], b"\n".join(out)


mime_part = st.recursive(leaf(), lambda children: multipart(children), max_leaves=8)


@st.composite
def raw_email(draw) -> bytes:
    """A whole message, well-formed or not, with LF or CRLF (or both) for line ends."""
    ctype, part_headers, body = draw(mime_part)
    lines = draw(headers(ctype if draw(st.integers(0, 8)) else None)) + part_headers
    end = draw(line_end)
    raw = end.join(lines) + end + (end if draw(st.integers(0, 8)) else b"") + body.replace(b"\n", end)
    if draw(st.integers(0, 5)) == 0:  # cut short, or with junk spliced in
        cut = draw(st.integers(0, len(raw)))
        raw = raw[:cut] + draw(st.binary(max_size=40)) + (raw[cut:] if draw(st.booleans()) else b"")
    return raw
