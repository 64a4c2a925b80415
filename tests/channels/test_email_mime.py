"""Tests for channels.email.mime: reading raw mail of every common shape into an Inbound.

Every sample is built here, by hand, so the bytes on the wire are exactly the case under test.
"""
from __future__ import annotations

import base64
import os
import quopri
from datetime import UTC, datetime

import pytest

from channels.email.mime import FORWARD_LINE, MAX_TEXT_CHARS, html_to_text, parse, sanitize_filename, strip_quoted

CRLF = b"\r\n"
BASE_HEADERS = [
    "From: Alice Customer <Alice@Example.COM>",
    "To: Support Desk <support@desk.example>",
    "Date: Tue, 02 Jan 2024 10:30:00 +0800",
    "Message-ID: <sample-1@example.com>",
    "MIME-Version: 1.0",
]


def make_raw(*headers: str | bytes, body: bytes | str = b"Hello, my withdrawal is stuck.",
             base: list[str] | None = None) -> bytes:
    """A raw message: the base headers (unless a header of the same name is given), then `headers`, then the body."""
    given = {(h if isinstance(h, bytes) else h.encode()).split(b":")[0].lower() for h in headers}
    lines = [h.encode() for h in (BASE_HEADERS if base is None else base)
             if h.split(":")[0].lower().encode() not in given]
    lines += [h if isinstance(h, bytes) else h.encode("utf-8") for h in headers]
    body = body.encode("utf-8") if isinstance(body, str) else body
    return CRLF.join(lines) + CRLF + CRLF + body


def encoded_word(text: str, charset: str, codec: str, kind: str) -> str:
    data = text.encode(codec)
    if kind == "B":
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    q = "".join(chr(b) if chr(b).isalnum() and b < 128 else f"={b:02X}" for b in data)
    return f"=?{charset}?Q?{q}?="


def part(content_type: str, body: bytes, *extra: str, cte: str = "base64") -> bytes:
    """One MIME part with its headers, the body transfer-encoded."""
    encoded = (base64.encodebytes(body) if cte == "base64"
               else quopri.encodestring(body) if cte == "quoted-printable" else body)
    headers = [f"Content-Type: {content_type}", f"Content-Transfer-Encoding: {cte}", *extra]
    return CRLF.join(h.encode() for h in headers) + CRLF + CRLF + encoded


def multipart(subtype: str, boundary: str, *parts: bytes) -> tuple[str, bytes]:
    """(Content-Type value, body) of a multipart made of `parts`."""
    body = (b"".join(b"--" + boundary.encode() + CRLF + p + CRLF for p in parts)
            + b"--" + boundary.encode() + b"--" + CRLF)
    return f'multipart/{subtype}; boundary="{boundary}"', b"This is a multi-part message." + CRLF + body


def make_multipart(subtype: str, *parts: bytes, headers: tuple[str, ...] = ()) -> bytes:
    ctype, body = multipart(subtype, "==outer-b==", *parts)
    return make_raw(f"Content-Type: {ctype}", *headers, body=body)


# ---------------------------------------------------------------- charsets

CHARSET_CASES = [
    # (declared label, codec that wrote the bytes, subject, body)
    ("utf-8", "utf-8", "提币失败 — withdrawal", "您好，我的钱包提币失败了，请帮忙查看一下。谢谢！"),
    # Real "gb2312" mail holds GBK characters (镕, 喆) that the narrow gb2312 codec refuses.
    ("gb2312", "gbk", "转账失败 朱镕基", "您好，我的转账失败了，请帮忙查看。朱镕基，陶喆。"),
    ("gbk", "gbk", "账户冻结 喆", "您好，我的账户被冻结了，已经三天了，请尽快处理。陶喆"),
    ("gb18030", "gb18030", "充值未到账 𠀀", "您好，充值未到账，交易哈希如下。生僻字：𠀀𠀁"),
    ("big5", "big5", "帳戶轉帳失敗", "您好，我的帳戶轉帳失敗了，請幫忙查看。謝謝！我已經等了三天。"),
    ("iso-8859-1", "latin-1", "Problème de retrait",
     "Bonjour, je n'arrive pas à retirer mes fonds. Merci, café crème."),
    ("windows-1252", "cp1252", "“Quoted” – €5 fee", "The fee was €5 – “too much”, isn’t it?"),
    ("shift_jis", "shift_jis", "出金できません", "こんにちは。三日前から出金できません。確認をお願いします。"),
]


@pytest.mark.parametrize("kind", ["B", "Q"])
@pytest.mark.parametrize(("label", "codec", "subject", "text"), CHARSET_CASES, ids=[c[0] for c in CHARSET_CASES])
def test_charsets_in_subject_and_body(label, codec, subject, text, kind):
    cte = "base64" if kind == "B" else "quoted-printable"
    raw = make_raw(f"Subject: {encoded_word(subject, label, codec, kind)}",
                   f"Content-Type: text/plain; charset={label}", f"Content-Transfer-Encoding: {cte}",
                   body=(base64.encodebytes(text.encode(codec)) if kind == "B"
                         else quopri.encodestring(text.encode(codec))))
    inbound = parse(raw)
    assert inbound.subject == " ".join(subject.split())
    assert inbound.text == text
    assert inbound.parse_notes == []


@pytest.mark.parametrize(("label", "codec", "subject", "text"), CHARSET_CASES, ids=[c[0] for c in CHARSET_CASES])
def test_charsets_in_8bit_body(label, codec, subject, text):
    raw = make_raw(f"Subject: {encoded_word(subject, label, codec, 'B')}",
                   f"Content-Type: text/plain; charset=\"{label.upper()}\"", "Content-Transfer-Encoding: 8bit",
                   body=text.encode(codec))
    inbound = parse(raw)
    assert (inbound.subject, inbound.text) == (" ".join(subject.split()), text)


@pytest.mark.parametrize(("charset", "codec"), [("utf-8", "utf-8"), ("gbk", "gbk"), ("big5", "big5")])
def test_encoded_words_split_mid_character_across_folded_lines(charset, codec):
    data = "我的钱包转账失败了".encode(codec) if codec != "big5" else "我的錢包轉帳失敗了".encode(codec)
    first, second = data[:7], data[7:]  # 7 bytes: the split falls inside a character
    subject = (f"Subject: Re: =?{charset}?B?{base64.b64encode(first).decode()}?=\r\n"
               f"\t=?{charset.upper()}?b?{base64.b64encode(second).decode()}?= [#42]")
    inbound = parse(make_raw(subject))
    assert inbound.subject == "Re: " + data.decode("gb18030" if codec == "gbk" else codec) + " [#42]"


def test_mixed_charsets_and_plain_words_in_one_subject():
    subject = ("Subject: [Ticket] " + encoded_word("您好", "utf-8", "utf-8", "Q") + " "
               + encoded_word("帳戶", "big5", "big5", "B") + " end")
    assert parse(make_raw(subject)).subject == "[Ticket] 您好帳戶 end"


def test_display_name_encoded_word_with_comma_is_decoded():
    inbound = parse(make_raw("From: =?utf-8?Q?Doe=2C_John?= <John.Doe@Example.com>"))
    assert (inbound.sender, inbound.sender_name) == ("john.doe@example.com", "Doe, John")


def test_chinese_display_name_in_gb2312():
    inbound = parse(make_raw("From: " + encoded_word("张三", "gb2312", "gbk", "B") + " <zhang@example.cn>"))
    assert inbound.sender_name == "张三"


# ---------------------------------------------------------------- structure

def test_html_only_becomes_readable_text():
    html = ("<html><head><title>Title words</title><style>p { color: red }</style>"
            "<script>var secret = 'script text';</script></head><body>"
            "<p>Hello&nbsp;team,</p><p>My deposit of 5 BTC &amp; fees\n  has not arrived.</p>"
            "<div>Line one<br>Line two</div><ul><li>first</li><li>second</li></ul>"
            "<table><tr><td>TXID</td><td>0xabc</td></tr></table>"
            "<script>alert('more script')</script><!-- hidden comment --></body></html>")
    inbound = parse(make_raw("Content-Type: text/html; charset=utf-8", body=html))
    text = inbound.text
    for gone in ("script text", "more script", "color: red", "Title words", "hidden comment", "<p>"):
        assert gone not in text
    assert "Hello team," in text and "My deposit of 5 BTC & fees has not arrived." in text
    assert "Line one\nLine two" in text and "first\nsecond" in text and "TXID 0xabc" in text


def test_html_charset_from_meta_when_content_type_has_none():
    html = '<html><head><meta charset="gbk"></head><body><p>您好，提币失败</p></body></html>'.encode("gbk")
    raw = make_raw("Content-Type: text/html", "Content-Transfer-Encoding: 8bit", body=html)
    assert parse(raw).text == "您好，提币失败"


def test_html_blockquote_is_marked_as_quote():
    text = html_to_text("<div>Thanks!</div><div>On Mon, Bob wrote:</div>"
                        "<blockquote>old<blockquote>older</blockquote></blockquote>")
    assert text.splitlines() == ["Thanks!", "On Mon, Bob wrote:", "", "> old", ">", "> > older"]


def test_alternative_prefers_plain_text():
    raw = make_multipart("alternative",
                         part("text/plain; charset=utf-8", "纯文本版本".encode()),
                         part("text/html; charset=utf-8", "<p>HTML 版本</p>".encode()))
    assert parse(raw).text == "纯文本版本"


def test_alternative_with_empty_plain_uses_html():
    raw = make_multipart("alternative",
                         part("text/plain; charset=utf-8", b"   \r\n"),
                         part("text/html; charset=utf-8", b"<p>Only the <b>HTML</b> has words</p>"))
    assert parse(raw).text == "Only the HTML has words"


def test_mixed_keeps_small_attachment_and_records_big_one():
    small, big = b"%PDF-1.4 small", os.urandom(3000)
    raw = make_multipart(
        "mixed",
        part("text/plain; charset=utf-8", "请看附件。".encode()),
        part("application/pdf", small, "Content-Disposition: attachment; filename*=utf-8''%E6%94%B6%E6%8D%AE.pdf"),
        part("image/png", big, 'Content-Disposition: attachment; filename="=?gb2312?B?vdjNvC5wbmc=?="'),
        part("text/plain; charset=utf-8", "第二段文字".encode(), "Content-Disposition: inline"),
    )
    inbound = parse(raw, max_attachment_bytes=1000)
    assert inbound.text == "请看附件。\n\n第二段文字"
    pdf, png = inbound.attachments
    assert (pdf.filename, pdf.content_type, pdf.data, pdf.size) == ("收据.pdf", "application/pdf", small, len(small))
    assert (png.filename, png.content_type, png.data, png.size) == ("截图.png", "image/png", None, 3000)
    assert any("截图.png" in note and "limit" in note for note in inbound.parse_notes)


def test_inline_image_and_unnamed_parts_are_attachments():
    raw = make_multipart(
        "mixed",
        part("text/plain", b"see screenshot"),
        part("image/jpeg", b"\xff\xd8jpeg", "Content-Disposition: inline"),
        part("application/octet-stream", b"blob"),
        part("text/csv; name=\"../../etc/tx\u202e.csv\"", b"a,b", "Content-Disposition: attachment"),
    )
    names = [(a.filename, a.content_type, a.data) for a in parse(raw).attachments]
    assert names == [("attachment-1", "image/jpeg", b"\xff\xd8jpeg"),
                     ("attachment-2", "application/octet-stream", b"blob"),
                     ("tx.csv", "text/csv", b"a,b")]


def test_nested_multiparts():
    related_type, related_body = multipart(
        "related", "==rel==",
        part("text/html; charset=utf-8", b"<p>HTML body <img src='cid:logo'></p>"),
        part("image/png", b"png-bytes", "Content-ID: <logo>"))
    alt_type, alt_body = multipart(
        "alternative", "==alt==",
        part("text/plain; charset=utf-8", b"Plain body"),
        f"Content-Type: {related_type}".encode() + CRLF + CRLF + related_body)
    raw = make_multipart("mixed",
                         f"Content-Type: {alt_type}".encode() + CRLF + CRLF + alt_body,
                         part("application/zip", b"zip-bytes", 'Content-Disposition: attachment; filename="logs.zip"'))
    inbound = parse(raw)
    assert inbound.text == "Plain body"
    assert [(a.filename, a.data) for a in inbound.attachments] == [("attachment-1", b"png-bytes"),
                                                                   ("logs.zip", b"zip-bytes")]


def test_forwarded_message_text_follows_marker():
    inner = make_raw("From: Exchange <notice@exchange.example>", "Subject: =?utf-8?B?5o+Q5biB5a6h5qC4?=",
                     "Message-ID: <inner@exchange.example>",
                     f"Content-Type: {multipart('mixed', '==in==')[0]}",
                     body=multipart("mixed", "==in==",
                                    part("text/plain; charset=utf-8", "您的提币正在审核。".encode()),
                                    part("application/pdf", b"receipt",
                                         'Content-Disposition: attachment; filename="r.pdf"'))[1])
    raw = make_multipart("mixed",
                         part("text/plain", b"Please look at the mail below."),
                         b"Content-Type: message/rfc822" + CRLF + b"Content-Disposition: inline" + CRLF + CRLF + inner)
    inbound = parse(raw)
    before, after = inbound.text.split(FORWARD_LINE)
    assert before.strip() == "Please look at the mail below."
    assert "Subject: 提币审核" in after and "From: Exchange <notice@exchange.example>" in after
    assert after.strip().endswith("您的提币正在审核。")
    assert inbound.external_id == "<sample-1@example.com>"
    assert [a.filename for a in inbound.attachments] == ["r.pdf"]


def test_empty_body():
    inbound = parse(make_raw("Subject: nothing", body=b""))
    assert (inbound.text, inbound.subject, inbound.attachments) == ("", "nothing", [])


def test_text_is_capped_with_a_note():
    inbound = parse(make_raw(body=b"word " * 50_000))
    assert len(inbound.text) == MAX_TEXT_CHARS
    assert any("text cut" in note for note in inbound.parse_notes)


def test_too_many_parts_and_too_deep_nesting_are_noted():
    wide = make_multipart("mixed", *[part("text/plain", b"x%d" % i, cte="7bit") for i in range(600)])
    inbound = parse(wide)
    assert any("more than 500 MIME parts" in note for note in inbound.parse_notes)
    assert inbound.text.startswith("x0\n\nx1")

    body, ctype = part("text/plain", b"deep text", cte="7bit"), ""
    for level in range(30):
        ctype, inner_body = multipart("mixed", f"==b{level}==", body)
        body = f"Content-Type: {ctype}".encode() + CRLF + CRLF + inner_body
    inbound = parse(make_raw(f"Content-Type: {ctype}", body=inner_body))
    assert any("nested deeper than 20" in note for note in inbound.parse_notes)


def test_pathologically_deep_message_falls_back_to_raw_text():
    raw = b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for i in range(3000):
        raw += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
    inbound = parse(raw + b"--b3000\r\nContent-Type: text/plain\r\n\r\nbottom\r\n")
    assert inbound.external_id.startswith("sha256:")
    assert "bottom" in inbound.text
    assert any("could not be parsed" in note for note in inbound.parse_notes)


# ---------------------------------------------------------------- fields

def test_fields_of_a_normal_message():
    inbound = parse(make_raw("Subject:   Withdrawal\r\n   stuck  "))
    assert inbound.channel == "email"
    assert inbound.external_id == "<sample-1@example.com>"
    assert (inbound.sender, inbound.sender_name) == ("alice@example.com", "Alice Customer")
    assert inbound.recipient == "support@desk.example"
    assert inbound.subject == "Withdrawal stuck"
    assert inbound.received_at == datetime(2024, 1, 2, 2, 30, tzinfo=UTC)
    assert inbound.auto_submitted is False
    assert inbound.parse_notes == []


def test_envelope_overrides_and_fallbacks():
    base = [h for h in BASE_HEADERS if not h.startswith("From")]
    assert parse(make_raw(base=base), envelope_from="Bounce@Relay.example").sender == "bounce@relay.example"
    assert parse(make_raw("Return-Path: <rp@example.org>", base=base)).sender == "rp@example.org"
    assert parse(make_raw(), envelope_to="Desk+CN@desk.example").recipient == "desk+cn@desk.example"


def test_message_id_whitespace_is_stripped():
    assert parse(make_raw("Message-ID:\r\n  <folded@example.com>  ")).external_id == "<folded@example.com>"


@pytest.mark.parametrize("header", [None, "Message-ID:", "Message-ID:    "])
def test_missing_message_id_is_a_stable_hash(header):
    base = [h for h in BASE_HEADERS if not h.startswith("Message-ID")]
    raw = make_raw(*([header] if header else []), base=base)
    first, again = parse(raw), parse(raw)
    other = parse(raw + b" ")
    assert first.external_id.startswith("sha256:") and len(first.external_id) == 7 + 64
    assert first.external_id == again.external_id != other.external_id


def test_in_reply_to_and_references():
    raw = make_raw("In-Reply-To: Your message of Monday <parent@x.example> <other@x.example>",
                   "References: <root@x.example>\r\n <mid@x.example> <root@x.example>\r\n\t<mid2@x.example>")
    inbound = parse(raw)
    assert inbound.in_reply_to == "<parent@x.example>"
    assert inbound.references == ["<root@x.example>", "<mid@x.example>", "<mid2@x.example>", "<parent@x.example>"]


def test_references_are_capped_keeping_root_and_newest():
    ids = [f"<id{i}@x.example>" for i in range(80)]
    refs = parse(make_raw("References: " + "\r\n ".join(ids), "In-Reply-To: <id79@x.example>")).references
    assert len(refs) == 50 and refs[0] == "<id0@x.example>" and refs[-1] == "<id79@x.example>"


def test_date_without_zone_and_unreadable_date():
    received = parse(make_raw("Date: Tue, 02 Jan 2024 10:30:00 -0000")).received_at
    assert received == datetime(2024, 1, 2, 10, 30, tzinfo=UTC)
    inbound = parse(make_raw("Date: the day before yesterday"))
    assert inbound.received_at is None
    assert any("Date header" in note for note in inbound.parse_notes)


# ---------------------------------------------------------------- malformed input

def test_header_line_without_colon_does_not_swallow_later_headers():
    raw = make_raw("X-Mailer: cheap", "this line has no colon", "Subject: after the junk", body=b"the body")
    inbound = parse(raw)
    assert (inbound.subject, inbound.text) == ("after the junk", "the body")
    assert any("malformed header line" in note for note in inbound.parse_notes)


def test_missing_blank_line_keeps_body_text():
    raw = b"From: a@example.com\r\nSubject: no separator\r\nHello there\r\nsecond line\r\n"
    inbound = parse(raw)
    assert inbound.subject == "no separator" and "Hello there" in inbound.text and "second line" in inbound.text


@pytest.mark.parametrize(("subject", "expected"), [
    ("=?utf-8?B?5L2g5?= rest", "=?utf-8?B?5L2g5?= rest"),  # impossible base64 length
    ("=?utf-8?B?5L2g5aW9 unterminated", "=?utf-8?B?5L2g5aW9 unterminated"),
    ("=?x-unknown?Q?caf=C3=A9?=", "café"),  # unknown charset: guessed
])
def test_broken_encoded_words_never_raise(subject, expected):
    inbound = parse(make_raw(f"Subject: {subject}"))
    assert inbound.subject == expected
    if "?=" in subject and subject != "=?utf-8?B?5L2g5aW9 unterminated":
        assert inbound.parse_notes


def test_truncated_utf8_in_an_encoded_word_keeps_the_rest_and_is_noted():
    # Two bytes of a three-byte character: what they are guessed to be is anyone's
    # guess; what matters is that the words around them survive and the guess is noted.
    inbound = parse(make_raw("Subject: Re: =?utf-8?Q?=E4=BD?= withdrawal stuck"))
    assert inbound.subject.startswith("Re: ") and inbound.subject.endswith(" withdrawal stuck")
    assert "=?" not in inbound.subject and "\ufffd" not in inbound.subject
    assert any("subject" in note and "guessed" in note for note in inbound.parse_notes)


@pytest.mark.parametrize(("from_header", "sender", "name"), [
    ('From: "Alice" <alice@example.com', "alice@example.com", "Alice"),
    ("From: <bob@example.com", "bob@example.com", ""),
    ("From: carol@example.com (Carol", "carol@example.com", "Carol"),
    ("From: broken <<>> @@ nothing", "", ""),
])
def test_unterminated_or_broken_addresses(from_header, sender, name):
    inbound = parse(make_raw(from_header))
    assert (inbound.sender, inbound.sender_name) == (sender, name)
    if not sender:
        assert any("From" in note for note in inbound.parse_notes)


def test_raw_8bit_headers_without_declared_charset():
    raw = make_raw(b"Subject: " + "转账失败，请帮忙".encode("gbk"),
                   b"From: " + "王五".encode() + b" <wang@example.cn>")
    inbound = parse(raw)
    assert inbound.subject == "转账失败，请帮忙"
    assert inbound.sender_name == "王五"
    assert any("header subject" in note and "guessed" in note for note in inbound.parse_notes)


def test_raw_8bit_subject_uses_the_message_charset_first():
    raw = make_raw(b"Subject: " + "帳戶轉帳".encode("big5"), "Content-Type: text/plain; charset=big5",
                   body="您好".encode("big5"))
    assert parse(raw).subject == "帳戶轉帳"


@pytest.mark.parametrize(("declared", "body", "expected"), [
    ("utf-8", "您好，我的钱包转账失败了，请帮忙查看一下，谢谢。".encode("gbk"),
     "您好，我的钱包转账失败了，请帮忙查看一下，谢谢。"),
    ("iso-8859-1", "Grüße, 提币".encode(), "Grüße, 提币"),
    ("x-no-such-charset", "café ünïcode".encode(), "café ünïcode"),
    ("us-ascii", "naïve".encode(), "naïve"),
])
def test_declared_wrong_charset(declared, body, expected):
    inbound = parse(make_raw(f"Content-Type: text/plain; charset={declared}", "Content-Transfer-Encoding: 8bit",
                             body=body))
    assert inbound.text == expected
    assert any(declared in note for note in inbound.parse_notes)


def test_undeclared_legacy_body_is_guessed_and_noted():
    text = "您好，我的帳戶轉帳失敗了，請幫忙查看。謝謝！我已經等了三天，錢還沒有到賬。"
    inbound = parse(make_raw("Content-Type: text/plain", body=text.encode("big5")))
    assert inbound.text == text
    assert any("no charset declared" in note for note in inbound.parse_notes)


@pytest.mark.parametrize("raw", [
    os.urandom(2000), b"\x00" * 100, b"\xff\xfe\xfd", b":::\r\n\r\n", b"=?utf-8?B?", b"\r\n\r\n\r\n",
    b"Content-Type: multipart/mixed\r\n\r\n--x\r\n",
    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain; charset=\"\r\n",
    b"Content-Type: text/plain; charset=zlib\r\n\r\nhello", b"Content-Transfer-Encoding: base64\r\n\r\n!!!notbase64",
    b"Content-Type: message/rfc822\r\n\r\n", b"Subject: " + b"x" * 100_000 + b"\r\n\r\nbody",
])
def test_garbage_never_raises(raw):
    inbound = parse(raw)
    assert inbound.channel == "email" and inbound.external_id
    assert isinstance(inbound.text, str) and "\x00" not in inbound.text
    inbound.text.encode("utf-8")  # no lone surrogates: storable as UTF-8


def test_random_bytes_get_a_note():
    inbound = parse(os.urandom(500))
    assert inbound.parse_notes and inbound.external_id.startswith("sha256:")


def test_str_input_is_accepted():
    assert parse("From: a@example.com\r\nSubject: hi\r\n\r\nbody").subject == "hi"


# ---------------------------------------------------------------- automatic mail

@pytest.mark.parametrize("headers", [
    ("Auto-Submitted: auto-replied",),
    ("Auto-Submitted: auto-generated",),
    ("Precedence: bulk",), ("Precedence: junk",), ("Precedence: list",),
    ("X-Autoreply: yes",), ("X-Autorespond: vacation",), ("X-Auto-Response-Suppress: All",),
    ("List-Id: News <news.example.com>",), ("List-Unsubscribe: <mailto:unsub@example.com>",),
    ("From: MAILER-DAEMON@mx.example.com",), ("From: postmaster@example.com",), ("From: NoReply@example.com",),
    ("From: no-reply@example.com",), ("From: do-not-reply@example.com",),
    ("Content-Type: multipart/report; report-type=delivery-status; boundary=rb",),
    ("Return-Path: <>",),
])
def test_automatic_signals(headers):
    assert parse(make_raw(*headers)).auto_submitted is True


@pytest.mark.parametrize("headers", [(), ("Auto-Submitted: no",), ("X-Auto-Response-Suppress: None",),
                                     ("Precedence: first-class",), ("From: replyguy@example.com",)])
def test_human_mail_is_not_automatic(headers):
    assert parse(make_raw(*headers)).auto_submitted is False


def test_bounce_keeps_readable_text_and_status_as_attachment():
    ctype, body = multipart("report", "==rep==",
                            part("text/plain", b"Delivery to bob@example.com failed: 550 no such user", cte="7bit"),
                            b"Content-Type: message/delivery-status" + CRLF + CRLF +
                            b"Reporting-MTA: dns; mx.example.com" + CRLF + CRLF +
                            b"Final-Recipient: rfc822; bob@example.com" + CRLF +
                            b"Status: 5.1.1" + CRLF)
    inbound = parse(make_raw(f"Content-Type: {ctype}; report-type=delivery-status",
                             "From: MAILER-DAEMON@mx.example.com", body=body))
    assert inbound.auto_submitted and "550 no such user" in inbound.text
    assert inbound.attachments[0].content_type == "message/delivery-status"
    assert b"Status: 5.1.1" in inbound.attachments[0].data


# ---------------------------------------------------------------- quoted replies and file names

def test_strip_quoted_gmail_style():
    text = ("Thanks, it worked.\n\nOn Mon, Jan 1, 2024 at 10:00 AM Support <support@desk.example>\nwrote:\n\n"
            "> Please try again.\n> \n> Support\n")
    assert strip_quoted(text) == "Thanks, it worked."


def test_strip_quoted_outlook_styles():
    outlook = "Still broken.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nTry again"
    assert strip_quoted(outlook) == "Still broken."
    headers = "Still broken.\n\nFrom: Support <s@d.example>\nSent: Monday, 1 January\nTo: me\nSubject: x\n\nold"
    assert strip_quoted(headers) == "Still broken."
    assert strip_quoted("Fixed.\n\nOn Monday, Support wrote:\nPlease try again.") == "Fixed."


def test_strip_quoted_chinese_clients():
    qq = ("已经解决了，谢谢。\n\n------------------ 原始邮件 ------------------\n"
          "发件人: \"客服\"<s@d.example>\n发送时间: 2024年1月1日\n\n请再试一次。")
    assert strip_quoted(qq) == "已经解决了，谢谢。"
    gmail_cn = "还是不行。\n\n在 2024年1月1日周一 10:00，客服 <s@d.example> 写道：\n\n> 请再试一次。\n> 客服\n"
    assert strip_quoted(gmail_cn) == "还是不行。"
    outlook_cn = "收到。\n\n发件人: 客服 <s@d.example>\n发送时间: 2024年1月1日 10:00\n收件人: 我\n主题: 回复\n\n旧内容"
    assert strip_quoted(outlook_cn) == "收到。"


def test_strip_quoted_keeps_bottom_posted_answers_and_quote_only_mail():
    bottom = "On Mon, Support wrote:\n> Did it work?\n\nNo, it still fails."
    assert strip_quoted(bottom) == bottom
    only_quote = "> just the old text\n> nothing new"
    assert strip_quoted(only_quote) == only_quote
    assert strip_quoted("Plain message, no history.") == "Plain message, no history."


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\me\\report.pdf", "report.pdf"), ("a\x00b\x1fc.txt", "abc.txt"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"), ("..", ""), ("  spaced   name .txt ", "spaced name .txt"),
    ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
])
def test_sanitize_filename(name, expected):
    assert sanitize_filename(name) == expected


def test_filenames_in_raw_8bit_and_rfc2231_legacy_charsets():
    raw = make_multipart(
        "mixed",
        part("text/plain", b"files", cte="7bit"),
        part("application/pdf", b"1", b'Content-Disposition: attachment; filename="'.decode()
             + "转账记录.pdf".encode("gbk").decode("latin-1") + '"'),
        part("application/pdf", b"2", "Content-Disposition: attachment; filename*=gb2312''" +
             "".join(f"%{b:02X}" for b in "朱镕基.pdf".encode("gbk"))),
    )
    # make_raw encodes str headers as UTF-8; put the GBK bytes back as they would be on the wire.
    raw = raw.replace("转账记录.pdf".encode("gbk").decode("latin-1").encode("utf-8"), "转账记录.pdf".encode("gbk"))
    assert [a.filename for a in parse(raw).attachments] == ["转账记录.pdf", "朱镕基.pdf"]


def test_deeply_nested_html_is_read_in_linear_time():
    # Tree edits in bs4 cost time proportional to depth; a quadratic converter took minutes here.
    html = "<div>" * 20_000 + "deep text" + "</div>" * 20_000 + "<blockquote>q" * 2_000
    text = parse(make_raw("Content-Type: text/html; charset=utf-8", body=html)).text
    assert text.startswith("deep text\n\n> q\n>\n> > q")
    assert max(len(line) for line in text.splitlines()) <= 2 * 10 + 1  # quote marks are capped
