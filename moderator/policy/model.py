"""The in-memory form of one site's policy, built and validated by the loader."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import regex

from moderator.policy.incitement import IncitementMatcher
from moderator.policy.terms import TermMatcher
from moderator.types import Action

if TYPE_CHECKING:
    from moderator.policy.akismet import AkismetSettings
    from moderator.policy.flood import FloodSettings
    from moderator.policy.messages import LocalMessages
    from moderator.policy.webhook import WebhookSettings

#: The unit every length limit is counted in; the form's counter must count the same way.
LENGTH_UNIT = "utf16"
LENGTH_UNIT_DESCRIPTION = (
    "UTF-16 code units of the value with surrounding whitespace removed and each CRLF or CR "
    "counted as one line break, as a browser counts a textarea's maxlength "
    "(an emoji outside the BMP counts 2, a combining mark counts 1)"
)

FIELD_TYPES = ("text", "email")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One form field: whether it is required, its limits, and how to check its value."""

    name: str
    label: str
    type: str = "text"
    required: bool = False
    max_length: int | None = None
    min_length: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "required": self.required,
            "max_length": self.max_length,
            "min_length": self.min_length,
        }


@dataclass(frozen=True, slots=True)
class TermRule:
    """A banned or suspect word/phrase list and what a hit means."""

    name: str
    code: str
    action: Action
    message: str
    fields: tuple[str, ...]
    matcher: TermMatcher
    #: A hit is evidence, not a verdict: it holds nothing alone but lowers the classifier's
    #: review threshold to `ClassifierSettings.evidence_review_threshold` for the comment.
    evidence: bool = False


@dataclass(frozen=True, slots=True)
class PatternRule:
    """A regular expression (the `regex` package, compiled at load) and what a hit means."""

    name: str
    code: str
    action: Action
    message: str
    fields: tuple[str, ...]
    pattern: regex.Pattern[str]


@dataclass(frozen=True, slots=True)
class LinkRule:
    """More than `max_links` links in the listed fields gives `action`.

    An e-mail address is a link only with `emails`: a link limit is about links a reader
    follows, and a reply that quotes who wrote what ("joe@example.com wrote:") holds
    addresses, not links."""

    max_links: int
    action: Action
    message: str
    fields: tuple[str, ...]
    emails: bool = False


@dataclass(frozen=True, slots=True)
class IncitementRule:
    """Calls to violence, recruitment and glorification; an action per code."""

    #: `violence`, `recruitment`, `glorification` -> what a hit of that kind asks for.
    actions: dict[str, Action]
    message: str
    fields: tuple[str, ...]
    matcher: IncitementMatcher


@dataclass(frozen=True, slots=True)
class ClassifierSettings:
    """Which model scores which field, and the score thresholds for review and reject."""

    enabled: bool
    model: str
    field: str
    review_threshold: float | None
    reject_threshold: float | None
    message: str
    #: The review threshold for a comment with a hit of an evidence word list.
    evidence_review_threshold: float | None = None


@dataclass(frozen=True, slots=True)
class FailurePolicy:
    """What a regex timeout or a classifier failure means: never a silent accept."""

    regex_timeout_seconds: float
    on_regex_timeout: Action
    on_classifier_error: Action
    #: The flood limits' counters cannot be reached (Redis down): hold or refuse, never pass.
    on_flood_error: Action = Action.REVIEW


@dataclass(frozen=True, slots=True)
class Policy:
    """One site's complete comment policy."""

    site: str
    version: str
    description: str
    source: Path
    fields: dict[str, FieldSpec]
    terms: tuple[TermRule, ...]
    patterns: tuple[PatternRule, ...]
    links: LinkRule | None
    classifier: ClassifierSettings
    failure: FailurePolicy
    #: None: the policy has no `[incitement]` section, or it is disabled.
    incitement: IncitementRule | None = None
    #: Repeat-post and rate limits (moderator.flood counts); None: absent or disabled.
    flood: FloodSettings | None = None
    #: How Akismet requests map onto this policy (None: the defaults for its fields).
    akismet: AkismetSettings | None = None
    #: Where the site hears of its moderators' decisions (None: no `[webhook]` section).
    webhook: WebhookSettings | None = None
    #: The commenter's messages in other languages (`[messages.ru]`): language -> them.
    messages: dict[str, LocalMessages] = dataclasses.field(default_factory=dict)

    @property
    def label(self) -> str:
        """`site@version`, as reported in every verdict."""
        return f"{self.site}@{self.version}"
