"""The edges of a run of list words: an unknown word beside a phrase is not part of it,
eleven list words beside an unknown one are not a phrase, and list characters written
around a spaced Chinese phrase stay outside its token. The phrases are made up."""
from __future__ import annotations

from mnemonic import Mnemonic

from router.secrets.redact import redact

PHRASE = Mnemonic("english").to_mnemonic(bytes.fromhex("1f2e3d4c5b6a79881f2e3d4c5b6a7988"))
HAN = Mnemonic("chinese_simplified").to_mnemonic(bytes.fromhex("3c4d5e6f708192a3b4c5d6e7f8091a2b"))


def test_an_unknown_word_before_a_phrase_stays_and_the_phrase_goes_whole() -> None:
    # "qwerty" could be a misspelt list word, so it starts the run; it is dropped from the
    # run's edge, and only it: the twelve words after it are the phrase.
    result = redact(f"qwerty {PHRASE}")
    assert result.text == "qwerty [REDACTED:mnemonic]"


def test_eleven_list_words_beside_an_unknown_one_are_not_a_phrase() -> None:
    eleven = " ".join(PHRASE.split()[:11])
    for text in (f"qwerty {eleven}", f"{eleven} qwerty"):
        result = redact(text)
        assert result.kinds == (), text
        assert result.text == text


def test_list_characters_around_a_spaced_chinese_phrase_stay_outside_the_token() -> None:
    # "对" and "吗" are list characters too; the checksum, computed on the Chinese list,
    # finds where the phrase ends.
    result = redact(f"核对一下 {HAN} 对 吗")
    assert result.text == "核对一下 [REDACTED:mnemonic] 对 吗"


def test_a_misspelt_phrase_after_an_unknown_word_goes() -> None:
    # Two unknown words in one run: the run goes on after the first one, so the phrase
    # with its one misspelt word is still found whole.
    words = PHRASE.split()
    words[6] = words[6][:-1] + "q" + words[6][-1]      # not on the list any more
    result = redact("qwerty " + " ".join(words))
    assert result.text == "qwerty [REDACTED:mnemonic]"


def test_a_numbering_further_back_than_reach_stays_outside_the_token() -> None:
    # "1. abandon ..." becomes one token; a number 170 blanks back is not the phrase's.
    text = "1." + " " * 170 + PHRASE
    assert redact(text).text == "1." + " " * 170 + "[REDACTED:mnemonic]"


def test_a_phrase_with_a_word_mistyped_to_three_or_nine_letters_goes() -> None:
    # A word of 3 to 9 letters off the list may be a typo inside the phrase.
    for typo in ("qzx", "abstracts"):
        words = PHRASE.split()
        words[5] = typo
        assert redact(" ".join(words)).text == "[REDACTED:mnemonic]", typo


def test_four_letter_words_off_the_list_break_a_run() -> None:
    # "have", "this" are list words, "from", "with", "your" only four-letter words: a list
    # word abbreviated to four letters counts, any four letters do not.
    text = "lamp have coin from city door with moon star your tree this"
    result = redact(text)
    assert result.kinds == ()
    assert result.text == text


def test_spaced_han_characters_off_the_list_break_a_run() -> None:
    # Thirteen characters standing apart, but one in six is not on the list: no stretch
    # of twelve holds fewer than two of them.
    chars = list(HAN.replace(" ", ""))
    text = " ".join(["鑫", *chars[:5], "淼", *chars[5:10], "焱"])
    result = redact(text)
    assert result.kinds == ()
    assert result.text == text


def test_a_phrase_that_says_a_word_twice_is_still_a_phrase() -> None:
    # Its third word repeats its first and its last the second; only a word pair repeated
    # back to back ("part 0 part 1") makes a list of it.
    phrase = Mnemonic("english").to_mnemonic(bytes.fromhex("e9b31fa6d1e5ad7497b500bd10e6674c"))
    words = phrase.split()
    assert words[2] == words[0] and words[11] == words[1]
    assert redact(phrase).text == "[REDACTED:mnemonic]"
