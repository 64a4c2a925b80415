"""Tell the language of a message: `zh`, `en` or `other`.

Mixed messages take the language of most of their words, counting each Chinese
character as a word (taxonomy).  Addresses, hashes, URLs and redaction tokens are
not words of any language and are ignored.  Latin-script text counts as English
unless it carries the diacritics or the common function words of another language.
"""
from __future__ import annotations

import re

# Not words: each pattern runs only when its marker occurs (this runs on every message).
_NOISE = (("://", re.compile(r"[A-Za-z]+://\S+")), ("www.", re.compile(r"www\.\S+")),
          ("@", re.compile(r"[^\s@]+@\S+")), ("[", re.compile(r"\[REDACTED:[a-z_]+\]", re.IGNORECASE)))
_DIGIT = re.compile(r"\d")
_WITH_DIGIT = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z_]*\d[A-Za-z0-9_]*")   # hashes, addresses, ids
# Runs written "[x][x]*", not "[x]+": a pattern that starts with one character
# class lets the engine skip ahead to it instead of trying every position.
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff][\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]*")
# Scripts that are neither Chinese nor Latin: kana, hangul, Cyrillic, Greek,
# Hebrew, Arabic, Devanagari, Thai.
_SCRIPTS = (r"[\u3040-\u30ff\uac00-\ud7af\u1100-\u11ff\u0400-\u04ff\u0370-\u03ff"
            r"\u0590-\u05ff\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f]")
_OTHER_SCRIPT = re.compile(f"{_SCRIPTS}{_SCRIPTS}*")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff][A-Za-z\u00c0-\u024f\u1e00-\u1eff]*")
# Function words that English never uses, of the Latin-script languages a
# wallet desk most often sees (es, pt, fr, de, it, id/ms, vi without marks, tr).
_FOREIGN_WORDS = frozenset("""
    que por para con una los las del pero como hola gracias tengo cuenta dinero mi está
    obrigado olá você meu minha não uma com
    je vous mon les des est pas avec pour bonjour merci mais dans sur
    ich nicht und mein ist das die der bitte hallo danke mit auf kann
    ciao grazie sono il della questo
    saya tidak dan yang ini itu dengan untuk sudah belum bisa tolong terima kasih
    toi khong minh duoc chua roi
    ve bir bu için benim değil merhaba ile ama çok daha gibi olarak
    hallo guten meine meinem seit einer eine mehr gibt
    sem um foram eu ele ela
    cuáles están
    alguien fondos billetera ayuda hice ninguna ninguno puedo puede quiero necesito estoy estaba
    retiro recibido dinero hola buenos buenas cuando donde porque también
    meus minhas seus suas ajuda carteira saque recebi chegou ainda preciso quero consigo dinheiro obrigada
    portefeuille retrait argent aussi besoin veux peux
    tolong dompet penarikan belum masuk diterima uang saya kami sudah
    de el un unas unos se lo le al ya hace sigue hice horas saldo pueden revisar estado
    quais taxas existe valor olá yang di kak gimana cara harus dulu kemarin apa bagaimana dari ke
""".split())   # noqa: SIM905 - a word list reads better as words
# English's own function words: a Latin-script message with more foreign function
# words (or accented words) than these is not English, even when most of its
# words (names, coins, "app", "USDT") would pass for English.
_ENGLISH_WORDS = frozenset("""
    the a an i my me is are was were be been to of in on at for from with and or but not no
    it this that you your we our they he she have has had do does did can could will would
    please what how why when where which who there here just all any
""".split())   # noqa: SIM905


def detect_language(text: str) -> str:
    """`zh`, `en` or `other` by counting words of each kind."""
    for marker, pattern in _NOISE:
        if marker in text:
            text = pattern.sub(" ", text)
    if _DIGIT.search(text):     # a quick look first: most messages have no number at all
        text = _WITH_DIGIT.sub(" ", text)
    words = _LATIN_WORD.findall(text.lower())
    if text.isascii():      # most messages: no need to look for other scripts
        chinese = script = 0
        foreign = sum(map(_FOREIGN_WORDS.__contains__, words))
    else:
        chinese = sum(map(len, _CJK_RUN.findall(text)))
        script = sum(map(len, _OTHER_SCRIPT.findall(text)))
        foreign = sum(1 for word in words if not word.isascii() or word in _FOREIGN_WORDS)
    english, other = len(words) - foreign, script + foreign
    if other > chinese and other > english:
        return "other"
    if chinese == 0 and foreign >= 2 and foreign > sum(map(_ENGLISH_WORDS.__contains__, words)):
        return "other"
    if chinese == 0 and english == 0:
        return "other"
    return "zh" if chinese >= english else "en"
