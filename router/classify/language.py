"""Tell the language of a message: `zh`, `en` or `other`.

Mixed messages take the language of most of their words, counting each Chinese
character as a word (taxonomy).  Addresses, hashes, URLs and redaction tokens are
not words of any language and are ignored.  Latin-script text counts as English
unless it carries the diacritics or the common function words of another language.
"""
from __future__ import annotations

import re

_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|\[REDACTED:[a-z_]+\]|[A-Za-z0-9_]*\d[A-Za-z0-9_]*", re.I)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Scripts that are neither Chinese nor Latin: kana, hangul, Cyrillic, Greek,
# Hebrew, Arabic, Devanagari, Thai.
_OTHER_SCRIPT = re.compile(r"[\u3040-\u30ff\uac00-\ud7af\u1100-\u11ff\u0400-\u04ff\u0370-\u03ff"
                           r"\u0590-\u05ff\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f]+")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+")
_DIACRITIC = re.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")
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
    ve bir bu için benim değil merhaba
""".split())


def detect_language(text: str) -> str:
    """`zh`, `en` or `other` by counting words of each kind."""
    text = _NOISE.sub(" ", text)
    chinese = len(_CJK.findall(text))
    other = sum(len(run) for run in _OTHER_SCRIPT.findall(text))
    english = 0
    for word in _LATIN_WORD.findall(text):
        if _DIACRITIC.search(word) or word.lower() in _FOREIGN_WORDS:
            other += 1
        else:
            english += 1
    if other > chinese and other > english:
        return "other"
    if chinese == 0 and english == 0:
        return "other"
    return "zh" if chinese >= english else "en"
