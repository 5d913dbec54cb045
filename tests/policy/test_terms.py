"""The word/phrase matcher: a table per obfuscation technique (entry and exact original span),
the Scunthorpe table, Russian and Kazakh inflections, word-list loading, properties."""

from __future__ import annotations

from pathlib import Path

import pytest
import regex
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from moderator.errors import PolicyError
from moderator.policy.readings import letter_class
from moderator.policy.terms import (
    MAX_ENTRIES_PER_RULE,
    MAX_WORDLIST_BYTES,
    TermMatch,
    TermMatcher,
    load_wordlist,
)
from moderator.text import normalize

WORDLISTS = Path(__file__).resolve().parents[2] / "rules" / "wordlists"
ENTRIES = ["jihad", "kill", "join the caliphate", "террорист*", "лаңкес*", "кәпірлерге өлім",
           "убей неверных", "присоединяйтесь к халифату", "1488"]
MATCHER = TermMatcher.from_entries(ENTRIES, source="test")


def hits(text: str, matcher: TermMatcher = MATCHER) -> list[tuple[str, str, tuple[int, int]]]:
    """(entry, original text of the hit, original span) for every match."""
    normalized = normalize(text)
    out = []
    for match in matcher.find(normalized, timeout=1.0):
        span = normalized.span(match.start, match.end)
        out.append((match.entry, text[span.start : span.end], (span.start, span.end)))
    return out


def assert_hit(text: str, entry: str, hit: str) -> None:
    """Exactly one match, of `entry`, covering exactly `hit` where it stands in `text`."""
    start = text.index(hit)
    assert hits(text) == [(entry, hit, (start, start + len(hit)))]


TECHNIQUES = {
    "plain": [("we wage jihad now", "jihad"), ("KILL them", "KILL")],
    "nfkc": [("ＪＩＨＡＤ!", "ＪＩＨＡＤ"), ("𝐤𝐢𝐥𝐥 them", "𝐤𝐢𝐥𝐥")],
    "invisible": [("ji\u200bhad", "ji\u200bhad"), ("k\u200di\u00adll", "k\u200di\u00adll"),
                  ("say \u202ejihad\u202c.", "jihad"), ("ji\u2060h\ufeffad", "ji\u2060h\ufeffad")],
    "confusables": [("jіhad", "jіhad"), ("јihаd", "јihаd"), ("ʝihad", "ʝihad"),
                    ("jihαd", "jihαd"), ("кill", "кill"), ("јіһаԁ", "јіһаԁ")],
    "leetspeak": [("jih@d", "jih@d"), ("j1had", "j1had"), ("j!had", "j!had"),
                  ("k1ll", "k1ll"), ("ki11", "ki11"), ("k!ll", "k!ll"), ("ki|l", "ki|l")],
    "repeats": [("jiiiiihaaaad", "jiiiiihaaaad"), ("kiiiilllll", "kiiiilllll"),
                ("jjjihad", "jjjihad"), ("jiihad", "jiihad"), ("kkkiiilll", "kkkiiilll")],
    "split": [("say j i h a d", "j i h a d"), ("j.i.h.a.d!", "j.i.h.a.d"),
              ("j-i-h-a-d", "j-i-h-a-d"), ("j_i_h_a_d", "j_i_h_a_d"),
              ("j. i. h. a. d", "j. i. h. a. d"), ("k i l l them", "k i l l")],
    "separators": [("#jihad", "jihad"), ("_jihad_", "jihad"), ("(jihad)", "jihad")],
    "mixes": [("J.1.Н.@.D", "J.1.Н.@.D"), ("ј ı һ @ ԁ", "ј ı һ @ ԁ"),
              ("K\u200bI\u200b1\u200bL", "K\u200bI\u200b1\u200bL"),
              ("ｊｉｉｉｈ＠ｄ", "ｊｉｉｉｈ＠ｄ")],
}


@pytest.mark.parametrize(
    ("text", "hit"),
    [pytest.param(text, hit, id=f"{name}-{i}")
     for name, cases in TECHNIQUES.items() for i, (text, hit) in enumerate(cases)],
)
def test_each_technique_is_caught_with_the_exact_span(text: str, hit: str) -> None:
    entry = "kill" if normalize(hit).text.replace(" ", "").startswith("k") else "jihad"
    assert_hit(text, entry, hit)


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("join the caliphate", "join the caliphate"),
        ("Join  the,caliphate", "Join  the,caliphate"),
        ("JOIN...THE --- CALIPHATE!", "JOIN...THE --- CALIPHATE"),
        ("join\nthe\ncaliphate", "join\nthe\ncaliphate"),
        ("j0in th3 c@liphate", "j0in th3 c@liphate"),
        ("please join the caliphaaaate.", "join the caliphaaaate"),
        ("#JoinTheCaliphate", "JoinTheCaliphate"),
        ("j o i n t h e c a l i p h a t e", "j o i n t h e c a l i p h a t e"),
    ],
)
def test_phrases_tolerate_punctuation_and_spaces(text: str, hit: str) -> None:
    assert_hit(text, "join the caliphate", hit)


@pytest.mark.parametrize(
    "text",
    ["join caliphate", "join the new caliphate", "the caliphate", "rejointhecaliphate"],
)
def test_phrases_need_their_words(text: str) -> None:
    assert hits(text) == []


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("они террористы", "террористы"),
        ("Террористов задержали", "Террористов"),
        ("о террористах", "террористах"),
        ("террорист", "террорист"),
        ("ТЕРРОРИСТАМИ", "ТЕРРОРИСТАМИ"),
        ("тeррористы", "тeррористы"),  # Latin e
        ("т е р р о р и с т ы", "т е р р о р и с т ы"),
        ("т3ррористы", "т3ррористы"),
        ("т.е.р.р.о.р.и.с.т", "т.е.р.р.о.р.и.с.т"),
        ("террооооористы", "террооооористы"),
        ("тер\u200bрористы", "тер\u200bрористы"),
        ("т3рр0рис7ы", "т3рр0рис7ы"),  # 7 is т
        ("тeррорисстттыыыы", "тeррорисстттыыыы"),
    ],
)
def test_russian_stems(text: str, hit: str) -> None:
    assert_hit(text, "террорист*", hit)


@pytest.mark.parametrize(
    ("text", "entry", "hit"),
    [
        ("олар лаңкестер", "лаңкес*", "лаңкестер"),
        ("лаңкестерге қарсы", "лаңкес*", "лаңкестерге"),
        ("ЛАҢКЕСТІК", "лаңкес*", "ЛАҢКЕСТІК"),
        ("л а ң к е с т е р", "лаңкес*", "л а ң к е с т е р"),
        ("лаңкeстер", "лаңкес*", "лаңкeстер"),  # Latin e
        ("Кәпірлерге өлім!", "кәпірлерге өлім", "Кәпірлерге өлім"),
        ("кәпірлерге,  өлім", "кәпірлерге өлім", "кәпірлерге,  өлім"),
        ("убей неверных", "убей неверных", "убей неверных"),
        ("Убей... неверных", "убей неверных", "Убей... неверных"),
        ("присоединяйтесь k халифату", "присоединяйтесь к халифату",
         "присоединяйтесь k халифату"),  # Latin k for the preposition к
        # 4 is ч or а: the normaliser writes ч, the matcher accepts either.
        ("присоединяйтесь к х4лиф4ту", "присоединяйтесь к халифату",
         "присоединяйтесь к х4лиф4ту"),
        ("прис0единяй7есь к халифату!", "присоединяйтесь к халифату",
         "прис0единяй7есь к халифату"),
        ("прис0единяйтесь k х@лиф@tу", "присоединяйтесь к халифату",
         "прис0единяйтесь k х@лиф@tу"),
        ("присоединяйтесь к халииифааату", "присоединяйтесь к халифату",
         "присоединяйтесь к халииифааату"),
    ],
)
def test_kazakh_and_russian_phrases_and_stems(text: str, entry: str, hit: str) -> None:
    assert_hit(text, entry, hit)


GLUED = TermMatcher.from_entries(
    ["смерть неверным", "вступай* в игил", "убили", "жид", "жида", "жиду", "жидам", "жидами",
     "kill all jews"], source="glued")


@pytest.mark.parametrize(
    ("text", "entry", "hit"),
    [
        # A one-letter word after a split phrase is glued on by the joiner; read apart first.
        ("я говорю с м е р т ь н е в е р н ы м и точка", "смерть неверным",
         "с м е р т ь н е в е р н ы м"),
        ("с_м_е_р_т_ь н_е_в_е_р_н_ы_м и точка", "смерть неверным",
         "с_м_е_р_т_ь н_е_в_е_р_н_ы_м"),
        ("с_м_е_р_т_ь_н_е_в_е_р_н_ы_м_и точка", "смерть неверным",
         "с_м_е_р_т_ь_н_е_в_е_р_н_ы_м"),
        ("и с м е р т ь н е в е р н ы м", "смерть неверным", "с м е р т ь н е в е р н ы м"),
        ("и с м е р т ь н е в е р н ы м и всё", "смерть неверным",
         "с м е р т ь н е в е р н ы м"),
        ("k i l l a l l j e w s i swear", "kill all jews", "k i l l a l l j e w s"),
        ("ж и д а м и точка", "жидам", "ж и д а м"),
        # A stem inside a phrase, glued to the next word: it gives letters back.
        ("в с т у п а й в и г и л и точка", "вступай* в игил", "в с т у п а й в и г и л"),
        ("в с т у п а й т е в и г и л", "вступай* в игил", "в с т у п а й т е в и г и л"),
        ("вступайтевигил", "вступай* в игил", "вступайтевигил"),
        # Real endings stay: nothing shorter is listed, or no word follows, or not spaced.
        ("они у б и л и его", "убили", "у б и л и"),
        ("ж и д а м и.", "жидами", "ж и д а м и"),
        ("ж и д у.", "жиду", "ж и д у"),
        ("ж.и.д.а и точка", "жида", "ж.и.д.а"),
        ("ж-и-д-у и точка", "жиду", "ж-и-д-у"),
    ],
)
def test_one_letter_words_glued_onto_split_words(text: str, entry: str, hit: str) -> None:
    start = text.index(hit)
    assert hits(text, GLUED) == [(entry, hit, (start, start + len(hit)))]


@pytest.mark.parametrize(
    "text",
    ["ибей", "смертьневерными", "убил и", "и жидкость", "а я в шоке", "жидкий и", "с жидом"],
)
def test_unsplit_words_get_no_one_letter_reading(text: str) -> None:
    assert normalize(text).glued_letters() == ((), ())
    assert hits(text, GLUED) == []


SCUNTHORPE_ENTRIES = ["ass", "kill", "cunt", "sex", "rape", "cock", "nazi", "spic", "jihad",
                      "жид", "хач", "бля", "хуй", "бей", "қан", "өлтір", "ит", "террор"]
SCUNTHORPE = [
    "classic", "assassin", "Scunthorpe", "skill", "bass", "Essex", "grape", "therapist",
    "cocktail", "spicy", "passage", "killer whale's skills", "nazireth", "jihadist",
    "cl@ssic", "sk1ll", "b@ss", "CLASSIC", "Sussex", "embassy",
    "жидкость", "хачапури", "употреблять", "корабля", "застрахуй", "бейсбол", "голубей",
    "террорист", "терроризм",
    "бейбітшілік", "қант", "қанша", "өлтірілді", "итбалық", "китап", "ақиқат",
]


@pytest.mark.parametrize("text", SCUNTHORPE)
def test_scunthorpe_words_never_match(text: str) -> None:
    assert hits(text, TermMatcher.from_entries(SCUNTHORPE_ENTRIES, source="scunthorpe")) == []


@pytest.mark.parametrize("text", SCUNTHORPE)
def test_scunthorpe_words_never_match_the_shipped_lists(text: str) -> None:
    assert hits(text, shipped()) == []


def shipped() -> TermMatcher:
    entries = [entry for path in sorted(WORDLISTS.glob("*/*.txt")) for entry in load_wordlist(path)]
    return TermMatcher.from_entries(entries, source="shipped")


@pytest.mark.parametrize("path", sorted(WORDLISTS.glob("*/*.txt")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_lists_load_and_every_entry_matches_itself(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith("#")
    entries = load_wordlist(path)
    assert entries
    matcher = TermMatcher.from_entries(entries, source=str(path))
    for entry in entries:
        written = entry.replace("*", "")
        found = matcher.find(normalize(f"« {written} »"), timeout=1.0)
        assert found, entry


def test_shipped_lists_cover_the_three_languages() -> None:
    names = {f"{p.parent.name}/{p.name}" for p in WORDLISTS.glob("*/*.txt")}
    assert names >= {f"{lang}/{kind}.txt" for lang in ("en", "ru", "kk")
                     for kind in ("banned", "suspect")}


def test_longer_entry_wins_and_matches_are_left_to_right() -> None:
    matcher = TermMatcher.from_entries(["jihad", "wage jihad", "kill"], source="t")
    text = normalize("kill and wage jihad, then jihad")
    assert matcher.find(text, timeout=1.0) == [
        TermMatch("kill", 0, 4), TermMatch("wage jihad", 9, 19), TermMatch("jihad", 26, 31),
    ]


def test_duplicates_and_equivalent_spellings_are_merged() -> None:
    matcher = TermMatcher.from_entries(["jihad", "JIHAD", " jihad ", "jih@d"], source="t")
    assert matcher.entries == ("jihad",)


def test_no_entries_matches_nothing() -> None:
    assert TermMatcher.from_entries([], source="t").find(normalize("jihad"), timeout=1.0) == []


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("!!!", "no letters"),
        ("a*", "shorter than 3"),
        ("*jihad", "'*'"),
        ("ji*had", "'*'"),
        ("jihad**", "'*'"),
        ("kill.*", "'*'"),
    ],
)
def test_bad_entries_are_policy_errors(entry: str, problem: str) -> None:
    with pytest.raises(PolicyError) as caught:
        TermMatcher.from_entries(["jihad", entry], source="rules/x.toml: terms[0]")
    assert caught.value.path == "rules/x.toml: terms[0]"
    assert caught.value.key == entry
    assert problem in caught.value.problem


@pytest.mark.parametrize(
    ("entry", "text", "hit"),
    [
        ("джихад", "джих4д", "джих4д"),  # 4 written for а
        ("джихад", "джихчд", "джихчд"),  # which the normaliser writes ч
        ("хач", "х4ч", "х4ч"),
        ("хач", "ха4", "ха4"),  # 4 written for ч
        ("джих4д", "джихад", "джихад"),  # an entry written in leetspeak reads 4 as а too
    ],
)
def test_four_is_a_or_che(entry: str, text: str, hit: str) -> None:
    matcher = TermMatcher.from_entries([entry], source="t")
    start = text.index(hit)
    assert hits(text, matcher) == [(entry, hit, (start, start + len(hit)))]


@pytest.mark.parametrize("text", ["хаа", "хаха", "хачапури", "чай", "ахах"])
def test_a_real_che_in_an_entry_is_not_read_as_a(text: str) -> None:
    assert hits(text, TermMatcher.from_entries(["хач", "ахач"], source="t")) == []


def test_stems_work_inside_phrases() -> None:
    matcher = TermMatcher.from_entries(["расов* войн*"], source="t")
    assert [m.entry for m in matcher.find(normalize("за расовую войну!"), timeout=1.0)] == [
        "расов* войн*"
    ]


def test_timeout_propagates() -> None:
    matcher = TermMatcher.from_entries(["jihad"], source="t")
    with pytest.raises(TimeoutError):
        matcher.find(normalize("word " * 100_000), timeout=1e-9)


def test_load_wordlist_skips_comments_and_blanks(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("\ufeff# what belongs here\n\njihad\n  join the caliphate  \n# x\nтеррорист*\n",
                    encoding="utf-8")
    assert load_wordlist(path) == ["jihad", "join the caliphate", "террорист*"]


def test_load_wordlist_names_the_line_of_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(b"# comment\njihad\nki\xffll\n")
    with pytest.raises(PolicyError) as caught:
        load_wordlist(path)
    assert (caught.value.path, caught.value.key, caught.value.problem) == (
        str(path), "line 3", "invalid UTF-8")


def test_load_wordlist_names_the_line_of_a_bad_entry(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("# comment\njihad\n\nkill.*\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_wordlist(path)
    assert (caught.value.path, caught.value.key) == (str(path), "line 4")


def numbered_words(count: int) -> list[str]:
    """Distinct letter-only words (digits would be read as leetspeak)."""
    letters = "abcdefghij"
    return ["w" + "".join(letters[int(d)] for d in f"{i:05d}") for i in range(count)]


def test_a_huge_word_list_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("\n".join(numbered_words(100_000)) + "\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_wordlist(path)
    assert caught.value.key == "(file)"
    assert f"at most {MAX_WORDLIST_BYTES} bytes" in caught.value.problem


def test_a_word_list_with_too_many_entries_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("\n".join(numbered_words(MAX_ENTRIES_PER_RULE + 1)), encoding="utf-8")
    assert path.stat().st_size <= MAX_WORDLIST_BYTES
    with pytest.raises(PolicyError) as caught:
        load_wordlist(path)
    assert caught.value.key == f"line {MAX_ENTRIES_PER_RULE + 1}"
    assert f"at most {MAX_ENTRIES_PER_RULE} entries" in caught.value.problem
    path.write_text("\n".join(numbered_words(MAX_ENTRIES_PER_RULE)), encoding="utf-8")
    assert len(load_wordlist(path)) == MAX_ENTRIES_PER_RULE


def test_a_matcher_refuses_more_entries_than_the_cap() -> None:
    with pytest.raises(PolicyError, match=f"at most {MAX_ENTRIES_PER_RULE}"):
        TermMatcher.from_entries(numbered_words(MAX_ENTRIES_PER_RULE + 1), source="t")


ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=60)
NEAR_MISSES = st.text(st.sampled_from([*"jihadkl1@!|. _-\u200bіаʝ", "\ud800"]), max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.one_of(ANY_TEXT, NEAR_MISSES))
def test_matches_always_map_inside_the_original(text: str) -> None:
    normalized = normalize(text)
    for match in MATCHER.find(normalized, timeout=5.0):
        assert 0 <= match.start < match.end <= len(normalized.text)
        span = normalized.span(match.start, match.end)
        assert 0 <= span.start < span.end <= len(text)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["ass", "kill", "sex", "жид", "қан", "бей", "террор"]),
       st.text(st.characters(categories=["L"]), min_size=1, max_size=5))
def test_a_letter_glued_on_either_side_prevents_a_match(entry: str, extra: str) -> None:
    # A glued copy of the entry's own edge letter (or of anything its class reads as that
    # letter: an i/l twin, a look-alike) reads as a doubled letter, which the matcher
    # tolerates on purpose (`killl`, `бейu`); any other letter blocks.
    matcher = TermMatcher.from_entries([entry], source="t")
    for text, edge, at in ((extra + entry, entry[0], len(extra) - 1),
                           (entry + extra, entry[-1], len(entry))):
        normalized = normalize(text)
        # The glued letter as normalised in context (`Tтеррор` folds its Latin T to т).
        glued_norm = "".join(ch for ch, a, b in zip(normalized.text, normalized.starts,
                                                     normalized.ends, strict=True) if a <= at < b)
        assume(glued_norm and glued_norm not in letter_class(edge))
        if regex.fullmatch(r"\p{L}+", normalized.text):  # still one word after normalising
            assert matcher.find(normalized, timeout=1.0) == []


def test_short_values_are_answered_from_the_cache_the_same_way() -> None:
    from moderator.policy import terms

    matcher = TermMatcher.from_entries(["jihad", "kill all"], source="test")
    name = normalize("J.i.h.a.d Warrior")
    first = matcher.find(name, timeout=1.0)
    assert [(h.entry, h.start, h.end) for h in first] == [("jihad", 0, 5)]
    assert matcher.find(normalize("J.i.h.a.d Warrior"), timeout=1.0) == first
    for i in range(terms.SHORT_CACHE_SIZE + 10):  # the cache stays bounded
        matcher.find(normalize(f"reader {i}"), timeout=1.0)
    assert len(matcher._short) == terms.SHORT_CACHE_SIZE
    assert matcher.find(normalize("J.i.h.a.d Warrior"), timeout=1.0) == first


def test_the_cache_tells_apart_two_normalisations_of_the_same_input() -> None:
    from moderator.text import NormalizedText

    matcher = TermMatcher.from_entries(["nigga"], source="test")
    typed = "niggga"
    plain = NormalizedText(typed, typed, tuple(range(6)), tuple(range(1, 7)))
    assert matcher.find(plain, timeout=1.0) == []  # three g's: not the entry as written
    assert [h.entry for h in matcher.find(normalize(typed), timeout=1.0)] == ["nigga"]


def banned() -> TermMatcher:
    entries = [entry for path in sorted(WORDLISTS.glob("*/banned.txt"))
               for entry in load_wordlist(path)]
    return TermMatcher.from_entries(entries, source="banned")


BANNED = banned()

# Issue 13 item 4: what an independent generator got past the matcher, one table per
# class of miss; (text, entry, the hit exactly as typed).
GAPS = {
    "digit-short-or-first": [
        ("kill 4ll jews", "kill all jews", "kill 4ll jews"),
        ("kill 7he jews!", "kill the jews", "kill 7he jews"),
        ("death t0 jews", "death to jews", "death t0 jews"),
        ("so k1ll 4ll mu5l1m5 now", "kill all muslims", "k1ll 4ll mu5l1m5"),
        ("$1eg heil", "sieg heil", "$1eg heil"),
        ("@ll: kill @ll jews", "kill all jews", "kill @ll jews"),
        ("d347h t0 7h3 j3w5", "death to the jews", "d347h t0 7h3 j3w5"),
        ("a 5pic", "spic", "5pic"),
        ("х4ч", "хач", "х4ч"),
        ("он 6ей жид0в", "бей жидов", "6ей жид0в"),
        ("хa4aм", "хачам", "хa4aм"),  # Latin leetspeak made `xaaam`, then `xam`
    ],
    "spaced-phrase": [
        ("d e a t h   t o   j e w s", "death to jews", "d e a t h   t o   j e w s"),
        ("d e a t h / t o / t h e / j e w s", "death to the jews",
         "d e a t h / t o / t h e / j e w s"),
        ("d-e-a-t-h . t-o , j-e-w-s", "death to jews", "d-e-a-t-h . t-o , j-e-w-s"),
        ("j o i n   i s i s", "join isis", "j o i n   i s i s"),
        ("х . 4 . ч и всё", "хач", "х . 4 . ч"),
    ],
    "lookalike-latin-for-cyrillic": [
        ("cmeptb heBepHым", "смерть неверным", "cmeptb heBepHым"),
        ("cmeptь\u200b hевepным", "смерть неверным", "cmeptь\u200b hевepным"),
        ("6eй жuдoв", "бей жидов", "6eй жuдoв"),
        ("y6e\u200bu HeBepHыx", "убей неверных", "y6e\u200bu HeBepHыx"),
        ("вcтynau в urил", "вступай* в игил", "вcтynau в urил"),
        ("xa4u", "хачи", "xa4u"),
    ],
    "lookalike-cyrillic-for-latin": [
        ("кіll аll jеwѕ", "kill all jews", "кіll аll jеwѕ"),
        ("Кі\u200dll тне jеwѕ", "kill the jews", "Кі\u200dll тне jеwѕ"),
        ("неіl нitlег", "heil hitler", "неіl нitlег"),
        ("гасе wаг поw", "race war now", "гасе wаг поw"),
    ],
    "dotted-russian": [
        ("с.м.е.р.т.ь н.е.в.е.р.н.ы.м", "смерть неверным", "с.м.е.р.т.ь н.е.в.е.р.н.ы.м"),
        ("с.м.е.р.т.ь. н.е.в.е.р.н.ы.м.", "смерть неверным", "с.м.е.р.т.ь. н.е.в.е.р.н.ы.м"),
        ("б.е.й.ж.и.д.о.в", "бей жидов", "б.е.й.ж.и.д.о.в"),
        ("у.б.е.й . н.е.в.е.р.н.ы.х", "убей неверных", "у.б.е.й . н.е.в.е.р.н.ы.х"),
    ],
}


@pytest.mark.parametrize(
    ("text", "entry", "hit"),
    [pytest.param(*case, id=f"{name}-{i}")
     for name, cases in GAPS.items() for i, case in enumerate(cases)],
)
def test_issue_13_gaps_are_caught_with_the_span_as_typed(text: str, entry: str, hit: str) -> None:
    start = text.index(hit)
    assert hits(text, BANNED) == [(entry, hit, (start, start + len(hit)))]


@pytest.mark.parametrize(
    "text",
    ["20g of sugar", "209", "5kg", "2069", "the 4ll", "7he", "x 4 4", "x44", "Nokia X44", "b52",
     "а я в шоке", "t o", "кіт", "хаа", "xaa", "нет", "сила", "kill 4 all", "mail hitler"],
)
def test_new_readings_leave_ordinary_text_alone(text: str) -> None:
    assert hits(text, shipped()) == []


def test_a_number_is_never_a_one_word_entry() -> None:
    matcher = TermMatcher.from_entries(["zog", "spic", "1488"], source="t")
    assert hits("20g 209 2og z09", matcher) == []
    assert [entry for entry, _, _ in hits("z0g 5pic 1488", matcher)] == ["zog", "spic", "1488"]
    assert hits("L07 l07", TermMatcher.from_entries(["lot"], source="t")) == []  # a typed L too


# A typed capital L is an l, never an i: case folding made `SPLC` (the Southern Poverty Law
# Center) the slur `spic`. `1` and a lower-case l stay i/l twins, and so does a capital I
# (what an l looks like: `aII`), also in capitals (`KIIL`).
@pytest.mark.parametrize("text", [
    "SPLC", "the SPLC says", "SPLCs", "S P L C", "S.P.L.C.", "ＳＰＬＣ", "𝐒𝐏𝐋𝐂", "кLке", "KLKE",
    "SIEG HELL", "HELL HITLER",  # nor for the i of a run of i and l (`heil`)
])
def test_a_typed_capital_l_never_stands_for_i(text: str) -> None:
    assert hits(text, BANNED) == []


@pytest.mark.parametrize(("text", "entry"), [
    ("sp1c", "spic"), ("5p1c", "spic"), ("SPIC", "spic"), ("spic", "spic"), ("SP1C", "spic"),
    ("SPICS", "spics"),
    ("SPlC", "spic"), ("KlKE", "kike"),  # a lower-case l for a capital I
    ("SIEG HEIL", "sieg heil"), ("SIEG HEIl", "sieg heil"), ("HEIL HITLER", "heil hitler"),
    ("KILL ALL JEWS", "kill all jews"), ("kiLL aLL jews", "kill all jews"),
    ("K1LL ALL JEWS", "kill all jews"), ("JOIN THE ISLAMIC STATE", "join the islamic state"),
    ("kill aII jews", "kill all jews"), ("KIIL AII JEWS", "kill all jews"),  # I for an l
])
def test_capital_l_still_stands_for_l_and_the_twins_stay(text: str, entry: str) -> None:
    assert hits(f"the {text} says", BANNED) == [(entry, text, (4, 4 + len(text)))]
