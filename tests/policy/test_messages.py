"""Finding messages in the commenter's language: the policy's `[messages.<lang>]`, the
checker's own sentences, English when neither has one, and the default policy's set."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.errors import PolicyError
from moderator.paths import DEFAULT_POLICY_DIR
from moderator.policy import PolicySet, load_policy, run_policy
from moderator.policy.messages import BUILT_IN, localize, message_for
from moderator.policy.model import Policy
from moderator.types import Action, Comment, Finding

HEAD = ('[policy]\nsite = "news"\nversion = "1"\n\n'
        '[fields.comment]\nlabel = "Comment"\nrequired = true\nmax_length = 10\nmin_length = 3\n\n'
        '[fields.email]\nlabel = "Email"\ntype = "email"\nrequired = true\n\n'
        '[[terms]]\nname = "banned"\ncode = "banned"\nwords = ["scum"]\naction = "reject"\n'
        'message = "Not allowed here."\n\n'
        '[[patterns]]\nname = "card"\ncode = "personal_data.card"\nregex = \'\\d{4}-\\d{4}\'\n'
        'action = "review"\nmessage = "No card numbers."\n\n')
RU = ('[messages.ru]\nbanned = "Здесь так нельзя."\n"personal_data" = "Без личных данных."\n\n'
      '[messages.ru.labels]\ncomment = "Комментарий"\n')


def policy(tmp_path: Path, extra: str = RU) -> Policy:
    path = tmp_path / "news.toml"
    path.write_text(HEAD + extra, encoding="utf-8")
    return load_policy(path)


def messages(p: Policy, fields: dict[str, str], lang: object) -> list[tuple[str, str]]:
    verdict = localize(run_policy(Comment(fields, site="news"), p), p, lang)
    return [(f.code, f.message) for f in verdict.findings]


def test_english_and_unknown_languages_are_left_exactly_as_they_are(tmp_path: Path) -> None:
    p = policy(tmp_path)
    english = [("email.required", "Email is required."),
               ("comment.too_long", "Comment is 19 characters long; the limit is 10.")]
    fields = {"comment": "scum " * 3 + "1234", "email": ""}
    for lang in (None, "en", "en-GB", "de", "", 7, "../../etc"):
        assert messages(p, fields, lang) == english


def test_russian_by_code_family_label_and_the_checker_s_own_words(tmp_path: Path) -> None:
    p = policy(tmp_path)
    assert messages(p, {"comment": "scum 1234-5678", "email": "a@"}, "ru") == [
        ("comment.too_long", "«Комментарий»: 14 знаков, а можно не больше 10."),
        ("email.invalid", "«Email»: это не адрес электронной почты."),  # no ru label: as set
    ]
    assert messages(p, {"comment": "scum", "email": "a@b.kz"}, "RU") == [
        ("banned.word", "Здесь так нельзя.")]
    assert messages(p, {"comment": "1234-5678", "email": "a@b.kz"}, "ru-RU") == [
        ("personal_data.card", "Без личных данных.")]  # the family's message
    assert messages(p, {"comment": "ab", "email": ""}, "ru") == [
        ("email.required", "Поле «Email» обязательно."),
        ("comment.too_short", "«Комментарий»: нужно не меньше 3 знаков.")]


def test_kazakh_without_a_table_gets_the_checker_s_words_and_english_rule_messages(
        tmp_path: Path) -> None:
    p = policy(tmp_path)
    assert messages(p, {"comment": "scum", "email": ""}, "kk") == [
        ("email.required", "«Email» өрісін толтыру міндетті."),
        ("banned.word", "Not allowed here."),  # the policy has no Kazakh for it
    ]
    held = Finding("system.regex_timeout", "comment", Action.REVIEW,
                   "This comment is held for a moderator.")
    assert message_for(held, p, "kk") == BUILT_IN["kk"]["system"]


def test_a_language_only_the_policy_has(tmp_path: Path) -> None:
    p = policy(tmp_path, '[messages.de]\nbanned = "Nicht erlaubt."\n')
    assert messages(p, {"comment": "scum", "email": ""}, "de") == [
        ("email.required", "Email is required."), ("banned.word", "Nicht erlaubt.")]


@pytest.mark.parametrize(("extra", "key", "problem"), [
    ('[messages.en]\nbanned = "x"\n', "messages.en", "other than en"),
    ('[messages.russian]\nbanned = "x"\n', "messages.russian", "language code"),
    ('[messages.ru]\n"Banned!" = "x"\n', "messages.ru.Banned!", "not a finding code"),
    ('[messages.ru]\nbanned = ""\n', "messages.ru.banned", "1 to 500 characters"),
    ('[messages.ru]\nbanned = 3\n', "messages.ru.banned", "must be str"),
    ('[messages.ru.labels]\nnope = "x"\n', "messages.ru.labels.nope", "names no field"),
])
def test_refusals_name_the_key(tmp_path: Path, extra: str, key: str, problem: str) -> None:
    with pytest.raises(PolicyError) as caught:
        policy(tmp_path, extra)
    assert key in str(caught.value) and problem in str(caught.value)


def test_the_default_policy_says_each_of_its_rules_in_russian_and_kazakh() -> None:
    p = PolicySet.from_path(DEFAULT_POLICY_DIR).get("default")
    assert p.incitement is not None and p.links is not None and p.flood is not None
    findings = [Finding(f"{rule.code}.word", "comment", rule.action, rule.message)
                for rule in p.terms]
    findings += [Finding(rule.code, "comment", rule.action, rule.message) for rule in p.patterns]
    findings += [Finding(f"incitement.{code}", "comment", Action.REVIEW, p.incitement.message)
                 for code in p.incitement.actions]
    findings += [Finding("links.too_many", "comment", Action.REVIEW, p.links.message),
                 Finding("classifier.propaganda", "comment", Action.REVIEW,
                         p.classifier.message),
                 Finding("flood.repeat", "comment", Action.REVIEW, p.flood.repeat_message)]
    findings += [Finding(f"{name}.required", name, Action.REJECT, f"{spec.label} is required.")
                 for name, spec in p.fields.items()]
    for lang in ("ru", "kk"):
        for finding in findings:
            text = message_for(finding, p, lang)
            assert text != finding.message, (lang, finding.code)
            assert any("\u0400" <= ch <= "\u04ff" for ch in text), (lang, finding.code)
    assert message_for(findings[-1], p, "kk").startswith("«")
