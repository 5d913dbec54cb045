"""The normaliser: one table per technique (output and the exact original span), properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderator.text import (
    NORMALIZER_VERSION,
    SHORT_TEXT,
    NormalizedText,
    normalize,
    normalize_uncached,
)


def assert_normalizes(original: str, expected: str, word: str, hit: str) -> None:
    """`original` normalises to `expected`; `word` in it maps back to exactly `hit`."""
    result = normalize(original)
    assert result.text == expected
    start = result.text.index(word)
    span = result.span(start, start + len(word))
    assert original[span.start : span.end] == hit
    assert (span.start, span.end) == (original.index(hit), original.index(hit) + len(hit))


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("JiHaD", "jihad"),
        ("ＪＩＨＡＤ", "jihad"),  # full-width
        ("𝐣𝐢𝐡𝐚𝐝", "jihad"),  # mathematical bold
        ("ⓙⓘⓗⓐⓓ", "jihad"),  # circled
        ("ﬁne", "fine"),  # ligature
        ("Straße", "strasse"),
        ("İstanbul", "istanbul"),
        ("e\u0301te\u0301", "ete"),  # combining accents compose, then fold
    ],
)
def test_nfkc_and_casefold(original: str, expected: str) -> None:
    assert_normalizes(original, expected, expected, original)


@pytest.mark.parametrize(
    ("original", "hit"),
    [
        ("ji\u200bhad", "ji\u200bhad"),  # zero-width space
        ("j\u200di\u200chad", "j\u200di\u200chad"),  # zero-width joiner / non-joiner
        ("jih\u2060ad", "jih\u2060ad"),  # word joiner
        ("\ufeffjihad", "jihad"),  # byte-order mark
        ("ji\u00adhad", "ji\u00adhad"),  # soft hyphen
        ("\u202ejihad\u202c", "jihad"),  # right-to-left override + pop
        ("j\u2066ihad\u2069", "j\u2066ihad"),  # bidi isolates
        ("jiha\U000e0041d", "jiha\U000e0041d"),  # tag character
        ("ji\x00had", "ji\x00had"),  # control character
    ],
)
def test_invisible_characters_are_removed(original: str, hit: str) -> None:
    assert_normalizes(original, "jihad", "jihad", hit)


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("jіhad", "jihad"),  # Cyrillic і in a Latin word
        ("jihаd", "jihad"),  # Cyrillic а
        ("јihad", "jihad"),  # Cyrillic ј
        ("jihαd", "jihad"),  # Greek alpha
        ("ʝihad", "jihad"),  # Latin j with crossed tail
        ("jíhàd", "jihad"),  # diacritics
        ("јіһаԁ", "jihad"),  # all Cyrillic, but letters no Russian/Kazakh word uses
        ("тeррорист", "террорист"),  # Latin e in a Russian word
        ("лаңкeс", "лаңкес"),  # Latin e in a Kazakh word
        ("кill", "kill"),  # Cyrillic к
    ],
)
def test_confusables_in_mixed_script_words(original: str, expected: str) -> None:
    assert_normalizes(original, expected, expected, original)


@pytest.mark.parametrize(
    "word",
    ["террорист", "сәлем", "қазақстан", "үй", "өмір", "іс", "һәм", "ёлка", "Ёж"],
)
def test_a_word_wholly_in_cyrillic_stays_cyrillic(word: str) -> None:
    # ё is read as е (Russian writes both), nothing else changes.
    assert normalize(word).text == word.lower().replace("ё", "е")


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("jih@d", "jihad"),
        ("j1had", "jihad"),
        ("j!had", "jihad"),
        ("h1tl3r", "hitler"),
        ("n4z1", "nazi"),
        ("k1ll", "kill"),
        ("ki11", "kill"),
        ("a11ah", "allah"),
        ("$hit", "shit"),
        ("b0mb", "bomb"),
        ("d34th", "death"),
        ("j3ws", "jews"),
        ("th3", "the"),
        ("т3рр0р", "тзррор"),  # Cyrillic leetspeak: 3 is з, 0 is о
        ("т7рр0р", "ттррор"),  # 7 is т
        ("джих4д", "джихчд"),  # 4 is ч (the term matcher also reads it as а)
    ],
)
def test_leetspeak_inside_words(original: str, expected: str) -> None:
    assert_normalizes(original, expected, expected, original)


@pytest.mark.parametrize(
    "text",
    ["2024", "$5", "5$", "$5.99", "5th", "10am", "2024г", "mp3", "g7", "x86", "covid19",
     "john1985", "1488", "3.14", "+7 701 123 45 67", "wow!", "@user", "jihad!"],
)
def test_numbers_prices_and_punctuation_are_left_alone(text: str) -> None:
    assert normalize(text).text == text


@pytest.mark.parametrize(
    ("original", "expected", "word", "hit"),
    [
        # A rarely doubled letter (a h i j k q u v w x y, а ы э ю я й ь ъ х ч ш щ ц): one.
        ("jiiiiihad", "jihad", "jihad", "jiiiiihad"),
        ("jjjihaaaad", "jihad", "jihad", "jjjihaaaad"),
        ("kiiiilllll", "kill", "kill", "kiiiilllll"),
        ("джиххххад", "джихад", "джихад", "джиххххад"),
        ("жақсыыыы!", "жақсы!", "жақсы", "жақсыыыы"),
        ("jih@@@d", "jihad", "jihad", "jih@@@d"),  # a run made by leetspeak
        # Any other letter: two.
        ("террррорист", "террорист", "террорист", "террррорист"),
        ("so gooood", "so good", "good", "gooood"),
        # A run that is the whole word keeps two: `kkk` and `www` are not `k` and `w`.
        ("the kkk", "the kk", "kk", "kkk"),
        ("wwww.site", "ww.site", "ww", "wwww"),
        ("аааа!", "аа!", "аа", "аааа"),
        # A doubled letter is never cut, rarely doubled or not.
        ("kill", "kill", "kill", "kill"),
        ("летняя", "летняя", "летняя", "летняя"),
        ("raqqa", "raqqa", "raqqa", "raqqa"),
        ("hajj", "hajj", "hajj", "hajj"),
        ("jiihad", "jiihad", "jiihad", "jiihad"),
    ],
)
def test_long_runs_of_a_letter(original: str, expected: str, word: str, hit: str) -> None:
    assert_normalizes(original, expected, word, hit)


@pytest.mark.parametrize(
    ("original", "expected", "hit"),
    [
        ("say j i h a d now", "say jihad now", "j i h a d"),
        ("say j.i.h.a.d now", "say jihad now", "j.i.h.a.d"),
        ("say j-i-h-a-d now", "say jihad now", "j-i-h-a-d"),
        ("say j_i_h_a_d now", "say jihad now", "j_i_h_a_d"),
        ("say j. i. h. a. d now", "say jihad now", "j. i. h. a. d"),
        ("say j  i  h  a  d now", "say jihad now", "j  i  h  a  d"),
        ("say j 1 h @ d now", "say jihad now", "j 1 h @ d"),
        ("т е р р о р", "террор", "т е р р о р"),
        ("л.а.ң.к.е.с", "лаңкес", "л.а.ң.к.е.с"),
    ],
)
def test_split_letters_are_joined(original: str, expected: str, hit: str) -> None:
    word = expected.split()[1] if " " in expected else expected
    assert_normalizes(original, expected, word, hit)


@pytest.mark.parametrize(
    ("original", "expected", "leading", "trailing"),
    [
        ("с м е р т ь и точка", "смертьи точка", "с", "и"),
        ("с_м_е_р_т_ь_и точка", "смертьи точка", "с", "и"),
        ("и с м е р т ь", "исмерть", "и", ""),
        ("в с т у п а й в и г и л и точка", "вступайвигили точка", "в", "и"),
        ("у б и л и.", "убили.", "у", ""),  # no word follows: `и` is an ending
        ("ж.и.д.а и", "жида и", "", ""),  # dots join one word, never two
        ("k i l l a l l j e w s i swear", "killalljewsi swear", "", "i"),
        ("и вот убили и всё", "и вот убили и все", "", ""),  # nothing was split
        ("к т и все", "кти все", "", ""),  # too short to hold a word and a one-letter word
    ],
)
def test_glued_one_letter_words(original: str, expected: str, leading: str,
                                trailing: str) -> None:
    result = normalize(original)
    assert result.text == expected
    first, last = result.glued_letters()
    assert "".join(result.text[i] for i in first) == leading
    assert "".join(result.text[i] for i in last) == trailing
    for i in (*first, *last):  # each maps back to the one letter the commenter typed
        span = result.span(i, i + 1)
        assert original[span.start : span.end] == result.text[i]


@pytest.mark.parametrize(
    "text",
    [
        "i am a teacher",
        "a b",  # two letters are not a split word
        "а я в шоке",  # three Russian one-letter words
        "и с о",
        "version 1.2.3",
        "1 - 2 - 3",
        "plan b, c or d?",
        "see e.g. this",
        "u.s. army",
    ],
)
def test_ordinary_text_is_not_glued(text: str) -> None:
    assert normalize(text).text == text


def test_mixes_of_techniques() -> None:
    original = "Wage Ј.1.Н.@.Ԁ\u200b!!"
    result = normalize(original)
    assert result.text == "wage jihad!!"
    span = result.span(5, 10)
    assert original[span.start : span.end] == "Ј.1.Н.@.Ԁ\u200b"[:-1]


def test_version_is_a_string() -> None:
    assert isinstance(NORMALIZER_VERSION, str) and NORMALIZER_VERSION


def test_empty_text() -> None:
    result = normalize("")
    assert result.text == "" and result.span(0, 0) == result.span(0, 0)
    assert (result.span(0, 0).start, result.span(0, 0).end) == (0, 0)


def _check_offsets(original: str, result: NormalizedText) -> None:
    assert result.original == original
    assert len(result.starts) == len(result.ends) == len(result.text)
    previous = 0
    for start, end in zip(result.starts, result.ends, strict=True):
        assert 0 <= start < end <= len(original)
        assert start >= previous
        previous = start
    for i in range(len(result.text) + 1):
        for j in range(i, min(len(result.text), i + 4) + 1):
            span = result.span(i, j)
            assert 0 <= span.start <= span.end <= len(original)


ANY_CHARACTER = st.characters(exclude_categories=())  # lone surrogates included
OBFUSCATION_ALPHABET = st.sampled_from(
    [*"jihadкіаеоp@$!1|034 ._-", "\u200b", "\u202e", "\u0301", "ʝ", "Ｊ", "ﬁ", "ß", "\ud800"]
)


@settings(max_examples=300, deadline=None)
@given(st.text(ANY_CHARACTER, max_size=60))
def test_normalize_never_raises_and_spans_stay_inside(original: str) -> None:
    _check_offsets(original, normalize(original))


@settings(max_examples=300, deadline=None)
@given(st.text(OBFUSCATION_ALPHABET, max_size=40))
def test_spans_stay_inside_on_obfuscation_heavy_text(original: str) -> None:
    _check_offsets(original, normalize(original))


@settings(max_examples=100, deadline=None)
@given(st.text(ANY_CHARACTER, max_size=40))
def test_normalize_is_deterministic(original: str) -> None:
    assert normalize(original) == normalize(original)


@settings(max_examples=200, derandomize=True)
@given(st.text(max_size=SHORT_TEXT))
def test_short_values_from_the_cache_equal_a_fresh_normalisation(text: str) -> None:
    assert normalize(text) == normalize_uncached(text)
    assert normalize(text) == normalize_uncached(text)  # the second call is a cache hit
