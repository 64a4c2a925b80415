"""What wallet secrets look like: BIP39 words and phrases, base58check keys, passwords.

Pure data and checks that `router.secrets.redact` uses to recognise a secret; the
wordlists load once at import, because redaction runs on every inbound message.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from mnemonic import Mnemonic

_ENGLISH = Mnemonic("english").wordlist
ENGLISH_WORDS: frozenset[str] = frozenset(_ENGLISH)
# The first four letters identify an English word uniquely, so backups often
# keep only those ("aban abil able").
ENGLISH_PREFIXES: frozenset[str] = frozenset(word[:4] for word in ENGLISH_WORDS)
PHRASE_LENGTHS = (12, 15, 18, 21, 24)     # BIP39 phrases have exactly these
LISTED, UNKNOWN = "listed", "unknown"
MIN_RARITY = 8.0
_MAX_HAN_RUN = 24 + 2 * 11    # a longer run would leave 12+ characters beside any phrase

# Both Chinese lists are ordered by how common each character is in ordinary
# text (的 一 是 在 ...), so a character's index is a frequency rank.  A real
# mnemonic draws its characters uniformly from the list, while prose leans on
# the top of it; `rarity` turns that into a number.
_ZH_SIMPLIFIED = Mnemonic("chinese_simplified").wordlist
_ZH_TRADITIONAL = Mnemonic("chinese_traditional").wordlist
_ZH_RANK: dict[str, int] = {}
for _wordlist in (_ZH_SIMPLIFIED, _ZH_TRADITIONAL):
    for _rank, _char in enumerate(_wordlist):
        _ZH_RANK.setdefault(_char, _rank)
CHINESE_CHARS: frozenset[str] = frozenset(_ZH_RANK)
_ZH_LOG_RANK = {char: math.log2(rank + 1) for char, rank in _ZH_RANK.items()}

# Two-character words of everyday and support-desk Chinese (simplified and
# traditional), all made of list characters.  Prose of a dozen characters
# nearly always holds one (every run of 12+ list characters in the dev corpus
# does); a random phrase holds one about once in a thousand.
COMMON_ZH_WORDS: frozenset[str] = frozenset("""
一下 一个 一些 一個 一定 一样 一樣 一次 一点 一直 一般 一起 一點 上午 上面 下來 下午 下来 下載 下载 下面 不会 不到
不好 不对 不對 不少 不是 不會 不然 不用 不知 不管 不能 不行 不要 东西 丟了 丟失 丢了 丢失 严重 个人 中午 为何 之前
之后 之後 事情 交易 人家 什么 什麼 今天 从来 他们 他們 以前 以后 以後 但是 余额 你们 你們 你好 信息 信箱 個人 備份
儲值 充值 全部 其实 其實 冒充 冻结 凍結 几个 几天 几次 出來 出来 分鐘 分钟 刚刚 刚才 创建 別人 别人 到帳 前天 前面
剛剛 剛才 創建 办法 匯入 匯出 原因 发现 取消 只是 只有 只能 可以 可是 可能 合約 合约 后来 后面 告訴 告诉 咱们 咱們
哪个 哪些 哪個 哪裡 哪里 問題 嚴重 回來 回复 回来 回答 回覆 因为 因為 地方 处理 备份 外面 多少 大家 天天 失敗 失败
奖励 她们 她們 好几 好幾 如何 如果 安全 安装 安裝 官網 官网 实名 客戶 客户 客服 密码 密碼 實名 导入 导出 導入 導出
小时 小時 就是 尽快 已經 已经 币种 希望 帮忙 帮我 幣種 幫忙 幫我 平台 幾天 幾次 应用 应该 建立 异常 当时 很多 後來
後面 從來 微信 忘記 忘记 怎么 怎样 怎麼 急急 总是 恢复 您好 情况 情況 想要 感謝 感谢 應用 應該 成功 我们 我們 或者
截图 截圖 所以 所有 手机 手機 手續 手续 找回 投訴 投诉 投資 投资 授权 授權 提交 提币 提幣 提现 提現 提示 收益 数量
數量 方法 早上 时候 时间 明天 昨天 显示 時候 時間 晚上 更新 有人 朋友 服务 服務 本人 東西 正常 每天 每次 沒人 沒有
沒法 没人 没有 没法 注册 活动 活動 為何 然后 然後 然而 照片 版本 特別 特别 獎勵 现在 現在 生意 用戶 用户 申請 申请
电脑 电话 異常 當時 登入 登录 登錄 發現 的话 盡快 直接 看到 看看 真的 知道 确认 確認 空投 突然 立刻 等待 紀錄 終於
結果 經常 網站 總是 终于 经常 结果 网站 老师 老師 而且 而已 能够 處理 虽然 被盗 被盜 被騙 被骗 裡面 覺得 觉得 解决
解冻 解凍 解決 記錄 認證 請問 謝謝 认为 认证 记录 请问 谢谢 資料 資產 資訊 資金 资产 资料 资金 起來 起来 身份 軟體
轉入 轉出 轉到 轉帳 轉給 转入 转出 转到 转给 软件 辦法 过来 还是 还有 还没 还要 这个 这么 这些 这样 这里 进去 這些
這個 這樣 這裡 這麼 進去 過來 還是 還有 還沒 還要 那个 那么 那些 那個 那样 那樣 那裡 那里 那麼 邮件 邮箱 郵件 郵箱
里面 金額 金额 錢包 錯誤 錯過 鏈上 钱包 链上 错误 错过 问题 雖然 電腦 電話 需要 非常 頁面 顯示 页面 風險 风险 餘額
馬上 騙子 驗證 马上 验证 骗子 麻烦 麻煩
""".split())  # noqa: SIM905 - a word list reads better as words


def reads_as_prose(chars: str) -> bool:
    """True when the characters contain a common two-character word."""
    return any(chars[i:i + 2] in COMMON_ZH_WORDS for i in range(len(chars) - 1))


# Word -> 11-bit index, per wordlist.  Mnemonic.check() finds each index with
# list.index(), a scan of 2,048 words; the checksum search below tries dozens
# of windows for every phrase-like run, so it keeps its own dictionaries.
_INDEXES = {
    "en": ({word: i for i, word in enumerate(_ENGLISH)},),
    "zh": tuple({char: i for i, char in enumerate(wordlist)} for wordlist in (_ZH_SIMPLIFIED, _ZH_TRADITIONAL)),
}


def rarity(chars: str) -> float:
    """Mean log2 frequency rank of wordlist characters.

    A uniformly random mnemonic scores about 9.5 (below 8.0 about once in a
    thousand draws); twelve-character windows of support-desk prose score
    6 to 8 (8.2 at most in the dev corpus).
    """
    return sum(_ZH_LOG_RANK[c] for c in chars) / len(chars)


def checksum_ok(words: Sequence[str], language: str) -> bool:
    """True when the words ("en" or "zh") form a BIP39 phrase with a valid checksum."""
    if len(words) not in PHRASE_LENGTHS:
        return False
    lowered = [word.lower() for word in words]
    return any(_checksum_matches(lowered, index) for index in _INDEXES[language])


def _checksum_matches(words: Sequence[str], index: dict[str, int]) -> bool:
    """BIP39: the words' 11-bit indices, concatenated, are the entropy followed
    by the first len(words) / 3 bits of its SHA-256."""
    bits = 0
    for word in words:
        value = index.get(word)
        if value is None:
            return False
        bits = bits << 11 | value
    checksum_bits = len(words) // 3
    entropy = (bits >> checksum_bits).to_bytes(len(words) * 11 // 33 * 4, "big")
    return hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits) == bits & ((1 << checksum_bits) - 1)


def checksum_windows(words: Sequence[str], language: str) -> list[tuple[int, int]]:
    """Every checksum-valid phrase in `words`, as (start, end), that leaves fewer than 12
    words on either side: a longer rest could itself be taken for a phrase on a second
    pass, so redaction would not be idempotent."""
    return [(i, i + length) for length in PHRASE_LENGTHS
            for i in range(max(0, len(words) - length - 11), min(12, len(words) - length + 1))
            if checksum_ok(words[i:i + length], language)]


def phrases_window(words: Sequence[str], language: str) -> tuple[int, int] | None:
    """The stretch of the checksum-valid phrases in a run of list words, which may hold two
    phrases pasted back to back: every valid window of the run counts, wherever it starts, and the
    stretch is widened to the run's edge on a side where it would leave 12 words or more
    (a rest that long would be judged a phrase of its own on a second pass)."""
    # Near the middle of two phrases a window passes by chance one time in 16, and looking
    # only where `checksum_windows` looks took that window and kept both phrases' outer
    # words. A run of list words with no valid window goes whole anyway, so looking
    # everywhere widens nothing that was kept. Han runs keep `checksum_windows`: ordinary
    # Chinese is nearly all list characters, and a window found in the prose around a
    # phrase would no longer look random and hide the phrase.
    n = len(words)
    valid = [(i, i + length) for length in PHRASE_LENGTHS for i in range(n - length + 1)
             if checksum_ok(words[i:i + length], language)]
    if not valid:
        return None
    start, end = min(s for s, _ in valid), max(e for _, e in valid)
    return (start if start < 12 else 0), (end if n - end < 12 else n)


# A phrase is drawn at random from 2,048 words, so it almost never says the same thing
# twice in a row; lists with labels do ("part 0 part 1 ...", "step 1: check, step 2:
# check"). A word that repeats the word `period` places back, right after the word
# before it did the same, is such a repetition; for a random 24-word phrase the chance
# of one is about 5 in a million.
_MAX_PERIOD = 4


def unrepeated_stretches(words: Sequence[str]) -> list[tuple[int, int]]:
    """The stretches (start, end) of `words` left when every part that repeats itself
    with a period of up to four words is cut out; only these can hold a phrase."""
    lowered = [word.lower() for word in words]
    repeated = [False] * len(words)
    for i in range(2, len(words)):
        for period in range(1, min(_MAX_PERIOD, i - 1) + 1):
            if lowered[i] == lowered[i - period] and lowered[i - 1] == lowered[i - 1 - period]:
                repeated[i - 1 - period:i + 1] = [True] * (period + 2)
                break
    stretches: list[tuple[int, int]] = []
    start = 0
    for i, cut in enumerate([*repeated, True]):
        if cut:
            if i > start:
                stretches.append((start, i))
            start = i + 1
    return stretches


def word_class(token: str) -> tuple[str, str] | tuple[None, None]:
    """(language, LISTED or UNKNOWN) of a word that may stand in a phrase.

    UNKNOWN is a word that could be a misspelt list word; a phrase may hold
    one.  Anything else (a long word, "a", "to", a Han compound) ends a phrase.
    """
    if not token[0].isascii():
        if len(token) > 1:
            return None, None
        return "zh", LISTED if token in CHINESE_CHARS else UNKNOWN
    lower = token.lower()
    if lower in ENGLISH_WORDS or (len(lower) == 4 and lower in ENGLISH_PREFIXES):
        return "en", LISTED
    return ("en", UNKNOWN) if 3 <= len(lower) <= 9 else (None, None)


def han_phrase(chars: str) -> tuple[int, int] | None:
    """Where in a run of Han characters written together a phrase stands, if any.

    Only its form is judged here; the caller checks that the text names it.
    """
    if not 12 <= len(chars) <= _MAX_HAN_RUN or not all(c in CHINESE_CHARS for c in chars):
        return None
    if len(chars) <= 24 and _random_han(chars, len(chars) in PHRASE_LENGTHS):
        return 0, len(chars)
    # Prose glued to the phrase ("<phrase>导进去之后..."): the checksum-valid windows that
    # themselves look random, from the first start to the last end (a window inside the
    # phrase may pass too, and the first alone could leave words of the phrase behind).
    # Judged one by one: a window of prose and phrase passes the checksum by chance one
    # time in 16, and judged as one stretch with the phrase it made the whole read as
    # prose, so a quarter of the phrases after five characters of prose ("我的钱包是<phrase>")
    # were kept whole.
    windows = [(s, e) for s, e in checksum_windows(chars, "zh") if _random_han(chars[s:e], False)]
    return (min(s for s, _ in windows), max(e for _, e in windows)) if windows else None


def _random_han(chars: str, phrase_length: bool) -> bool:
    if reads_as_prose(chars):   # one phrase in a thousand holds a common word by chance
        return rarity(chars) >= MIN_RARITY and checksum_ok(chars, "zh")
    return phrase_length or rarity(chars) >= MIN_RARITY


BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_VALUE = {c: i for i, c in enumerate(BASE58_ALPHABET)}


def base58check_decode(text: str) -> bytes | None:
    """The payload of a base58check string, or None if it is not one."""
    number = 0
    for char in text:
        value = _BASE58_VALUE.get(char)
        if value is None:
            return None
        number = number * 58 + value
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(text) - len(text.lstrip("1"))) + raw
    payload, checksum = raw[:-4], raw[-4:]
    if len(raw) < 5 or hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


def base58check_encode(payload: bytes) -> str:
    """Encode a payload with its checksum (tests build valid keys with it)."""
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number = int.from_bytes(raw, "big")
    out = []
    while number:
        number, digit = divmod(number, 58)
        out.append(BASE58_ALPHABET[digit])
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + "".join(reversed(out))


def is_wif(text: str) -> bool:
    """True for a checksum-valid WIF private key (mainnet 0x80 or testnet 0xef)."""
    payload = base58check_decode(text)
    if payload is None or payload[0] not in (0x80, 0xEF):
        return False
    return len(payload) == 33 or (len(payload) == 34 and payload[-1] == 0x01)


# Words that describe a password rather than being one ("the password is
# wrong", "password: reset"), and the characters of a masked one ("******").
_NOT_A_PASSWORD = frozenset("""
    wrong incorrect correct right not too expired invalid valid same different changed reset
    required needed set weak strong long short fine ok okay case sensitive protected saved
    stored lost forgotten forgot missing empty blank locked working accepted rejected for of
    to and or on in at with what how the a an my your this that it is was be been being still
    also just only now never always already there here field box manager none null unknown
    n/a mismatch mismatched updated enabled disabled""".split())  # noqa: SIM905 - a word list
_MASK = frozenset("*•xX#")


def plausible_password(value: str, min_length: int) -> bool:
    """Long enough, not a describing word, a remark "(hidden)", a link, a mask, or
    a value already redacted."""
    return (len(value) >= min_length and value.lower() not in _NOT_A_PASSWORD
            and not value.startswith(("[REDACTED", "(", "[", "<", "{")) and "://" not in value
            and not set(value) <= _MASK)


def password_shaped(value: str) -> bool:
    """Digits, symbols or inner capitals: how passwords are usually made."""
    return any(c.isdigit() or not c.isalnum() for c in value) or (
        any(c.isupper() for c in value[1:]) and any(c.islower() for c in value))
