"""A language folder is read whole at load; every mistake names the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.errors import PolicyError
from moderator.policy.incitement_forms import Form
from moderator.policy.incitement_lexicon import load_lexicon

GRAMMAR = 'grammar = "listed"\nbefore = 2\nafter = 2\ncalling = ["ajde"]\n'


def folder(tmp_path: Path, grammar: str = GRAMMAR, **lists: str) -> Path:
    path = tmp_path / "xx"
    path.mkdir(exist_ok=True)
    (path / "grammar.toml").write_text(grammar, encoding="utf-8")
    lists = {"violence": "ubijte\nubiti = base\n", "targets": "policiju\npolicaj*\n", **lists}
    for name, text in lists.items():
        (path / f"{name}.txt").write_text(text, encoding="utf-8")
    return path


def test_a_listed_language_is_what_the_site_wrote(tmp_path: Path) -> None:
    lexicon = load_lexicon(folder(tmp_path), "xx")
    assert lexicon.violence == {"ubijte": Form.IMPERATIVE, "ubiti": Form.BASE}
    assert lexicon.targets.has("policiju") and lexicon.targets.has("policajce")
    assert not lexicon.targets.has("policija")
    assert lexicon.calling == {"ajde": (("ajde",),)} and (lexicon.before, lexicon.after) == (2, 2)


def test_a_noun_verb_pair_is_violent_only_near_its_noun(tmp_path: Path) -> None:
    lexicon = load_lexicon(folder(tmp_path, violence="napad* izvršite\n"), "xx")
    assert lexicon.violence == {}
    form, nouns = lexicon.light["izvršite"]
    assert form is Form.IMPERATIVE and nouns.has("napade")
    assert "izvršite" in lexicon.triggers


def test_a_phrase_entry_matches_its_words_in_order_at_either_end(tmp_path: Path) -> None:
    lexicon = load_lexicon(folder(tmp_path, groups="islamska držav*\n"), "xx")
    groups = lexicon.groups
    words = ["u", "islamska", "državu", "idi"]
    assert groups.reach(words, 1, True) == 2  # starts at 1, runs to 2
    assert groups.reach(words, 2, False) == 1  # ends at 2, starts at 1
    assert groups.reach(words, 2, True) is None and groups.reach(words, 1, False) is None
    assert groups.reach(["islamska"], 0, True) is None  # the phrase runs past the end
    assert not groups.has("islamska")
    # A list of phrases alone is a list.
    assert load_lexicon(folder(tmp_path, targets="islamska država\n"), "xx").targets.phrases


def test_an_unchanged_folder_is_not_read_again(tmp_path: Path) -> None:
    path = folder(tmp_path)
    assert load_lexicon(path, "xx") is load_lexicon(path, "xx")
    (path / "targets.txt").write_text("vojnike\n", encoding="utf-8")
    assert load_lexicon(path, "xx").targets.has("vojnike")


@pytest.mark.parametrize(
    ("grammar", "lists", "file", "key", "problem"),
    [
        ('grammar = "tlh"\n', {}, "grammar.toml", "grammar", "must be one of"),
        (GRAMMAR + "after = 99\n", {}, "grammar.toml", "(file)", "not valid TOML"),
        ('grammar = "listed"\nafter = 99\n', {}, "grammar.toml", "after", "from 0 to 8"),
        ('grammar = "listed"\ncalling = "ajde"\n', {}, "grammar.toml", "calling",
         "list of non-empty strings"),
        ('grammar = "listed"\ncaling = []\n', {}, "grammar.toml", "caling", "not a known"),
        (GRAMMAR, {"violence": "# none\n"}, "violence.txt", "(file)", "lists no verbs"),
        (GRAMMAR, {"targets": ""}, "targets.txt", "(file)", "lists no targets"),
        (GRAMMAR, {"violence": "ubi*\n"}, "violence.txt", "line 1", "a verb is one word"),
        (GRAMMAR, {"violence": "ubij = never\n"}, "violence.txt", "line 1", "is tagged"),
        (GRAMMAR, {"targets": "# x\npo*\n"}, "targets.txt", "line 2", "at least 3 letters"),
        (GRAMMAR, {"praise": "two words\n"}, "praise.txt", "line 1", "one word per line"),
        (GRAMMAR, {"targets": "a b c d e f\n"}, "targets.txt", "line 1", "at most 5 words"),
        (GRAMMAR, {"groups": "big po*\n"}, "groups.txt", "line 1", "at least 3 letters"),
    ],
)
def test_mistakes_name_the_file_and_line(tmp_path: Path, grammar: str, lists: dict[str, str],
                                         file: str, key: str, problem: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_lexicon(folder(tmp_path, grammar, **lists), "xx")
    assert Path(info.value.path).name == file
    assert info.value.key == key
    assert problem in info.value.problem


def test_a_missing_grammar_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot be read"):
        load_lexicon(tmp_path / "nowhere", "xx")
