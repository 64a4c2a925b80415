"""Replace the wallet secrets in a customer's text with `[REDACTED:<kind>]`.

Runs at the intake edge on every message, before anything is stored, queued,
logged or shown.  Kinds: `mnemonic`, `private_key`, `wif`, `xprv`, `password`.
Transaction hashes, public keys, addresses and checksums are left intact,
because agents need them.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from router.secrets.redact_loose import quoted_attempts, split_hex_keys
from router.secrets.secret_forms import (
    UNKNOWN,
    han_phrase,
    is_wif,
    password_shaped,
    phrases_window,
    plausible_password,
    unrepeated_stretches,
    word_class,
)

__all__ = ["Redaction", "redact", "redact_message"]


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str                 # the text with every secret replaced by [REDACTED:<kind>]
    kinds: tuple[str, ...]    # kinds found, in order of first appearance, without repeats

    @property
    def contains_secret(self) -> bool:
        return bool(self.kinds)


Span = tuple[int, int, str]   # start, end, kind

MNEMONIC_MIN_WORDS = 12
CJK = "\u3400-\u9fff\uf900-\ufaff"
BASE58 = "1-9A-HJ-NP-Za-km-z"

# ---------------------------------------------------------------- mnemonics
# A word is a run of Latin letters or of Han characters.  Between two words of
# a phrase only separators may stand: spaces, line breaks, commas, quotes and
# numbering ("1.", "(2)", "#3", "4、").  Any other word breaks the phrase, and
# English prose breaks it within a few words, because "the", "to", "is",
# "my", "and" are not on the list.  One unknown word may stand inside a run
# (a customer's typo, "lonley") and four-letter abbreviations count ("aban
# abil", as on steel backup plates); even so, in 2.3 million words of English
# licences, docs and Python source these rules found a single "phrase" (a
# test's quoted list of method names).
_WORD = re.compile(rf"[A-Za-z]+|[{CJK}]+")
# Separators, with at most one number among them ("1 2 True True" is a table).
_MARKS = r"[\s,，、;；*•·/|\-\"'“”]*+"
_SEPARATOR = rf"{_MARKS}(?:(?:\(?\d{{1,2}}+[.)、:：]?+|#\d{{1,2}}+){_MARKS})?"
_GAP = re.compile(_SEPARATOR)
_NUMBERING = re.compile(r"(?:\(?\d{1,2}[.)、:：]?|#\d{1,2})[ \t]*\Z")

# Only stretches of 12+ short words (3 to 9 letters) or of 12+ lone Han
# characters can hold a phrase; finding them with one regex spares the
# word-by-word loop on nearly all text.
_SEP = rf"(?=[^A-Za-z{CJK}]){_SEPARATOR}"
_STRETCHES = (
    re.compile(rf"(?<![A-Za-z])(?:[A-Za-z]{{3,9}}+{_SEP}){{11,}}[A-Za-z]{{3,9}}+(?![A-Za-z])"),
    re.compile(rf"[{CJK}](?<![{CJK}].)(?:{_SEP}[{CJK}]){{11,}}(?![{CJK}])"),
)


def _phrase_runs(text: str) -> Iterator[Span]:
    for stretches in _STRETCHES[:1] if text.isascii() else _STRETCHES:
        for stretch in stretches.finditer(text):
            yield from _runs_in(text, *stretch.span())


def _runs_in(text: str, pos: int, endpos: int) -> Iterator[Span]:
    """Runs of 12 or more list words: English words, or single Han characters
    standing apart ("先 肥 家 ..."), which prose never writes that way."""
    run: list[tuple[re.Match, str]] = []
    run_lang, unknown_at = None, None
    for word in _WORD.finditer(text, pos, endpos):
        lang, kind = word_class(word.group())
        if run and (lang != run_lang or not _GAP.fullmatch(text, run[-1][0].end(), word.start())):
            yield from _flush(text, run)
            run, unknown_at = [], None
        if kind == UNKNOWN and unknown_at is not None:     # a second unknown word:
            yield from _flush(text, run)                    # go on after the first
            run = run[unknown_at + 1:]
            unknown_at = None
        if kind:
            unknown_at = len(run) if kind == UNKNOWN else unknown_at
            run.append((word, kind))
            run_lang = lang
    yield from _flush(text, run)


def _flush(text: str, run: list[tuple[re.Match, str]]) -> Iterator[Span]:
    # A run that repeats itself ("part 0 part 1 ...") is a list, not random draws:
    # only what is left between its repetitions can hold a phrase.
    for start, end in unrepeated_stretches([word.group() for word, _ in run]):
        yield from _flush_stretch(text, run[start:end])


def _flush_stretch(text: str, run: list[tuple[re.Match, str]]) -> Iterator[Span]:
    while run and run[0][1] == UNKNOWN:
        run = run[1:]
    while run and run[-1][1] == UNKNOWN:
        run = run[:-1]
    if len(run) < MNEMONIC_MIN_WORDS or len(run) - sum(k == UNKNOWN for _, k in run) < MNEMONIC_MIN_WORDS - 1:
        return
    # A list word or two of the sentence around the phrase often joins the
    # run ("here it is: <12 words> please help"); the checksum finds the
    # phrase inside.  A mistyped phrase has none, and the whole run goes.
    lang = "en" if run[0][0].group()[0].isascii() else "zh"
    window = phrases_window([word.group() for word, _ in run], lang)
    first, last = (run[window[0]][0], run[window[1] - 1][0]) if window else (run[0][0], run[-1][0])
    start = first.start()
    numbering = _NUMBERING.search(text, _previous_line_start(text, start, 0), start)
    if numbering:      # "1. abandon 2. ..." becomes one token, not "1. [REDACTED]"
        start = numbering.start()
    yield start, last.end(), "mnemonic"


# Han characters written together can be a phrase too, but ordinary Chinese is
# nearly all list characters (97% of the corpus), so a run of them counts only
# when (a) the text names a mnemonic on the same line or next to it, (b) the
# run holds none of the common two-character words that prose is made of
# (secret_forms.reads_as_prose), and (c) it has a phrase's length, or, for a
# phrase with a character missing or doubled, looks drawn at random from the
# list (secret_forms.rarity).  Naming words cut a run ("助记词是" + phrase).
_ZH_CUE = re.compile(    # the lookahead lets the scan skip most positions quickly
    r"(?=[助记記恢种種sSrRbBmM])(?<!REDACTED:)"
    r"(?:助记词|助記詞|记忆词|記憶詞|助记码|助記碼|恢复短语|恢復短語|种子短语|種子短語|种子词|種子詞|"
    r"seed\s*phrase|recovery\s*phrase|secret\s*phrase|backup\s*phrase|mnemonic)",
    re.I,
)
_HAN_RUN = re.compile(f"[{CJK}]{{{MNEMONIC_MIN_WORDS},}}")
_LEADING_LINK = re.compile(r"(?:就是|如下|是|为|為)?")
_TRAILING_LINK = re.compile(r"(?:就是|是)?(?:我的|我们的|我們的)?\Z")


def _joined_han_phrases(text: str) -> Iterator[Span]:
    segments = list(_HAN_RUN.finditer(text))
    if not segments or not _ZH_CUE.search(text):
        return
    for segment in segments:
        offset = segment.start()
        for cue in [*_ZH_CUE.finditer(segment.group()), None]:
            start = offset
            end = segment.start() + cue.start() if cue else segment.end()
            if offset > segment.start():            # just after a cue
                start = _matched(_LEADING_LINK.match(text, start, end)).end()
            if cue:                                 # just before a cue
                end = _matched(_TRAILING_LINK.search(text, start, end)).start()
            found = han_phrase(text[start:end])
            if found and _cue_nearby(text, start, end):
                yield start + found[0], start + found[1], "mnemonic"
            if cue:
                offset = segment.start() + cue.end()


def _cue_nearby(text: str, start: int, end: int) -> bool:
    """A naming word on the run's line, the two above or the two below."""
    # Two lines on either side, because a blank line often stands between a pasted
    # phrase and the words that name it, below it as much as above it.
    below = _line_end(text, end)
    for _ in range(2):
        below = _line_end(text, min(len(text), below + 1))
    return bool(_ZH_CUE.search(text, _previous_line_start(text, start, 2), below))


# Context is "this line and the ones just above", capped in characters so that
# one huge line (a pasted log, an attachment) costs linear time, not quadratic.
REACH = 160


def _previous_line_start(text: str, pos: int, lines: int = 1) -> int:
    """Where the line `lines` above the one holding `pos` begins (within REACH)."""
    floor = max(0, pos - REACH)
    start = text.rfind("\n", floor, pos) + 1 or floor
    for _ in range(lines):
        if start <= floor:
            break
        start = text.rfind("\n", floor, start - 1) + 1 or floor
    return start


def _matched(match: re.Match[str] | None) -> re.Match[str]:
    """The match of a pattern that matches the empty string too, so it never fails."""
    assert match is not None
    return match


def _line_end(text: str, pos: int) -> int:
    """Where the line holding `pos` ends (within REACH)."""
    end = text.find("\n", pos, pos + REACH)
    return min(len(text), pos + REACH) if end < 0 else end


# ------------------------------------------------------------ keys by form
# What names a 64-hex string or a WIF.  The naming closest before the string
# (on its line or the two above: "address and private key:\n<addr>\n<key>")
# decides, so "私钥 ... 交易哈希: <hex>" is a txid; with nothing before it,
# naming just after it on the same line counts ("<hex> 是我的私钥").  Public
# keys, addresses, hashes, signatures and ids are not secrets: Sui and Aptos
# addresses are 64-hex too.
_NAMING = re.compile(      # a "[REDACTED:private_key]" token names nothing (either group)
    r"(?=[aAcCdDeEhHiIkKmMpPsStTwW公哈交校签簽地订訂记記转轉充提到私密秘])(?<!REDACTED:)(?:(?P<other>public[\s_-]*key|pub[\s_-]*key|公钥|公鑰|"
    r"(?<![a-z0-9])tx(?:id|n|hash)?(?![a-z0-9])|transaction|hash|哈希|交易|"
    r"checksum|sha-?\d+|md5|校验|校驗|签名|簽名|signature|"
    r"address|地址|订单|訂單|记录|記錄|转账|轉帳|转出|轉出|充值|提现|提現|提币|提幣|到账|到帳|"
    r"transfer|deposit|withdrawal|explorer|scan|(?<![a-z])id(?![a-z]))|"
    r"(?P<key>private[\s_-]*key|priv[\s_-]*key|privkey|secret[\s_-]*key|私钥|私鑰|私匙|密钥|密鑰|秘钥|"
    r"(?<![a-z_])(?:keys?|seed|pk)(?![a-z])))",
    re.I,
)
_HEX64 = re.compile(r"(?<![0-9A-Za-z])(?:0x)?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
_WIF_SHAPE = re.compile(rf"(?<![{BASE58}])(?:[59][{BASE58}]{{50}}|[KLc][{BASE58}]{{51}})(?![{BASE58}])")
_XPRV = re.compile(rf"(?<![{BASE58}])[xyztuvXYZUV]prv[{BASE58}]{{40,}}")
LOOK_AHEAD = 60      # "<hex> (that is my private key)"
LIST_GAP = 16        # "1. <hex>\n2. <hex>": items share the naming above them


def _named_as_key(text: str, start: int, end: int) -> bool:
    before = list(_NAMING.finditer(text, _previous_line_start(text, start, 2), start))
    last = before[-1] if before else _NAMING.search(text, end, min(end + LOOK_AHEAD, _line_end(text, end)))
    return last is not None and last.lastgroup == "key"


def _hex_keys(text: str) -> Iterator[Span]:
    # A 64-hex that nothing names stays: far more often a txid (agents need
    # those) than a pasted key, and nothing in the text says it is a key.
    previous_end, previous_is_key = -LIST_GAP - 1, False
    for match in _HEX64.finditer(text):
        start, end = match.span()
        if start - previous_end <= LIST_GAP and not _NAMING.search(text, previous_end, start):
            is_key = previous_is_key
        else:
            is_key = _named_as_key(text, start, end)
        previous_end, previous_is_key = end, is_key
        if is_key:
            yield start, end, "private_key"


def _wif_keys(text: str) -> Iterator[Span]:
    # The checksum makes a chance match in other base58 text negligible; a
    # mistyped key still counts when the text calls it a key.
    for match in _WIF_SHAPE.finditer(text):
        if is_wif(match.group()) or _named_as_key(text, *match.span()):
            yield match.start(), match.end(), "wif"


def _xprv_keys(text: str) -> Iterator[Span]:
    # "xprv" and its kin followed by a long base58 string cannot be anything
    # else; xpub/ypub/zpub are public and never match.
    for match in _XPRV.finditer(text):
        yield match.start(), match.end(), "xprv"


# ---------------------------------------------------------------- passwords
# "my password is X", "Password: X", "密码是X", "password 是 X", "pwd X1y2":
# only the value goes, the words around it stay.  The value must look like
# one.  Chinese never does (密码是我的生日, 密码是对的), nor a word that
# describes the password ("is wrong", "is too short"), so a bare Latin word
# counts only after a Chinese cue or as a form field on a line of its own
# ("Password: sunshine"); otherwise it needs digits, symbols or mixed case.
_PW_CUE = re.compile(
    r"(?=[pP密口])(?<![A-Za-z])(?:(?P<en>password|passcode|passphrase|passwd|pwd)"
    r"|(?P<weak>pass|pw|pin(?:[ -]?code)?))(?![A-Za-z])|(?P<zh>密码|密碼|口令)",
    re.I,
)
_PW_LINK = re.compile(      # "is", "：", "是"; also "for the new app is"
    r"(?:[ \t]+(?:for|of|on|in)(?:[ \t]+[\w.@-]+){1,4}?)?"
    r"(?:\s*(?:(?:is|was|to|now|still)(?![A-Za-z])|[=:：]"
    r"|是|为|為|就是|都是|也是|还是|還是|改成|改为|改為|设为|設為))+\s*",
    re.I)
_PW_QUOTED = re.compile(r"""["'“‘「『]([^\n"'“”‘’「」『』]{3,64})["'”’」』]""")
_PW_PLAIN = re.compile(r"[\x21-\x7e]+")
_BLANKS = re.compile(r"[ \t]*")
# "password: 8-16 characters", "密码是8-16位": a rule about passwords, not one.
_PW_DESCRIBED = re.compile(
    r"\s*(?:(?:characters?|chars?|digits?|letters?|symbols?|numbers?|times|attempts?|tries)(?![A-Za-z])"
    r"|位|个字|個字|次)", re.I)
_PW_TRAILING = ".,;:?)]}>\"'"


def _passwords(text: str) -> Iterator[Span]:
    for cue in _PW_CUE.finditer(text):
        found = _password_value(text, cue)
        if found:
            yield found[0], found[1], "password"


def _password_value(text: str, cue: re.Match) -> tuple[int, int] | None:
    link = _PW_LINK.match(text, cue.end())
    if not link and not cue.group("zh") and text[cue.end():cue.end() + 1] not in (" ", "\t"):
        return None                      # "password-reset", "PW-90155"
    pos = (link or _matched(_BLANKS.match(text, cue.end()))).end()
    quoted = _PW_QUOTED.match(text, pos)
    if quoted:
        return quoted.span(1) if plausible_password(quoted.group(1), min_length=3) else None
    value = _PW_PLAIN.match(text, pos)
    if not value:
        return None
    end = pos + len(value.group().rstrip(_PW_TRAILING))
    core = text[pos:end].rstrip("!")
    if not plausible_password(core, min_length=4 if link else 6) or _PW_DESCRIBED.match(text, end):
        return None
    if not password_shaped(core):
        if not link or cue.group("weak"):
            return None
        label = link.group().strip()[-1:] in (":", "：", "=")
        form_field = label and not text[end:_line_end(text, end)].strip()
        if not (cue.group("zh") or form_field):
            return None
    return pos, end


# ---------------------------------------------------------------- assembly
MAX_PASSES = 4     # each pass with a find removes text, so this is only a bound

# Most messages hold no secret, and each detector scans the whole text, so a
# cheap test first says which detectors could find anything at all.  Every key
# form is one run of 44+ letters and digits (xprv and kin 44+, WIF 51+, hex 64);
# every password cue contains one of _PW_MARKS once folded (the cue regex
# ignores case the Unicode way: "PAſS" and "PİN" match, hence the extra folds);  # noqa: RUF003 - the long s is the point
# Han phrases need Han.
_LONG_RUN = re.compile(r"[0-9A-Za-z]{44}")
_PW_MARKS = ("pass", "pw", "pin", "密码", "密碼", "口令")
_FOLD_MORE = {ord("\u0131"): "i", 0x307: None}     # dotless i; the dot casefold() leaves on "İ"
_QUOTES = "\"'“‘「『"
_KEY_MARKS = ("key", "钥", "鑰")


def _detectors_for(text: str) -> list:
    detectors: list = []
    if _LONG_RUN.search(text):
        detectors += (_xprv_keys, _wif_keys, _hex_keys)
    if text.isascii():
        folded = text.lower()
    else:
        folded = text.casefold()
        if "\u0131" in folded or "\u0307" in folded:
            folded = folded.translate(_FOLD_MORE)
    if any(mark in folded for mark in _PW_MARKS):
        detectors.append(_passwords)
    detectors.append(_phrase_runs)
    # Loosely written secrets (redact_loose.py): quoted attempts need a quote,
    # a split key needs the word that names it.
    if any(q in text for q in _QUOTES):
        detectors.append(quoted_attempts)
    if any(k in folded for k in _KEY_MARKS):
        detectors.append(split_hex_keys)
    if not text.isascii():
        detectors.append(_joined_han_phrases)
    return detectors


def redact(text: str) -> Redaction:
    """Find every secret in `text` and replace each with one token.

    A replacement shortens the text, which can bring a naming word within
    reach of a secret that stood too far from it; so the search runs again
    on its own result until nothing more turns up.  That makes redaction
    idempotent by construction.  Clean text costs one pass.
    """
    kinds: list[str] = []
    if not text.strip():
        return Redaction(text, ())    # most chat messages have no subject: skip the detectors
    for _ in range(MAX_PASSES):
        spans = sorted((span for detect in _detectors_for(text) for span in detect(text)),
                       key=lambda s: (s[0], -s[1]))
        if not spans:
            break
        text, found = _replace(text, spans)
        kinds += [kind for kind in found if kind not in kinds]
    return Redaction(text, tuple(kinds))


def redact_message(text: str, subject: str = "") -> tuple[str, str, tuple[str, ...]]:
    """A message's text and subject redacted, with the kinds found in either
    (each once, in order of first appearance)."""
    body, title = redact(text), redact(subject)
    return body.text, title.text, tuple(dict.fromkeys(body.kinds + title.kinds))


def _replace(text: str, spans: list[Span]) -> tuple[str, list[str]]:
    parts, kinds, cursor = [], [], 0
    for start, end, kind in spans:
        if start < cursor:                   # overlapping finds share one token
            cursor = max(cursor, end)
            continue
        parts += [text[cursor:start], f"[REDACTED:{kind}]"]
        cursor = end
        if kind not in kinds:
            kinds.append(kind)
    parts.append(text[cursor:])
    return "".join(parts), kinds
