"""Secrets hidden in text without spaces: message ids and file names.

`redact` reads prose, where words stand apart. A Message-ID or a file name glues its
words with dots, dashes and underscores, or with nothing at all
(`<abandon.ability...@x>`, `my_password_is_X.txt`), so it is also read here in two more
views: punctuation turned into spaces, and letters run together split into wordlist
words. A message id that holds a secret in any view becomes a stable keyed hash
(`h:<hex>`), the same for the message and for every reply that names it, so threading
still works while the id is neither stored nor echoed.
"""
from __future__ import annotations

import hashlib
import hmac
import re

from router.secrets.redact import redact
from router.secrets.secret_forms import ENGLISH_WORDS, han_phrase

HASHED_PREFIX = "h:"
MIN_PHRASE_WORDS = 12
_WORD_LENGTHS = range(3, 9)  # BIP39 English words have 3 to 8 letters
_PUNCTUATION = re.compile(r"[^0-9A-Za-z\u3400-\u9fff\uf900-\ufaff]+")
_JOINERS = re.compile(r"[_+=.]+(?=[^\W_]|$)|_+")  # what stands for a space between words in names
_LETTER_RUN = re.compile(r"[a-z]{36,}")  # 12 words of 3+ letters at least
_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{12,}")
# Words that name a secret, as they read with separators taken out ("mypasswordis...").
_GLUED_CUES = {
    "password": "password", "passwd": "password", "passphrase": "password", "passcode": "password",
    "密码": "password", "密碼": "password",
    "mnemonic": "mnemonic", "seedphrase": "mnemonic", "recoveryphrase": "mnemonic",
    "secretphrase": "mnemonic", "backupphrase": "mnemonic", "助记词": "mnemonic", "助記詞": "mnemonic",
    "privatekey": "private_key", "privkey": "private_key", "secretkey": "private_key",
    "私钥": "private_key", "私鑰": "private_key",
}


def _glued_phrase(letters: str) -> bool:
    """True when a run of letters splits into 12 or more wordlist words in a row."""
    chain = [0] * (len(letters) + 1)  # chain[i]: most list words in a row ending at i
    for end in range(1, len(letters) + 1):
        for length in _WORD_LENGTHS:
            start = end - length
            if start >= 0 and letters[start:end] in ENGLISH_WORDS:
                chain[end] = max(chain[end], chain[start] + 1)
        if chain[end] >= MIN_PHRASE_WORDS:
            return True
    return False


def _views(token: str) -> list[str]:
    """The token as written, with joiners as spaces, and with all punctuation as spaces."""
    return [token, _JOINERS.sub(" ", token), _PUNCTUATION.sub(" ", token)]


def hidden_kinds(token: str, *, cues: bool = True) -> tuple[str, ...]:
    """The kinds of secret `token` holds in any view, and with its separators taken out;
    () when it holds none. With `cues`, a word naming a secret is enough (for ids: hashing
    one that only names a password costs nothing)."""
    kinds = [kind for view in _views(token) for kind in redact(view).kinds]
    glued = _PUNCTUATION.sub("", token).lower()
    if cues:
        kinds += [kind for cue, kind in _GLUED_CUES.items() if cue in glued]
    if any(_glued_phrase(run) for run in _LETTER_RUN.findall(glued)):
        kinds.append("mnemonic")
    if any(han_phrase(run.group()) for run in _HAN_RUN.finditer(glued)):
        kinds.append("mnemonic")
    return tuple(dict.fromkeys(kinds))


def _id_key() -> bytes:
    """A key of its own for id hashes, derived from the installation's secret key, so a
    weak password inside an id cannot be guessed back from its hash by a dictionary."""
    from config.settings import get_settings

    return hmac.new(get_settings().secret_key.encode(), b"msgrouter external ids", hashlib.sha256).digest()


def safe_id(value: str) -> str:
    """The id itself, or `h:<hex>` when it holds a secret: the same input gives the same
    output, so a reply naming a hashed id still finds its message.

    An id with anything but printable ASCII is hashed too: real Message-IDs are ASCII, and
    a character the parser could not read (U+FFFD) can split a phrase below what the
    redactor recognises while leaving words of it readable."""
    if not value or value.startswith(HASHED_PREFIX):
        return value
    if value.isascii() and value.isprintable() and not hidden_kinds(value):
        return value
    return HASHED_PREFIX + hmac.new(_id_key(), value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def safe_filename(name: str) -> tuple[str, tuple[str, ...]]:
    """A file name with its secrets replaced, readable where possible, and the kinds found."""
    result = redact(name)
    if result.kinds:
        name = result.text
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 16 or not ext.isalnum():
        stem, dot, ext = name, "", ""
    hidden = hidden_kinds(stem, cues=False)
    if not hidden:
        return name, result.kinds
    for view in _views(stem)[1:]:
        spaced = redact(view.strip())
        if spaced.kinds and not hidden_kinds(spaced.text, cues=False):
            stem = spaced.text
            break
    else:  # glued beyond reading: nothing of the stem can stay
        stem = " ".join(f"[REDACTED:{kind}]" for kind in hidden)
    return stem + dot + ext, tuple(dict.fromkeys(result.kinds + hidden))
