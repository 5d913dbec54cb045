"""The commenter's words in Russian and Kazakh: finding messages by the request's language.

A finding's `message` is English (the policy's text, or the checker's own). A verdict
for a request whose `context.language` is `ru` or `kk` gets each message in that
language, found in this order:

1. the policy's `[messages.<lang>]` table, by the finding's code, then by its family
   (`banned.word` -> `banned`; `incitement.violence` -> `incitement`);
2. the checker's own words for the findings it makes itself (a required field, a length,
   an email address, a failure that holds the comment) and for its default texts
   (the classifier's and incitement's messages, when the policy kept them);
3. otherwise the English message, unchanged.

`[messages.<lang>.labels]` names the fields in that language (`comment = "Комментарий"`);
the checker's own sentences use them. An unknown language, or none, leaves the verdict
as it is, so English stays exactly what it always was.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import regex

from moderator.policy.tables import Table

if TYPE_CHECKING:
    from moderator.policy.model import FieldSpec, Policy
    from moderator.types import Finding, Verdict

#: The languages the checker has words of its own in (English is the policies' own).
LANGUAGES = ("ru", "kk")
_LANGUAGE_RE = regex.compile(r"[a-z]{2,3}")
_CODE_RE = regex.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")
MAX_MESSAGE = 500

#: The checker's own sentences, by the finding's last code part (or `system`).
BUILT_IN: dict[str, dict[str, str]] = {
    "ru": {
        "required": "Поле «{label}» обязательно.",
        "too_long": "«{label}»: {length} знаков, а можно не больше {limit}.",
        "too_short": "«{label}»: нужно не меньше {limit} знаков.",
        "invalid": "«{label}»: это не адрес электронной почты.",
        "system": "Этот комментарий передан модератору.",
    },
    "kk": {
        "required": "«{label}» өрісін толтыру міндетті.",
        "too_long": "«{label}»: {length} таңба, ең көбі {limit} болуы керек.",
        "too_short": "«{label}»: кемінде {limit} таңба болуы керек.",
        "invalid": "«{label}»: электрондық пошта мекенжайы қате.",
        "system": "Бұл пікір модераторға жіберілді.",
    },
}
_FIELD_CODES = ("required", "too_long", "too_short", "invalid")

#: The checker's default English texts (kept by a policy that set no message), translated.
DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "This comment may call for violence or recruit for an armed group and is held for a "
    "moderator.": {
        "ru": "Этот комментарий может содержать призыв к насилию или вербовку в вооружённую "
              "группу и передан модератору.",
        "kk": "Бұл пікірде зорлыққа шақыру немесе қарулы топқа тарту болуы мүмкін, сондықтан "
              "ол модераторға жіберілді.",
    },
    "This comment may promote violence or extremism and is held for review.": {
        "ru": "Этот комментарий может пропагандировать насилие или экстремизм и передан на "
              "проверку.",
        "kk": "Бұл пікір зорлықты немесе экстремизмді насихаттауы мүмкін, сондықтан тексеруге "
              "жіберілді.",
    },
}


@dataclass(frozen=True, slots=True)
class LocalMessages:
    """One language's messages of a policy: by code or code family, and field labels."""

    codes: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


def load_messages(root: Table, fields: dict[str, FieldSpec]) -> dict[str, LocalMessages]:
    """`[messages.<lang>]`: `"<code or family>" = "text"`, and a `labels` sub-table."""
    table = root.table("messages")
    if table is None:
        return {}
    found: dict[str, LocalMessages] = {}
    for lang in table.names():
        if not _LANGUAGE_RE.fullmatch(lang) or lang == "en":
            raise table.error(lang, "must be a language code (2-3 letters) other than en "
                                    "(English is the rules' own message)")
        entries = table.table(lang)
        assert entries is not None
        labels: dict[str, str] = {}
        label_table = entries.table("labels")
        if label_table is not None:
            for name in label_table.names():
                if name not in fields:
                    raise label_table.error(name, "names no field of this policy")
                labels[name] = _text(label_table, name)
            label_table.done()
        codes = {}
        for code in entries.names():
            if not _CODE_RE.fullmatch(code):
                raise entries.error(code, "is not a finding code or family (banned, "
                                          "personal_data.phone, comment.required)")
            codes[code] = _text(entries, code)
        entries.done()
        found[lang] = LocalMessages(codes, labels)
    table.done()
    return found


def _text(table: Table, key: str) -> str:
    value = table.get(key, str, required=True)
    if not value.strip() or len(value) > MAX_MESSAGE:
        raise table.error(key, f"must be a message of 1 to {MAX_MESSAGE} characters")
    return value


def language_of(value: object) -> str | None:
    """`ru`, `kk-KZ`, `RU` -> the primary tag, lower-cased; anything else -> None."""
    if not isinstance(value, str):
        return None
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if _LANGUAGE_RE.fullmatch(primary) else None


def message_for(finding: Finding, policy: Policy, lang: str) -> str:
    """The finding's message in `lang` (its English message when there is none)."""
    own = policy.messages.get(lang)
    if own is not None:
        code = finding.code
        while code:
            if code in own.codes:
                return own.codes[code]
            code = code.rpartition(".")[0]
    built_in = BUILT_IN.get(lang)
    if built_in is None:
        return finding.message
    family, _, last = finding.code.rpartition(".")
    if family == "system" or finding.code == "system":
        return built_in["system"]
    spec = policy.fields.get(family) if last in _FIELD_CODES else None
    if spec is not None and finding.field == family:
        label = own.labels.get(family, spec.label) if own is not None else spec.label
        detail: dict[str, Any] = finding.detail or {}
        return built_in[last].format(label=label, length=detail.get("length", ""),
                                     limit=detail.get("limit", spec.max_length or ""))
    return DEFAULT_TEXTS.get(finding.message, {}).get(lang, finding.message)


def localize(verdict: Verdict, policy: Policy, language: object) -> Verdict:
    """The verdict with its messages in `language` (None, `en` or unknown: as it is)."""
    lang = language_of(language)
    if lang is None or lang == "en" or (lang not in BUILT_IN and lang not in policy.messages):
        return verdict
    findings = tuple(replace(f, message=message_for(f, policy, lang)) for f in verdict.findings)
    return replace(verdict, findings=findings)
