"""Word forms for the incitement rules, generated once at load so a comment costs set look-ups.

Each grammar turns a lexicon entry (a lemma or a stem, as a site writes it) into the
forms that matter, each tagged with what it is:

* ``en``: a verb's base form is the only calling form (imperative, "let's kill", "must
  kill"); a noun also matches with ``-s``/``-es``/``-ies``.
* ``ru``: pymorphy3 expands a lemma into its whole lexeme once; a verb keeps its
  imperative (``убейте``), its inclusive imperative / first-person plural (``убьём``)
  and its infinitive (``убить``); a noun keeps every case and number.
* ``kk``: suffix rules with vowel harmony: imperative ``-ңдар/-ңдер/-ыңдар/-іңдер``
  (and the polite ``-ңыз``, each also with the particle ``-шы/-ші``), hortative
  ``-айық/-ейік/-йық/-йік``, third-person ``-сын/-сін``, and the verbal noun in ``-у``
  that ``керек`` makes a necessity.
* ``listed``: for a language without a grammar here: every form is written out in the
  list, each line tagged (see the README's "Adding a language").

An entry ending in ``*`` is a stem: it matches any word that starts with it, in every grammar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import cache
from typing import Any


class Form(StrEnum):
    """What a verb form is, which decides when it is a call."""

    #: A call by itself: `убейте`, `өлтіріңдер`, `өлтірсін`.
    IMPERATIVE = "imperative"
    #: A call at the start of a clause or after a calling word: `убьём`, `kill`, `убить`.
    BASE = "base"
    #: A call when a necessity word follows: Kazakh `өлтіру керек`.
    NECESSITY = "necessity"


GRAMMARS = ("en", "ru", "kk", "listed")


def fold(word: str) -> str:
    """What the normaliser makes of a plain word: case folded, `ё` read as `е`."""
    return word.casefold().replace("ё", "е")


def verb_forms(grammar: str, entry: str) -> dict[str, Form]:
    """Every calling form of one verb entry."""
    return _VERBS[grammar](fold(entry))


def noun_forms(grammar: str, entry: str) -> set[str]:
    """Every form of one noun (or other word) entry; stems are handled by the caller."""
    return _NOUNS[grammar](fold(entry))


# -- English --------------------------------------------------------------------------

def _en_verb(entry: str) -> dict[str, Form]:
    return {entry: Form.BASE}


def _en_noun(entry: str) -> set[str]:
    forms = {entry, entry + "s"}
    if entry.endswith(("s", "x", "ch", "sh")):
        forms.add(entry + "es")
    if entry.endswith("y") and len(entry) > 2 and entry[-2] not in "aeiou":
        forms.add(entry[:-1] + "ies")
    return forms


# -- Russian (pymorphy3) ----------------------------------------------------------------

@cache
def _morph() -> Any:
    """The analyser, made once per process and only when a Russian lexicon loads."""
    import pymorphy3  # a load-time dependency only: comments are never analysed

    return pymorphy3.MorphAnalyzer()


def _ru_parses(entry: str, pos: Iterable[str]) -> list[Any]:
    wanted = set(pos)
    parses = [p for p in _morph().parse(entry) if p.tag.POS in wanted]
    return parses or _morph().parse(entry)[:1]


def _ru_verb(entry: str) -> dict[str, Form]:
    forms: dict[str, Form] = {}
    for parse in _ru_parses(entry, ("INFN", "VERB")):
        for form in parse.lexeme:
            word, tag = fold(form.word), form.tag
            if "impr" in tag and "excl" in tag:
                forms[word] = Form.IMPERATIVE
            elif ("impr" in tag and "incl" in tag) or tag.POS == "INFN":
                forms.setdefault(word, Form.BASE)
    forms.setdefault(entry, Form.BASE)
    return forms


def _ru_noun(entry: str) -> set[str]:
    forms = {entry}
    for parse in _ru_parses(entry, ("NOUN", "ADJF", "VERB", "INFN", "PRTF")):
        forms.update(fold(form.word) for form in parse.lexeme)
    return forms


# -- Kazakh (suffix rules) --------------------------------------------------------------

_BACK = set("аоұыуя")
_FRONT = set("әөүіеэию")
_VOWELS = _BACK | _FRONT
# A voiceless final consonant is voiced before a vowel: шап -> шабыңдар, соқ -> соғайық.
_VOICED = {"п": "б", "қ": "ғ", "к": "г"}


def _back(stem: str) -> bool:
    for ch in reversed(stem):
        if ch in _BACK:
            return True
        if ch in _FRONT:
            return False
    return True


def _before_vowel(stem: str) -> str:
    return stem[:-1] + _VOICED[stem[-1]] if stem[-1] in _VOICED else stem


def _kk_verb(stem: str) -> dict[str, Form]:
    back = _back(stem)
    vowel_final = stem[-1] in _VOWELS
    a, y = ("а", "ы") if back else ("е", "і")
    forms: dict[str, Form] = {}
    if len(stem) >= 5:  # the bare stem is the singular imperative; short ones are nouns too
        forms[stem] = Form.IMPERATIVE
    if vowel_final:
        plural = [stem + "ң" + ("дар" if back else "дер"), stem + "ң" + ("ыз" if back else "із")]
        hortative = [stem + ("йық" if back else "йік")]
    else:
        voiced = _before_vowel(stem)
        plural = [voiced + y + "ң" + ("дар" if back else "дер"), voiced + y + "ң" + y + "з"]
        hortative = [voiced + a + ("йық" if back else "йік")]
        if stem.endswith("й"):  # жой + айық is written жояйық
            hortative.append(stem[:-1] + ("яйық" if back else "ейік"))
    plural += [form + ("дар" if back else "дер") for form in plural if form.endswith("з")]
    # The softening particle: өлтіріңдерші, жойыңдаршы.
    plural += [form + ("шы" if back else "ші") for form in plural]
    for form in plural + hortative:
        forms[form] = Form.IMPERATIVE
    forms[stem + ("сын" if back else "сін")] = Form.IMPERATIVE
    for noun in _kk_verbal_nouns(stem, back):
        forms.setdefault(noun, Form.NECESSITY)
    return forms


def _kk_verbal_nouns(stem: str, back: bool) -> list[str]:
    """`-у` and its possessives (`өлтіруіміз керек`: we must kill)."""
    if stem.endswith("й"):
        base = stem[:-1] + "ю"
    elif stem[-1] in "ыі":
        base = stem[:-1] + "у"
    else:
        base = _before_vowel(stem) + "у"
    y = "ы" if back else "і"
    lar = "лар" if back else "лер"
    return [base, base + y + "мыз" if back else base + "іміз", base + y + "ң",
            base + y + "ңыз" if back else base + "іңіз", base + lar + "ың" if back
            else base + lar + "ің", base + lar + y]


def _kk_noun(entry: str) -> set[str]:
    return {entry}


# -- listed -----------------------------------------------------------------------------

def _listed_verb(entry: str) -> dict[str, Form]:
    """`word` or `word = imperative|base|necessity`: the site writes each form out."""
    word, _, kind = (part.strip() for part in entry.partition("="))
    return {word: Form(kind) if kind else Form.IMPERATIVE}


_VERBS: dict[str, Callable[[str], dict[str, Form]]] = {
    "en": _en_verb, "ru": _ru_verb, "kk": _kk_verb, "listed": _listed_verb}
_NOUNS: dict[str, Callable[[str], set[str]]] = {
    "en": _en_noun, "ru": _ru_noun, "kk": _kk_noun, "listed": _kk_noun}
