"""Reading WeChat's XML pushes without any I/O: each kind the desk handles, and what it ignores."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels.wechat import Ignored, parse
from channels.wechat.pushes import BadPush, read
from channels.wechat.sending import chunks
from wechat_support import FOLLOWER, OPENID, push_xml


def test_text_is_the_customers_message_keyed_by_msgid():
    inbound = parse(push_xml("text"))
    assert (inbound.channel, inbound.sender, inbound.external_id) == ("wechat", OPENID, "24601700000000001")
    assert inbound.recipient == "gh_3f2a9c1d7e55" and "500 USDT" in inbound.text
    assert inbound.received_at == datetime.fromtimestamp(1796601600, tz=UTC)


def test_voice_is_read_by_its_recognition_text():
    inbound = parse(push_xml("voice"))
    assert inbound.text == "我的钱包被盗了，资产全部被转走了"
    assert any("speech recognition" in note and "MEDIA_voice_3Fs9" in note for note in inbound.parse_notes)
    bare = parse(push_xml("voice", Recognition=""))
    assert bare.text == "[voice message]" and any("without speech recognition" in n for n in bare.parse_notes)


def test_image_and_link_become_text_an_agent_can_follow():
    image = parse(push_xml("image"))
    assert image.text == "[image] http://mmbiz.qpic.cn/mmbiz_jpg/withdrawal-screenshot/0"
    link = parse(push_xml("link"))
    assert link.text.splitlines() == ["这个空投活动是你们官方的吗？", "领取 Pinecone 空投，连接钱包即可",
                                      "https://pinecone-airdrop.example/claim"]


def test_events_are_named_by_follower_and_second():
    follow = read(push_xml("subscribe"))
    assert follow.kind == "subscribe" and follow.inbound is not None
    assert follow.inbound.external_id == f"{FOLLOWER}:1796601840"
    # A follow by scanning a QR code is a follow too.
    scanned = read(push_xml("subscribe").replace(b"</Event>", b"</Event><EventKey><![CDATA[qrscene_42]]></EventKey>"))
    assert scanned.kind == "subscribe"
    assert read(push_xml("unsubscribe")).kind == "unsubscribe"
    with pytest.raises(Ignored):
        parse(push_xml("subscribe"))


def test_menu_clicks_are_ignored_with_a_reason():
    received = read(push_xml("menu_click"))
    assert received.kind == "ignored" and received.reason == "a click event"


@pytest.mark.parametrize("body", [b"", b"not xml", b"<xml><MsgType>text</MsgType></xml>",
                                  push_xml("text", CreateTime="yesterday")])
def test_what_is_no_push_is_a_bad_push(body):
    with pytest.raises(BadPush):
        read(body)


def test_long_replies_are_cut_within_wechats_byte_limit():
    text = ("提现处理中。" * 200 + "\n") * 3
    pieces = chunks(text)
    assert all(len(p.encode("utf-8")) <= 2000 for p in pieces)
    assert len(pieces) == 6 and all(pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")  # nothing lost but the line breaks cut at
