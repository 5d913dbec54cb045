"""One language's incitement data (`rules/incitement/<lang>/`), read and expanded at load.

A site edits plain files: `grammar.toml` (which grammar makes the forms, the window, and the
small closed classes: calling words, negations, necessity and "death" words, blockers) and
one word list per open class, one entry per line, `#` for comments, `stem*` for a prefix:

    violence.txt   verbs of violence (lemmas; the grammar makes the calling forms), and
                   "noun verb" pairs for a verb that is violent only beside its noun
                   (`шабуыл жаса`: make an attack; the noun may stand on either side)
    targets.txt    who is attacked: police, officials, judges, "infidels", groups
    join.txt       verbs of joining (join, вступить, қосыл)
    groups.txt     what is joined: the caliphate, "the ranks", hijrah; in these two lists
                   an entry of several words is a phrase ("islamic state", each word
                   inflected by the grammar, each may be a `stem*`)
    martyrs.txt    martyr, шахид, шейіт
    praise.txt     paradise, glory, hero
    reporting.txt  said, заявил, деп: a sentence with one is reported speech

Every problem is a `PolicyError` naming the file and the line or key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from moderator.errors import PolicyError
from moderator.policy.incitement_forms import GRAMMARS, Form, fold, noun_forms, verb_forms

LISTS = ("violence", "targets", "join", "groups", "martyrs", "praise", "reporting")
_MAX_LIST_BYTES = 64 * 1024
_MAX_WINDOW = 8
#: A martyr word's praise may stand past a relative clause: a wider window.
_MAX_PRAISE_REACH = 12
_MIN_STEM = 3
#: Words in a phrase entry of targets.txt or groups.txt ("the islamic state of iraq").
_MAX_PHRASE = 5
Phrase = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WordSet:
    """Whole words (every form) and stems; a membership test is one set look-up or prefix test.

    `phrases` are the entries of several words ("islamic state", "ислам мемлекет*"), each
    word a set of its own; a phrase is looked for only where a partner may stand
    (`reach`), never in the whole comment."""

    words: frozenset[str]
    stems: tuple[str, ...]
    phrases: tuple[tuple[WordSet, ...], ...] = ()

    def has(self, word: str) -> bool:
        return word in self.words or (bool(self.stems) and word.startswith(self.stems))

    def reach(self, words: list[str], k: int, forward: bool) -> int | None:
        """The far end of a match at `k`: `k` for one word, else the last (`forward`) or first
        word of a phrase that starts (`forward`) or ends at `k`; None if none is there."""
        if self.has(words[k]):
            return k
        for phrase in self.phrases:
            start = k if forward else k - len(phrase) + 1
            if start >= 0 and start + len(phrase) <= len(words) and all(
                    part.has(word) for part, word in zip(phrase, words[start:], strict=False)):
                return start + len(phrase) - 1 if forward else start
        return None


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Everything the matcher needs for one language, in the shape it looks things up in."""

    lang: str
    grammar: str
    #: Tokens a target may stand before / after the verb (Kazakh puts the object first).
    before: int
    after: int
    violence: dict[str, Form]
    #: A verb form -> (its form, the nouns that make it violent when next to it).
    light: dict[str, tuple[Form, WordSet]]
    join: dict[str, Form]
    targets: WordSet
    groups: WordSet
    martyrs: WordSet
    praise: WordSet
    reporting: WordSet
    #: Phrases keyed by their last word, so a position costs one dict look-up.
    calling: dict[str, tuple[Phrase, ...]]
    negation_before: dict[str, tuple[Phrase, ...]]
    negation_after: frozenset[str]
    necessity: WordSet
    death: frozenset[str]
    #: Words that end the object of a verb (`attack on police` is a noun phrase, not a call).
    blockers: frozenset[str]
    #: "take up arms *and* kill": a base verb after one of these (keyed by last word) is a
    #: call when its clause opens with one of `openers` (an imperative by its place).
    coordinators: dict[str, tuple[Phrase, ...]]
    openers: frozenset[str]
    #: Phrases that hold a blocker but end no object: "kill *at least* one", "all *of* the".
    unblocking: dict[str, tuple[Phrase, ...]]
    #: "Execute the judges *who jailed* our brothers": a reporting word right after one of
    #: these, past the hit, describes the target and does not make the sentence a report.
    relative: frozenset[str]
    #: How far from a martyr word its praise word may stand (a relative clause between).
    praise_reach: int
    #: What the matcher looks for in every comment: these words, or these substrings.
    triggers: frozenset[str]
    trigger_stems: tuple[str, ...]


#: The lexicon last built per folder, with its files' sizes and times: expanding Russian
#: lemmas takes a good part of a second, and every site's policy (and every HUP) asks again.
#: One entry per folder, so edits do not pile up old lexicons.
_CACHE: dict[tuple[str, str], tuple[tuple[tuple[str, int, int], ...], Lexicon]] = {}


def load_lexicon(folder: Path, lang: str) -> Lexicon:
    """Read `folder` (one language), or reuse it if no file changed; errors name the file."""
    folder = Path(folder).resolve()
    signature = tuple(
        (p.name, st.st_size, st.st_mtime_ns)
        for p in sorted(folder.glob("*")) if p.is_file() for st in (p.stat(),)
    )
    cached = _CACHE.get((str(folder), lang))
    if cached is not None and cached[0] == signature:
        return cached[1]
    lexicon = _build(folder, lang)
    _CACHE[(str(folder), lang)] = (signature, lexicon)
    return lexicon


def _build(folder: Path, lang: str) -> Lexicon:
    grammar_file = folder / "grammar.toml"
    try:
        data = tomllib.loads(grammar_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(str(grammar_file), "(file)", f"cannot be read: {exc.strerror}") from exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(str(grammar_file), "(file)", f"is not valid TOML: {exc}") from exc
    settings = _Settings(data, grammar_file)
    grammar = settings.choice("grammar", GRAMMARS)
    before = settings.window("before")
    after = settings.window("after")
    lists = {name: folder / f"{name}.txt" for name in LISTS}
    violence, light = _violence(grammar, lists["violence"])
    join = _verbs(grammar, lists["join"])
    martyrs = _words(grammar, lists["martyrs"])
    death = frozenset(fold(w) for w in settings.words("death"))
    lexicon = Lexicon(
        lang=lang,
        grammar=grammar,
        before=before,
        after=after,
        violence=violence,
        light=light,
        join=join,
        targets=_words(grammar, lists["targets"], phrases=True),
        groups=_words(grammar, lists["groups"], phrases=True),
        martyrs=martyrs,
        praise=_words(grammar, lists["praise"]),
        reporting=_words(grammar, lists["reporting"]),
        calling=_by_last_word(settings.words("calling")),
        negation_before=_by_last_word(settings.words("negation_before")),
        negation_after=frozenset(fold(w) for w in settings.words("negation_after")),
        necessity=_word_set("listed", grammar_file, [(0, w) for w in settings.words("necessity")]),
        death=death,
        blockers=frozenset(fold(w) for w in settings.words("blockers")),
        coordinators=_by_last_word(settings.words("coordinators")),
        openers=frozenset(fold(w) for w in settings.words("openers")),
        unblocking=_by_last_word(settings.words("unblocking")),
        relative=frozenset(fold(w) for w in settings.words("relative")),
        praise_reach=settings.window("praise_reach", max(before, after) + 1, _MAX_PRAISE_REACH),
        triggers=frozenset(violence) | frozenset(light) | frozenset(join) | martyrs.words
        | death,
        trigger_stems=martyrs.stems,
    )
    settings.done()
    if not lexicon.violence and not lexicon.light:
        raise PolicyError(str(folder / "violence.txt"), "(file)", "lists no verbs")
    if not (lexicon.targets.words or lexicon.targets.stems or lexicon.targets.phrases):
        raise PolicyError(str(folder / "targets.txt"), "(file)", "lists no targets")
    return lexicon


class _Settings:
    """Typed reads from grammar.toml; unknown keys are errors, as in the policy file."""

    def __init__(self, data: dict[str, object], path: Path) -> None:
        self._data = dict(data)
        self._path = path

    def _error(self, key: str, problem: str) -> PolicyError:
        return PolicyError(str(self._path), key, problem)

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self._data.pop(key, None)
        if value not in allowed:
            raise self._error(key, f"must be one of {', '.join(allowed)}")
        return str(value)

    def window(self, key: str, default: int = 4, most: int = _MAX_WINDOW) -> int:
        value = self._data.pop(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= most:
            raise self._error(key, f"must be a whole number from 0 to {most}")
        return value

    def words(self, key: str) -> list[str]:
        value = self._data.pop(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            raise self._error(key, "must be a list of non-empty strings")
        return [v.strip() for v in value]

    def done(self) -> None:
        if self._data:
            raise self._error(sorted(self._data)[0], "is not a known setting")


def _read_list(path: Path) -> list[tuple[int, str]]:
    """(line number, entry) pairs; a missing list is an empty one."""
    if not path.is_file():
        return []
    size = path.stat().st_size
    if size > _MAX_LIST_BYTES:
        raise PolicyError(str(path), "(file)", f"is {size} bytes; at most {_MAX_LIST_BYTES}")
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(str(path), "(file)", "invalid UTF-8") from exc
    entries = []
    for number, line in enumerate(content.removeprefix("\ufeff").splitlines(), start=1):
        entry = line.strip()
        if entry and not entry.startswith("#"):
            entries.append((number, entry))
    return entries


def _violence(grammar: str, path: Path) -> tuple[dict[str, Form],
                                                dict[str, tuple[Form, WordSet]]]:
    """Single verbs, and "noun verb" pairs (the verb's forms, each with its nouns)."""
    entries = _read_list(path)
    single = [(n, e) for n, e in entries if len(e.partition("=")[0].split()) != 2]
    light: dict[str, tuple[Form, WordSet]] = {}
    for number, entry in entries:
        words = entry.partition("=")[0].split()
        if len(words) != 2:
            continue
        noun, verb = words
        nouns = _word_set(grammar, path, [(number, noun)])
        for form, kind in _verb_entries(grammar, path, [(number, verb)]).items():
            if form in light:
                old = light[form][1]
                nouns = WordSet(old.words | nouns.words, tuple(sorted({*old.stems, *nouns.stems})))
            light[form] = (kind, nouns)
    return _verb_entries(grammar, path, single), light


def _verbs(grammar: str, path: Path) -> dict[str, Form]:
    return _verb_entries(grammar, path, _read_list(path))


def _verb_entries(grammar: str, path: Path, entries: list[tuple[int, str]]) -> dict[str, Form]:
    forms: dict[str, Form] = {}
    for number, entry in entries:
        if "*" in entry or " " in entry.partition("=")[0].strip():
            raise PolicyError(str(path), f"line {number}", "a verb is one word, no '*': the "
                                                       "grammar makes its forms")
        try:
            made = verb_forms(grammar, entry)
        except ValueError as exc:
            raise PolicyError(str(path), f"line {number}", "a listed form is tagged imperative, "
                                                       "base or necessity") from exc
        for word, form in made.items():
            if forms.get(word) is not Form.IMPERATIVE:  # the strongest reading wins
                forms[word] = form
    return forms


def _words(grammar: str, path: Path, *, phrases: bool = False) -> WordSet:
    return _word_set(grammar, path, _read_list(path), phrases=phrases)


def _word_set(grammar: str, path: Path, entries: list[tuple[int, str]], *,
              phrases: bool = False) -> WordSet:
    """One word list; with `phrases`, an entry of several words is a phrase (every word
    takes its forms, and each may be a stem)."""
    words: set[str] = set()
    stems: set[str] = set()
    found: list[tuple[WordSet, ...]] = []
    for number, entry in entries:
        if phrases and len(entry.split()) > 1:
            if len(entry.split()) > _MAX_PHRASE:
                raise PolicyError(str(path), f"line {number}",
                                  f"a phrase has at most {_MAX_PHRASE} words")
            found.append(tuple(_word_set(grammar, path, [(number, part)])
                               for part in entry.split()))
        elif entry.endswith("*"):
            stem = fold(entry[:-1])
            if len(stem) < _MIN_STEM or "*" in stem or " " in stem:
                raise PolicyError(str(path), f"line {number}",
                                  f"a stem is one word of at least {_MIN_STEM} letters + '*'")
            stems.add(stem)
        elif "*" in entry or " " in entry:
            raise PolicyError(str(path), f"line {number}", "one word per line; '*' only at the end")
        else:
            words.update(noun_forms(grammar, entry))
    return WordSet(frozenset(words), tuple(sorted(stems)), tuple(found))


def _by_last_word(texts: list[str]) -> dict[str, tuple[Phrase, ...]]:
    out: dict[str, list[Phrase]] = {}
    for text in texts:
        phrase = _phrase(text)
        if phrase:
            out.setdefault(phrase[-1], []).append(phrase)
    return {last: tuple(phrases) for last, phrases in out.items()}


def _phrase(text: str) -> Phrase:
    return tuple(fold(text).replace("'", " ").replace("’", " ").split())
