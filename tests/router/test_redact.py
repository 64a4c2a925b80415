"""Redaction at the intake edge: every secret form becomes one `[REDACTED:<kind>]`
token, and what agents need (txids, xpubs, checksums, addresses, prose) survives."""
from __future__ import annotations

import hashlib
import hmac
import random

import pytest
from mnemonic import Mnemonic

from router.secrets.redact import Redaction, redact
from router.secrets.secret_forms import base58check_encode, is_wif

ENGLISH = Mnemonic("english")
SIMPLIFIED = Mnemonic("chinese_simplified")
TRADITIONAL = Mnemonic("chinese_traditional")

PHRASE_12 = ENGLISH.to_mnemonic(bytes.fromhex("7f3a91c4d2e80b5617a9c3f0e4d2b186"))
PHRASE_24 = ENGLISH.to_mnemonic(hashlib.sha256(b"twenty-four words").digest())
HAN_12 = SIMPLIFIED.to_mnemonic(bytes.fromhex("5be1c09a77d34e2f8a6b1c0d9e2f3a4b"))
HAN_TRADITIONAL_12 = TRADITIONAL.to_mnemonic(bytes.fromhex("c4a2e9107b3d5f6e8a9b0c1d2e3f4a5b"))
KEY_HEX = hashlib.sha256(b"a key nobody uses").hexdigest()
TXID = hashlib.sha256(b"a transaction").hexdigest()
# Bitcoin wiki "Wallet import format" example and BIP32 test vector 1: public test data.
WIKI_WIF = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"
TV1_XPRV = ("xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMR"
            "NNU3TGtRBeJgk33yuGBxrMPHi")
TV1_XPUB = ("xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsef"
            "D265TMg7usUDFdp6W1EGMcet8")


def joined(phrase: str) -> str:
    return phrase.replace(" ", "")


def compressed_wif(key_hex: str, version: int = 0x80) -> str:
    return base58check_encode(bytes([version]) + bytes.fromhex(key_hex) + b"\x01")


def bip32_master_xprv(seed: bytes) -> str:
    digest = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
    payload = bytes.fromhex("0488ADE4") + b"\0" * 9 + digest[32:] + b"\0" + digest[:32]
    return base58check_encode(payload)


def assert_no_trace(result: Redaction, *secrets: str) -> None:
    """No secret, and no three consecutive words of a phrase, remain."""
    for secret in secrets:
        words = secret.split()
        pieces = [" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))]
        for piece in [*pieces, secret.replace(" ", "")]:
            assert piece not in result.text, f"{piece!r} survived in {result.text!r}"


# ----------------------------------------------------------------- the forms

def test_english_phrase_on_one_line_becomes_one_token() -> None:
    result = redact(f"I restored with {PHRASE_12} and my balance is zero")
    assert result.text == "I restored with [REDACTED:mnemonic] and my balance is zero"
    assert result.kinds == ("mnemonic",) and result.contains_secret


def test_english_phrase_across_lines_keeps_the_lines_around_it() -> None:
    words = PHRASE_12.split()
    text = "Here they are:\n" + " ".join(words[:4]) + "\n" + " ".join(words[4:8]) + "\n" + \
        " ".join(words[8:]) + "\n\nWhat went wrong?"
    result = redact(text)
    assert result.text == "Here they are:\n[REDACTED:mnemonic]\n\nWhat went wrong?"


def test_numbered_phrase_takes_its_numbering_with_it() -> None:
    listing = "\n".join(f"{n}. {word}" for n, word in enumerate(PHRASE_12.split(), 1))
    result = redact(f"My backup card says:\n{listing}\nIs this right?")
    assert result.text == "My backup card says:\n[REDACTED:mnemonic]\nIs this right?"


@pytest.mark.parametrize("separator", [", ", ",", "  ", " - ", "、"])
def test_comma_and_other_separators(separator: str) -> None:
    result = redact(f"words: {separator.join(PHRASE_12.split())}.")
    assert result.kinds == ("mnemonic",)
    assert_no_trace(result, PHRASE_12)


@pytest.mark.parametrize("numbering", ["{n}) {w}", "({n}) {w}", "#{n} {w}", "{n}、{w}", "{n}.{w}"])
def test_other_numbering_styles(numbering: str) -> None:
    listing = " ".join(numbering.format(n=n, w=w) for n, w in enumerate(PHRASE_12.split(), 1))
    result = redact(f"seed {listing} thanks")
    assert result.kinds == ("mnemonic",)
    assert_no_trace(result, PHRASE_12)


def test_capitalised_twenty_four_words() -> None:
    result = redact(f"Recovery: {PHRASE_24.title()}\nThanks")
    assert result.text == "Recovery: [REDACTED:mnemonic]\nThanks"


def test_list_words_around_the_phrase_stay_outside_the_token() -> None:
    # "fine" before and "please help" after are list words too; the checksum
    # finds where the phrase starts and ends.
    result = redact(f"check it is fine {PHRASE_12}\nplease help")
    assert result.text == "check it is fine [REDACTED:mnemonic]\nplease help"


def test_mistyped_phrase_still_goes() -> None:
    words = PHRASE_12.split()
    words[5] = "zoo" if words[5] != "zoo" else "zero"
    result = redact("my seed: " + " ".join(words))
    assert result.kinds == ("mnemonic",)


def test_one_misspelt_word_does_not_hide_the_phrase() -> None:
    words = PHRASE_12.split()
    words[6] = words[6][:-1] + "q" + words[6][-1]       # not on the list any more
    result = redact("restored using " + " ".join(words) + " but nothing shows")
    assert result.text == "restored using [REDACTED:mnemonic] but nothing shows"


def test_four_letter_abbreviations_from_a_steel_plate() -> None:
    short = " ".join(word[:4] for word in PHRASE_24.split())
    result = redact(f"my plate reads: {short}")
    assert result.text == "my plate reads: [REDACTED:mnemonic]"


def test_chinese_phrase_with_spaces_needs_no_naming() -> None:
    result = redact(f"帮我看看这些字对不对\n{HAN_12}\n谢谢")
    assert result.text == "帮我看看这些字对不对\n[REDACTED:mnemonic]\n谢谢"


def test_chinese_spaced_phrase_glued_to_prose_on_both_sides() -> None:
    result = redact(f"恢复用的 {HAN_12} 之后余额是零")
    assert result.text == "恢复用的 [REDACTED:mnemonic] 之后余额是零"


@pytest.mark.parametrize("template", [
    "助记词:{p}",
    "我的助记词是{p},为什么导入后余额是0",
    "{p} 这是我的助记词",
    "钱包助记词如下\n{p}\n请帮忙看看",
    "my seed phrase is「{p}」",
])
def test_chinese_phrase_without_spaces_when_named(template: str) -> None:
    result = redact(template.format(p=joined(HAN_12)))
    assert result.kinds == ("mnemonic",)
    assert joined(HAN_12) not in result.text
    assert "[REDACTED:mnemonic]" in result.text


def test_chinese_phrase_without_spaces_exact_text() -> None:
    result = redact(f"我的助记词是{joined(HAN_12)},为什么导入后余额是0")
    assert result.text == "我的助记词是[REDACTED:mnemonic],为什么导入后余额是0"


def test_chinese_phrase_a_blank_line_below_its_naming() -> None:
    result = redact(f"助记词如下:\n\n{joined(HAN_12)}\n\n谢谢")
    assert result.text == "助记词如下:\n\n[REDACTED:mnemonic]\n\n谢谢"


def test_chinese_phrase_named_on_the_line_below() -> None:
    result = redact(f"{joined(HAN_12)}\n上面是我的助记词,对吗")
    assert result.text == "[REDACTED:mnemonic]\n上面是我的助记词,对吗"


def test_spaced_chinese_phrase_with_one_miswritten_character() -> None:
    chars = HAN_12.split()
    chars[4] = "鑫"                                      # not on either list
    assert redact("核对一下 " + " ".join(chars)).text == "核对一下 [REDACTED:mnemonic]"


def test_traditional_chinese_phrase() -> None:
    spaced = redact(f"請核對:\n{HAN_TRADITIONAL_12}")
    named = redact(f"助記詞:{joined(HAN_TRADITIONAL_12)}")
    assert spaced.kinds == named.kinds == ("mnemonic",)
    assert_no_trace(spaced, HAN_TRADITIONAL_12)
    assert joined(HAN_TRADITIONAL_12) not in named.text


@pytest.mark.parametrize("text", [
    f"my private key: {KEY_HEX}",
    f"Private key:\n0x{KEY_HEX}",
    f"从别的钱包导出的私钥 {KEY_HEX} 导入后地址不对",
    f"我把钱包私鑰發給你們:{KEY_HEX.upper()}",
    f"{KEY_HEX} (that is the privkey)",
    f"pk: {KEY_HEX}",
    f"钱包私匙 {KEY_HEX}",
    f"address and private key:\n0xeada82a5e2716aced8357a4169d600177595e8e6\n{KEY_HEX}",
])
def test_hex_named_as_a_key(text: str) -> None:
    result = redact(text)
    assert result.kinds == ("private_key",)
    assert KEY_HEX not in result.text.lower()


def test_hex_key_exact_text_keeps_the_0x_out_of_sight() -> None:
    assert redact(f"here is my private key 0x{KEY_HEX}, help").text == \
        "here is my private key [REDACTED:private_key], help"


def test_listed_keys_share_the_naming_above_them() -> None:
    other = hashlib.sha256(b"second key").hexdigest()
    result = redact(f"私钥:\n1. {KEY_HEX}\n2. {other}")
    assert result.text == "私钥:\n1. [REDACTED:private_key]\n2. [REDACTED:private_key]"


def test_wif_with_a_valid_checksum_needs_no_naming() -> None:
    key = compressed_wif(KEY_HEX)
    assert is_wif(key) and is_wif(WIKI_WIF)
    result = redact(f"two keys from my notebook:\n{key}\nand {WIKI_WIF}")
    assert result.text == "two keys from my notebook:\n[REDACTED:wif]\nand [REDACTED:wif]"
    assert result.kinds == ("wif",)


def test_testnet_wif() -> None:
    assert redact(f"testnet {compressed_wif(KEY_HEX, 0xEF)}").kinds == ("wif",)


def test_mistyped_wif_counts_only_when_named_as_a_key() -> None:
    typo = WIKI_WIF[:-1] + ("K" if WIKI_WIF[-1] != "K" else "J")
    assert not is_wif(typo)
    assert redact(f"my private key is {typo}").kinds == ("wif",)
    assert redact(f"reference {typo}").kinds == ()


@pytest.mark.parametrize("xprv", [TV1_XPRV, bip32_master_xprv(b"\x01" * 32)])
def test_xprv(xprv: str) -> None:
    result = redact(f"exported from my hardware wallet: {xprv}\nbalance shows 0")
    assert result.text == "exported from my hardware wallet: [REDACTED:xprv]\nbalance shows 0"


@pytest.mark.parametrize(("text", "expected"), [
    ("my password is Hunter2!", "my password is [REDACTED:password]"),
    ("Login: a@b.example\nPassword: Maple2031#Leaf\n\nBest",
     "Login: a@b.example\nPassword: [REDACTED:password]\n\nBest"),
    ("Password: marigold\nthanks", "Password: [REDACTED:password]\nthanks"),
    ("I set my password to \"blue horse\" yesterday",
     "I set my password to \"[REDACTED:password]\" yesterday"),
    ("pwd: x9Y!k2", "pwd: [REDACTED:password]"),
    ("登不上去 密码是qq13572468 没输错啊", "登不上去 密码是[REDACTED:password] 没输错啊"),
    ("密码是 abcdef", "密码是 [REDACTED:password]"),
    ("密码:8823917", "密码:[REDACTED:password]"),
    ("登录密码 Qwe123456 一直提示错误", "登录密码 [REDACTED:password] 一直提示错误"),
    ("app 的 password 是 Rose0912 还是登不上", "app 的 password 是 [REDACTED:password] 还是登不上"),
    ("密碼是「tiger77」", "密碼是「[REDACTED:password]」"),
    ("my password for the new app is Abc12345 ok", "my password for the new app is [REDACTED:password] ok"),
    ("password is now Tq7-Lm2x", "password is now [REDACTED:password]"),
    ("登录密码和支付密码都是Abc123", "登录密码和支付密码都是[REDACTED:password]"),
    ("PIN code: 482913", "PIN code: [REDACTED:password]"),
])
def test_passwords_lose_their_value_and_keep_their_words(text: str, expected: str) -> None:
    result = redact(text)
    assert result.text == expected
    assert result.kinds == ("password",)


def test_several_kinds_in_order_of_appearance() -> None:
    text = (f"my password is Abc12345\nseed: {PHRASE_12}\nprivate key {KEY_HEX}\n"
            f"txid {TXID}\nand again password: Zz998877")
    result = redact(text)
    assert result.kinds == ("password", "mnemonic", "private_key")
    assert result.text.count("[REDACTED:password]") == 2
    assert TXID in result.text
    assert_no_trace(result, PHRASE_12, KEY_HEX, "Abc12345", "Zz998877")


# ---------------------------------------------------------- what must survive

SURVIVORS = [
    f"TXID: {TXID}\nplease check",
    f"Tx hash: 0x{TXID}",
    f"交易哈希:{TXID}",
    f"交易ID {TXID} 帮看看",
    f"I think my private key leaked. Tx hash {TXID}",
    f"私钥可能泄露了,被盗的交易哈希:{TXID}",
    f"tx hashes:\n1. {TXID}\n2. {KEY_HEX}",
    f"0x{TXID}",
    f"sha256 checksum of the installer: {TXID}",
    f"私钥被盗后转出的记录 {TXID}",
    f"安装包的SHA256校验值 {TXID} 对不上",
    f"public key: {TXID}",
    f"my Sui address 0x{TXID}",
    f"watch-only wallet from {TV1_XPUB}",
    "BTC bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq and 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    "ETH 0x742d35Cc6634C0532925a3b844Bc454e4438f44e, TRON TR8irZCMCSt5hqE2pUrnhTfxyYDNUTc23E",
    ("Solana signature MASi45ub7Qe4ZE36UT5G6cU4ud8Fhhe4deS4F3cw9KTAb8dLcukC7edhD"
     "Q7cn5d4gEYkbUrMWeWQLGsCmrG6dLaY"),
    "order SW-20250307-31842, ticket #PW-40417",
]

ENGLISH_PROSE = [
    ("Hello, I would like to know about the account fee because every time I try to transfer the "
     "amount to my other wallet it shows an error and asks me to wait. Please check again and help "
     "me find out what happened today."),
    ("Thank you all so much for the quick help last week. Your agent was very patient, explained "
     "every step clearly and made sure the transfer arrived safely. Great service, keep it up!"),
    ("Could you please check again? I tried every option, clean install, restart phone, clear cache, "
     "update system, change network, wait one hour, still nothing works and the balance shows zero."),
    ("We are a small fund looking at self-custody options. Could you describe how the app protects "
     "the login password on the device, whether staff can ever see a recovery phrase, and what a "
     "stolen laptop would expose?"),
]

CHINESE_PROSE = [
    ("您好,我上个月在你们的钱包里转账了一笔USDT到交易所,交易所那边说没有收到,可是钱包里显示已经成功了,"
     "请问这是什么原因,需要我提供什么资料才能帮我查一下呢"),
    "我的助记词一直都是自己保管的从来没有告诉过任何人但是今天早上发现账户里的钱全部被转走了",
    "助记词我写在一张纸上夹在书里了应该没有问题吧请问还需要做什么",
    "请问助记词和私钥有什么区别吗如果手机丢了能不能用助记词把钱包恢复回来",
    "助记词:我记不清楚了好像是十二个字还是二十四个字",
    "我的恢复短语丢失了,能不能通过身份证明找回账户里的资产,我已经联系了很多次客服都没有人回复",
    "提现申请提交了三个小时还没有到账,账户余额已经扣除,请尽快处理,谢谢",
    "助記詞我寫在紙上了但是字跡不太清楚有幾個字看不出來請問怎麼辦",
    "有人冒充客服找我要助记词,我没有给他,他说如果不给的话账户会被冻结,这是真的吗",
    "助记词\n我已经备份好了放在保险柜里面\n请问还需要备份私钥吗",
    "昨天把助记词拍照存在相册里了会不会被别人看到",
]

PASSWORD_MENTIONS = [
    "I did NOT lose my password", "how do I reset my password?", "password reset email not arriving",
    "the password is wrong", "password is incorrect", "My password is correct, I checked twice",
    "password is too short", "my password is 12 characters long", "password: reset",
    "Passwords must be at least 12 characters", "My password was changed without my consent!",
    "the app shows \"wrong password\" every single time", "password: ********",
    "password for my account is wrong", "the password for login is required",
    "Password: 8-16 characters, letters and numbers", "Password: (hidden)", "password now works",
    "password: https://example.com/reset", "my password is still wrong", "密码是8-16位", "密码还是不对",
    "忘记密码了怎么办", "密码是什么意思", "密码是不是太简单", "密码是对的", "密码错误",
    "我的密码是我家的门牌号,应该不会被猜到吧", "交易密码连续输错三次账户被锁定了", "密码设置要求8位以上包含字母和数字",
]


@pytest.mark.parametrize("text", SURVIVORS + ENGLISH_PROSE + CHINESE_PROSE + PASSWORD_MENTIONS)
def test_what_is_not_a_secret_survives_identically(text: str) -> None:
    result = redact(text)
    assert result.kinds == ()
    assert result.text is text or result.text == text
    assert not result.contains_secret


def test_txid_survives_next_to_a_redacted_key() -> None:
    text = f"交易哈希:{TXID}\n\n麻烦核实一下,出问题的钱包私钥是 {KEY_HEX}"
    result = redact(text)
    assert result.text == f"交易哈希:{TXID}\n\n麻烦核实一下,出问题的钱包私钥是 [REDACTED:private_key]"


def test_eleven_words_are_not_a_phrase() -> None:
    eleven = " ".join(PHRASE_12.split()[:11])
    assert redact(f"first words: {eleven}").kinds == ()


def test_han_run_without_naming_is_prose_even_if_random_looking() -> None:
    assert redact(f"收到的消息:{joined(HAN_12)}").kinds == ()


# ------------------------------------------------------ idempotence and speed

IDEMPOTENCE_CASES = [
    f"seed: {PHRASE_24}\nprivate key: {KEY_HEX}\npassword: Abc12345!\n{TV1_XPRV}\n{WIKI_WIF}",
    f"助记词是{joined(HAN_12)}\n密码是qq123456\n私钥 {KEY_HEX}",
    f"check it is fine {PHRASE_12}\nplease help",
    f"my password is {PHRASE_12}",
    f"{PHRASE_12} {PHRASE_12}",
    "Password: [REDACTED:password]",
]


@pytest.mark.parametrize("text", IDEMPOTENCE_CASES)
def test_redacting_twice_changes_nothing(text: str) -> None:
    once = redact(text)
    twice = redact(once.text)
    assert twice.text == once.text
    assert set(twice.kinds) <= set(once.kinds)
    assert twice.kinds == () or text.startswith("Password: [REDACTED")


def test_idempotent_on_random_mixtures_of_secrets_and_prose() -> None:
    # Replacing a long secret with a short token brings far text closer; a
    # token must not name anything either ("[REDACTED:mnemonic]" next to Han).
    rng = random.Random(7)
    fragments = [
        PHRASE_24, HAN_12, joined(HAN_12), f"private key: {KEY_HEX}", f"txid {TXID}", WIKI_WIF,
        "password: Ab12345", "密码是qq123456", "助记词", "seed phrase", "please help", "我的", "1.",
        "The app shows zero.", "请尽快处理谢谢", " ".join(rng.sample(ENGLISH.wordlist, 6)),
        "".join(rng.sample(SIMPLIFIED.wordlist, 13)), " ".join(rng.sample(SIMPLIFIED.wordlist, 6)),
    ]
    for _ in range(300):
        text = "".join(part + rng.choice([" ", "\n", "", ", ", ":"])
                       for part in rng.choices(fragments, k=rng.randint(1, 8)))
        once = redact(text)
        twice = redact(once.text)
        assert (twice.text, twice.kinds) == (once.text, ()), text


def test_a_pass_over_random_phrases_finds_every_one() -> None:
    # Phrases drawn as a wallet draws them, in every length and both scripts.
    for language, form in ((ENGLISH, "{p}"), (SIMPLIFIED, "{p}"), (SIMPLIFIED, "助记词:{j}"),
                           (TRADITIONAL, "助記詞是{j}。")):
        for strength in (128, 160, 192, 224, 256):
            for _ in range(20):
                phrase = language.generate(strength)
                result = redact("请看 " + form.format(p=phrase, j=joined(phrase)) + "\nthanks")
                assert result.kinds == ("mnemonic",), phrase
                assert redact(result.text).kinds == ()


@pytest.mark.parametrize(("text", "expected"), [
    # The password cue ignores case the Unicode way; the cheap test that decides
    # whether to look for passwords at all must let these through.
    ("PİN: 4829-Xk", "PİN: [REDACTED:password]"),
    ("my PAſSWORD is Hunter2!x", "my PAſSWORD is [REDACTED:password]"),  # noqa: RUF001 - the long s is the case
    ("ＰＩＮ and then my PASSWORD: Lx9-0qz", "ＰＩＮ and then my PASSWORD: [REDACTED:password]"),  # noqa: RUF001 - full width
])
def test_unicode_case_forms_of_the_password_cue(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.timeout(60)    # a hang guard: backtracking gone quadratic would take hours here
def test_hostile_long_input_is_redacted_and_returns() -> None:
    # Speed is bench/redact_check.py's business; this proves the detectors still
    # find the secret inside a megabyte of bait, and come back.
    bait = ("password: " * 5000) + ("1" * 50000) + (" " * 50000) + ("的" * 50000) + ("助记词" * 2000)
    result = redact(bait + f"\nmy private key is {KEY_HEX}\n" + bait)
    assert KEY_HEX not in result.text
    assert "private_key" in result.kinds
