"""Policy files are validated on load; every error names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.errors import PolicyError, UnknownSiteError
from moderator.policy import PolicySet, load_policy
from moderator.types import Action

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "policies"

MINIMAL = """
[policy]
site = "s"
version = "1"

[fields.comment]
required = true
max_length = 10
"""


def write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / "policies" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_default_policy_mirrors_the_form() -> None:
    policy = load_policy(REPO / "rules" / "policies" / "default.toml")
    comment, name, email = (policy.fields[n] for n in ("comment", "name", "email"))
    assert (comment.required, comment.max_length) == (True, 1500)
    assert name.required and email.required and email.type == "email"
    assert policy.failure.on_regex_timeout is Action.REVIEW
    assert policy.classifier.enabled


def test_minimal_policy_loads_with_safe_failure_defaults(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, MINIMAL))
    assert policy.label == "s@1"
    assert policy.failure.on_regex_timeout is Action.REVIEW
    assert policy.failure.on_classifier_error is Action.REVIEW
    assert not policy.classifier.enabled


@pytest.mark.parametrize(
    ("extra", "key", "problem"),
    [
        ("[fields.name]\nrequired = 'yes'\n", "fields.name.required", "must be bool"),
        ("[fields.name]\nmax_length = -1\n", "fields.name.max_length", "must not be negative"),
        ("[fields.name]\ntype = 'phone'\n", "fields.name.type", "must be one of"),
        ("[fields.name]\nmaxlength = 5\n", "fields.name.maxlength", "is not a known setting"),
        ("[[terms]]\nname='t'\nwords=['x']\naction='delete'\nmessage='m'\n",
         "terms[0].action", "must be one of"),
        ("[[terms]]\nname='t'\naction='reject'\nmessage='m'\n", "terms[0].words",
         "lists no words"),
        ("[[terms]]\nname='t'\nwords=['x']\naction='reject'\nmessage='m'\nfields=['body']\n",
         "terms[0].fields", "unknown field 'body'"),
        ("[[terms]]\nname='t'\nwordlists=['en/nope']\naction='reject'\nmessage='m'\n",
         "terms[0].wordlists", "no file"),
        ("[[terms]]\nname='t'\nwordlists=['../../etc/passwd']\naction='reject'\nmessage='m'\n",
         "terms[0].wordlists", "outside the word-list folder"),
        ("[[patterns]]\nname='p'\nregex='(unclosed'\naction='review'\nmessage='m'\n",
         "patterns[0].regex", "does not compile"),
        ("[[patterns]]\nname='p'\nregex='^(a|a?)+$'\naction='review'\nmessage='m'\n",
         "patterns[0].regex", "catastrophic backtracking"),
        ("[[patterns]]\nname='p'\nregex='(x+x+)+y'\naction='review'\nmessage='m'\n",
         "patterns[0].regex", "catastrophic backtracking"),
        ("[[patterns]]\nname='p'\nregex='(a|aa)+$'\naction='review'\nmessage='m'\n",
         "patterns[0].regex", "catastrophic backtracking"),
        ("[[patterns]]\nname='p'\nregex='(\\w+)*\\d$'\naction='review'\nmessage='m'\n",
         "patterns[0].regex", "catastrophic backtracking"),
        # Built to dodge a fixed probe list: a letter no fixed probe repeats.
        ("[[patterns]]\nname='p'\nregex='(?:z|zz)+y'\naction='review'\nmessage='m'\n",
         "patterns[0].regex", "catastrophic backtracking"),
        # Built to dodge a fixed probe list: blows up only after a literal word.
        ("[[patterns]]\nname='p'\nregex='foo(?:a|aa)+y'\naction='review'\nmessage='m'\n",
         "patterns[0].regex", "catastrophic backtracking"),
        # Built to dodge a fixed probe list: matches at once, blows up on the next match.
        ("[[patterns]]\nname='p'\nregex='^a|(?:a|aa)+y'\naction='review'\nmessage='m'\n",
         "patterns[0].regex", "catastrophic backtracking"),
        # Built to dodge a fixed probe list: another letter, ending in a digit.
        ("[[patterns]]\nname='p'\nregex='(?:q|qq)+\\d'\naction='review'\nmessage='m'\n",
         "patterns[0].regex", "catastrophic backtracking"),
        ("[links]\nmax = -1\n", "links.max", "must not be negative"),
        ("[links]\nmax = 1\nemails = 'yes'\n", "links.emails", "must be"),
        ("[classifier]\nreview_threshold = 1.5\n", "classifier.review_threshold",
         "between 0 and 1"),
        ("[classifier]\nreview_threshold = 0.9\nreject_threshold = 0.5\n",
         "classifier.review_threshold", "greater than reject_threshold"),
        ("[failure]\non_regex_timeout = 'flag'\n", "failure.on_regex_timeout", "must be one of"),
        ("[failure]\non_classifier_error = 'accept'\n", "failure.on_classifier_error",
         "must be one of"),
        ("[failure]\nregex_timeout_ms = 0\n", "failure.regex_timeout_ms", "between 1 and 10000"),
        ("[surprise]\nx = 1\n", "surprise", "is not a known setting"),
    ],
)
def test_invalid_policy_names_file_and_key(tmp_path: Path, extra: str, key: str,
                                           problem: str) -> None:
    path = write(tmp_path, MINIMAL + extra)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert info.value.path == str(path)
    assert info.value.key == key
    assert problem in info.value.problem


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[policy\n", "(file)", "not valid TOML"),
        ("[fields.comment]\nrequired = true\n", "policy", "is required"),
        ('[policy]\nsite = "Bad Site"\nversion = "1"\n[fields.c]\n', "policy.site", "lower-case"),
        ('[policy]\nsite = "s\\n"\nversion = "1"\n[fields.c]\n', "policy.site", "lower-case"),
        ('[policy]\nsite = "s"\n[fields.c]\n', "policy.version", "is required"),
        ('[policy]\nsite = "s"\nversion = "1"\n', "fields", "is required"),
    ],
)
def test_broken_files(tmp_path: Path, text: str, key: str, problem: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, text))
    assert (info.value.key, problem in info.value.problem) == (key, True)


def test_invalid_utf8_policy(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_bytes(b"[policy]\nsite = '\xff'\n")
    with pytest.raises(PolicyError, match="not valid UTF-8"):
        load_policy(path)


def test_policy_set_picks_by_site_and_refuses_duplicates(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL, "a.toml")
    write(tmp_path, MINIMAL.replace('site = "s"', 'site = "t"'), "b.toml")
    policies = PolicySet.from_dir(tmp_path / "policies")
    assert policies.sites() == ["s", "t"]
    assert policies.get("t").site == "t"
    with pytest.raises(UnknownSiteError):
        policies.get("nope")
    write(tmp_path, MINIMAL, "c.toml")
    with pytest.raises(PolicyError, match=r"also in a\.toml"):
        PolicySet.from_dir(tmp_path / "policies")


def test_fixture_policy_loads() -> None:
    policy = load_policy(FIXTURES / "strict.toml")
    assert [t.name for t in policy.terms] == ["banned", "suspect", "noted"]
    assert policy.failure.on_regex_timeout is Action.REJECT


def test_word_lists_of_a_rule_are_capped_together(tmp_path: Path) -> None:
    from moderator.policy.terms import MAX_ENTRIES_PER_RULE

    lists = tmp_path / "wordlists" / "en"
    lists.mkdir(parents=True)
    half = MAX_ENTRIES_PER_RULE // 2 + 1
    letters = "abcdefghij"
    for name, offset in (("one", 0), ("two", half)):
        words = ["w" + "".join(letters[int(d)] for d in f"{i:05d}")
                 for i in range(offset, offset + half)]
        (lists / f"{name}.txt").write_text("\n".join(words), encoding="utf-8")
    path = write(tmp_path, MINIMAL + "[[terms]]\nname='t'\nwordlists=['en/one', 'en/two']\n"
                                     "action='reject'\nmessage='m'\n")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert info.value.key == "terms[0].wordlists"
    assert f"more than {MAX_ENTRIES_PER_RULE} entries" in info.value.problem


INCITEMENT_DIR = REPO / "rules" / "incitement"


def test_default_policy_holds_incitement_for_review() -> None:
    policy = load_policy(REPO / "rules" / "policies" / "default.toml")
    assert policy.incitement is not None
    assert policy.incitement.matcher.languages == ("en", "ru", "kk")
    assert set(policy.incitement.actions.values()) == {Action.REVIEW}
    assert policy.incitement.fields == ("comment",)


def test_incitement_action_per_code(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "[incitement]\nlanguages = ['ru']\naction = 'review'\n"
                                     "[incitement.actions]\nviolence = 'reject'\n")
    rule = load_policy(path, incitement_dir=INCITEMENT_DIR).incitement
    assert rule is not None and rule.matcher.languages == ("ru",)
    assert rule.actions == {"violence": Action.REJECT, "recruitment": Action.REVIEW,
                            "glorification": Action.REVIEW}


def test_disabled_incitement_is_no_rule(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "[incitement]\nenabled = false\n")
    assert load_policy(path, incitement_dir=INCITEMENT_DIR).incitement is None


@pytest.mark.parametrize(
    ("section", "key", "problem"),
    [
        ("enabled = 'yes'", "incitement.enabled", "must be bool"),
        ("action = 'ban'", "incitement.action", "must be one of"),
        ("languages = []", "incitement.languages", "at least one language"),
        ("languages = ['EN']", "incitement.languages", "not a language code"),
        ("languages = ['de']", "incitement.languages", "no de/grammar.toml"),
        ("languages = ['en', 'en']", "incitement.languages", "twice"),
        ("languages = 'en'", "incitement.languages", "must be list"),
        ("fields = ['title']", "incitement.fields", "unknown field"),
        ("fields = ['email']", "incitement.fields", "not a text field"),
        ("actions = { violence = 'jail' }", "incitement.actions.violence", "must be one of"),
        ("actions = { murder = 'reject' }", "incitement.actions.murder", "not a known setting"),
        ("lanugages = ['en']", "incitement.lanugages", "not a known setting"),
    ],
)
def test_bad_incitement_settings_are_load_errors(tmp_path: Path, section: str, key: str,
                                                 problem: str) -> None:
    extra = "[fields.email]\ntype = 'email'\n[incitement]\n" + section + "\n"
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, MINIMAL + extra), incitement_dir=INCITEMENT_DIR)
    assert info.value.key == key
    assert problem in info.value.problem
