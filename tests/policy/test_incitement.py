"""The incitement grammar: calls are held, reports, quotes, idioms and anger are not."""

from __future__ import annotations

import json
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderator.policy.incitement import IncitementMatcher
from moderator.policy.incitement_lexicon import load_lexicon
from moderator.text import normalize

RULES = Path(__file__).resolve().parents[2] / "rules" / "incitement"


@pytest.fixture(scope="module")
def matcher() -> IncitementMatcher:
    return IncitementMatcher([load_lexicon(RULES / lang, lang) for lang in ("en", "ru", "kk")])


def found(matcher: IncitementMatcher, text: str) -> list[tuple[str, str, str]]:
    """(code, lang, the words the span covers, as typed)."""
    normalized = normalize(text)
    out = []
    for hit in matcher.find(normalized.text):
        span = normalized.span(hit.start, hit.end)
        out.append((hit.code, hit.lang, text[span.start:span.end]))
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The three the issue says are accepted today.
        ("Убивайте полицейских и чиновников, Халифат вернется",
         [("violence", "ru", "Убивайте полицейских")]),
        ("Полицейлерді өлтіріңдер, үкіметті құлатамыз",
         [("violence", "kk", "Полицейлерді өлтіріңдер")]),
        ("Kill the police dogs...", [("violence", "en", "Kill the police")]),
        # Every inflection counts: pymorphy3 made the forms at load.
        ("Полицейских убивайте!", [("violence", "ru", "Полицейских убивайте")]),
        ("Давайте убьём судей", [("violence", "ru", "убьём судей")]),
        ("Надо повесить чиновников", [("violence", "ru", "повесить чиновников")]),
        ("Мы обязаны уничтожить отступников", [("violence", "ru", "уничтожить отступников")]),
        ("Расстрелять депутатов!", [("violence", "ru", "Расстрелять депутатов")]),
        ("Смерть неверным!", [("violence", "ru", "Смерть неверным")]),
        # Kazakh suffix rules: imperative, hortative, necessity, third person.
        ("Кәпірлерді жояйық", [("violence", "kk", "Кәпірлерді жояйық")]),
        ("Мұртадтарды өлтіру керек", [("violence", "kk", "Мұртадтарды өлтіру")]),
        ("Судьяларды өлтірсін", [("violence", "kk", "Судьяларды өлтірсін")]),
        ("Кәпірлерге өлім!", [("violence", "kk", "Кәпірлерге өлім")]),
        # English: clause start, let's, must.
        ("Let's kill all the cops", [("violence", "en", "kill all the cops")]),
        ("We must behead the apostates", [("violence", "en", "behead the apostates")]),
        ("Death to the infidels!", [("violence", "en", "Death to the infidels")]),
        # A verb violent only near its noun.
        ("Әскерилерге шабуыл жасаңдар", [("violence", "kk", "Әскерилерге шабуыл жасаңдар")]),
        ("Нанесите удар по полицейским", [("violence", "ru", "Нанесите удар по полицейским")]),
        ("Open fire on the police", [("violence", "en", "Open fire on the police")]),
        # Recruitment and glorification.
        ("Join the ranks of the mujahideen", [("recruitment", "en", "Join the ranks")]),
        ("Вступайте в ряды халифата", [("recruitment", "ru", "Вступайте в ряды")]),
        ("Халифат сапына қосылыңдар", [("recruitment", "kk", "сапына қосылыңдар")]),
        ("Make hijrah, brothers", [("recruitment", "en", "Make hijrah")]),
        ("He is a martyr in paradise", [("glorification", "en", "martyr in paradise")]),
        ("Слава шахидам!", [("glorification", "ru", "Слава шахидам")]),
        ("Шейіттер жұмақта", [("glorification", "kk", "Шейіттер жұмақта")]),
        # A group of several words, each inflected; the span runs to its last (first) word.
        ("Every true Muslim must join the Islamic State.",
         [("recruitment", "en", "join the Islamic State")]),
        ("Вступайте в Исламское государство!",
         [("recruitment", "ru", "Вступайте в Исламское государство")]),
        ("Ислам мемлекетіне қосылыңдар!",
         [("recruitment", "kk", "Ислам мемлекетіне қосылыңдар")]),
        # A base verb joined to an imperative that opens its clause.
        ("Brothers, take up arms and kill the unbelievers wherever you find them.",
         [("violence", "en", "kill the unbelievers")]),
        ("Let us rise up and slaughter the infidels",
         [("violence", "en", "slaughter the infidels")]),
        ("Burn the car and hang the officials", [("violence", "en", "hang the officials")]),
        # A blocker inside a quantifier ends no object.
        ("Every Muslim has to kill at least one crusader",
         [("violence", "en", "kill at least one crusader")]),
        ("Kill all of the cops", [("violence", "en", "Kill all of the cops")]),
        # Two "death to" clauses in one.
        ("Death to the police and death to the judges!",
         [("violence", "en", "Death to the police"), ("violence", "en", "death to the judges")]),
        # A reporting word in a relative clause after the hit describes the target.
        ("Time to execute the judges who jailed our brothers.",
         [("violence", "en", "execute the judges")]),
        ("Казните судей, которые осудили наших братьев.",
         [("violence", "ru", "Казните судей")]),
        # A martyr word and its praise across a relative clause.
        ("The shaheed who blew himself up at the checkpoint is in jannah now",
         [("glorification", "en",
           "shaheed who blew himself up at the checkpoint is in jannah")]),
        # Kazakh converb + auxiliary.
        ("Полицейлерді атып тастаңдар.", [("violence", "kk", "Полицейлерді атып тастаңдар")]),
    ],
)
def test_calls_are_found_with_spans_into_the_typed_text(
        matcher: IncitementMatcher, text: str, expected: list[tuple[str, str, str]]) -> None:
    assert found(matcher, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Правильно, что их арестовали. Призывы к джихаду не имеют ничего общего с религией",
        # Quoted or reported: the same words.
        'He shouted "kill the police" and was arrested.',
        "He wrote 'kill the police' on the wall.",
        "The banner read “kill the police” in red letters.",
        "The cops' banner read 'kill the police' in red letters.",
        "„Убивайте полицейских“ — позор для города.",
        "Police say he urged followers to kill the police.",
        "Он кричал «Убивайте полицейских», пока его не задержали.",
        "Блогер заявил, что надо повесить чиновников.",
        "Ол «Полицейлерді өлтіріңдер» деп айқайлады.",
        "Ол мұртадтарды өлтіру керек деп жазды.",
        # Negated.
        "Don't kill the police.",
        "Не убивайте полицейских.",
        "Нельзя убивать полицейских.",
        "Мұртадтарды өлтіру керек емес.",
        "Террористер шейіт емес, оларға жұмақ жоқ.",
        "Those killers are no martyrs and will not see paradise.",
        # Not a calling form, or no target.
        "The police kill people in this country.",
        "An attack on police officers left two wounded.",
        "Убийственные цены, больше не пойду.",
        "Killer prices at the market.",
        "Kill the lights when you leave.",
        "Fire the police chief, open the files.",
        "Жасаңдар жақсы істер, полицейлерге рақмет.",
        "Смерть полицейского потрясла весь наш маленький город.",
        "The death of a police officer shocked the town.",
        # Joined verbs whose clause opens with a subject, a negation, or a report.
        "They take up arms and kill the unbelievers.",
        "The film follows rebels who take up arms and kill the unbelievers.",
        "Don't take up arms and kill the police.",
        "Police say militants take up arms and kill unbelievers.",
        "Take the bus and kill some time in the old town.",
        # A relative clause before the call does not lift the report.
        "The man who posted that we must kill the cops was arrested.",
        # A blocker as the last word (an unblocking phrase would run past the end).
        "Kill time at",
        "kill the at",
        "He was arrested after writing that we should burn down the police station.",
        # Half a group phrase is no group; a report of joining is no call.
        "Join the Islamic Society of Boston for dinner.",
        "He wanted to join the Islamic State in 2014.",
        "Join the state police academy.",
    ],
)
def test_reports_quotes_negations_and_idioms_are_left_alone(
        matcher: IncitementMatcher, text: str) -> None:
    assert found(matcher, text) == []


def test_a_comment_without_trigger_words_stops_at_the_set_look_up(
        matcher: IncitementMatcher) -> None:
    assert matcher.find("police officials judges government " * 40) == []
    assert matcher.languages == ("en", "ru", "kk")


def test_a_quote_closed_before_the_call_does_not_cover_it(matcher: IncitementMatcher) -> None:
    text = "He said “enough”. Kill the police!"
    assert [h.code for h in matcher.find(normalize(text).text)] == ["violence"]
    assert found(matcher, "Don't wait, 'brothers'. Kill the police!") == [
        ("violence", "en", "Kill the police")]


def test_glued_punctuation_does_not_hide_a_call(matcher: IncitementMatcher) -> None:
    assert [h.code for h in matcher.find(normalize("kill,the,police!!!").text)] == ["violence"]


_TRIGGERISH = st.sampled_from(["kill", "killer", "skill", "kills", "убейте", "убей", "убейтех",
                                "өлтіріңдер", "өлтір", "join", "death", "_kill", "kill_", "5kill",
                                "martyrs", "shahidka", "шахидка", "шахид", "ашахид", "shuhada",
                                "shuhadas", "шейіттер"])


# Characters of one to four UTF-8 bytes: the automaton reads UTF-8, and each match's
# offsets must come back in characters.
@given(st.lists(_TRIGGERISH | st.text(alphabet="abkilуб ейт_.,!?«»—'\"\n5😀é",
                                      max_size=8),
                max_size=40).map(" ".join)
       | st.text(alphabet=string.printable, max_size=200))
def test_the_automaton_finds_the_trigger_words_the_regex_split_finds(
        matcher: IncitementMatcher, text: str) -> None:
    triggers = set(matcher._trigger_words)
    words = [(m.start(), m.group()) for m in re.finditer(r"\w+", text) if m.group() in triggers]
    positions, found = matcher._trigger_positions(text)
    assert positions == [start for start, _ in words]
    assert found == {word for _, word in words}
    # With the martyr stems: every word that starts with one, and which stems.
    stems = matcher._stems
    starts = [(m.start(), m.group()) for m in re.finditer(r"\w+", text)
              if m.group() in triggers or m.group().startswith(stems)]
    positions, found, stems_found = matcher._scan(text)
    assert positions == [start for start, _ in starts]
    assert stems_found == {s for _, word in starts for s in stems if word.startswith(s)}


def test_a_lexicon_outside_the_code_page_is_searched_as_text_with_the_same_hits(
        matcher: IncitementMatcher, monkeypatch: pytest.MonkeyPatch) -> None:
    """The automaton reads a byte per character where Kazakh's code page holds every
    pattern; where it does not (here: a code page of ASCII alone), the str search."""
    from moderator.policy import incitement

    assert matcher._encoding == "kz1048"
    monkeypatch.setattr(incitement, "_HAYSTACK", "ascii")
    wide = IncitementMatcher(matcher.lexicons)
    assert wide._encoding is None
    texts = ["Kill the police! 😀 Убивайте полицейских, é Полицейлерді өлтіріңдер!",
             "ΑΒΓ 中文 kill,the,police!!! Шахидтер жәннатта. Смерть неверным!",
             "Join the ranks of the mujahideen, brothers. Вступайте в ряды!"]
    for text in texts:
        normalized = normalize(text).text
        assert wide._scan(normalized) == matcher._scan(normalized)
        assert wide.find(normalized) == matcher.find(normalized)
        assert matcher.find(normalized)


#: Many trigger words before a call, in several kinds: which sentences are walked must not
#: depend on the order a set gives (Python's hash seed).
_MANY_TRIGGERS = ("Kill time, attack the problem, burn calories. " * 30
                  + "Shoot the police. Убейте время. Убивайте полицейских!")
_FIND_IN_SUBPROCESS = """
import json, sys
from pathlib import Path
from moderator.policy.incitement import IncitementMatcher
from moderator.policy.incitement_lexicon import load_lexicon
from moderator.text import normalize
rules = Path(sys.argv[1])
matcher = IncitementMatcher([load_lexicon(rules / lang, lang) for lang in ("en", "ru", "kk")])
hits = matcher.find(normalize(sys.argv[2]).text)
print(json.dumps([[h.code, h.start, h.end, h.trigger, h.partner] for h in hits]))
"""


def test_findings_do_not_depend_on_the_hash_seed(matcher: IncitementMatcher) -> None:
    runs = []
    for seed in ("1", "3"):  # two seeds that ordered the trigger set differently
        done = subprocess.run(
            [sys.executable, "-c", _FIND_IN_SUBPROCESS, str(RULES), _MANY_TRIGGERS],
            capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": seed})
        runs.append(json.loads(done.stdout))
    assert all(run == runs[0] for run in runs[1:])
    assert [(code, trigger, partner) for code, _, _, trigger, partner in runs[0]] == [
        ("violence", "shoot", "police"), ("violence", "убивайте", "полицейских")]
