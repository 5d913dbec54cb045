"""Immutable value types shared by every layer.

They are frozen so that nothing downstream (the HTTP layer, a logger) can edit a
verdict after the policy produced it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Decision(StrEnum):
    """What the site should do with the comment."""

    ACCEPT = "accept"
    REVIEW = "review"
    REJECT = "reject"


class Action(StrEnum):
    """What one finding asks for; `flag` is a note that changes no decision."""

    FLAG = "flag"
    REVIEW = "review"
    REJECT = "reject"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Action.FLAG: 0, Action.REVIEW: 1, Action.REJECT: 2}


@dataclass(frozen=True, slots=True)
class Span:
    """Half-open range of Python string indices into the text the user typed."""

    start: int
    end: int

    def to_dict(self) -> dict[str, int]:
        return {"start": self.start, "end": self.end}


@dataclass(frozen=True, slots=True)
class Comment:
    """One submitted comment form: field name -> value, plus request context."""

    fields: Mapping[str, str]
    site: str = "default"
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason: a stable machine code, the form field it belongs to, and a message.

    `code` (`email.invalid`, `classifier.propaganda`, ...) is stable for programs;
    `field` is the form field to show `message` beside (None: the whole comment);
    `action` is what it asks for (`flag` changes nothing); `span` is the half-open
    code-point range in that field exactly as typed; `detail` is the rule's evidence
    (the entry matched, the score and thresholds, the explaining terms).
    """

    code: str
    field: str | None
    action: Action
    message: str
    span: Span | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "field": self.field,
            "action": self.action.value,
            "message": self.message,
            "span": self.span.to_dict() if self.span else None,
        }
        if self.detail:
            out["detail"] = dict(self.detail)
        return out


@dataclass(frozen=True, slots=True)
class Verdict:
    """The one answer for a comment: decision, the findings behind it, scores, versions.

    `decision` is the strictest finding's action (no finding: accept); `scores` maps a
    model's score name to its score (`propaganda`: 0 to 1); `policy` is `site@version`
    and `model` `name/version` (None: the policy runs no classifier); `language` is the
    comment's (`en`, `ru`, `kk`, `other`); `id` is set when the comment was held and
    stored for a moderator.
    """

    decision: Decision
    findings: tuple[Finding, ...]
    scores: Mapping[str, float]
    policy: str
    model: str | None
    language: str | None = None
    #: The review queue's id when the comment was held and stored for a moderator.
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "decision": self.decision.value,
            "findings": [f.to_dict() for f in self.findings],
            "scores": dict(self.scores),
            "policy": self.policy,
            "model": self.model,
            "language": self.language,
        }
        if self.id is not None:
            out["id"] = self.id
        return out


def decide(findings: tuple[Finding, ...]) -> Decision:
    """The strictest action among the findings wins; flags alone accept."""
    worst = max((f.action.severity for f in findings), default=0)
    if worst >= Action.REJECT.severity:
        return Decision.REJECT
    if worst >= Action.REVIEW.severity:
        return Decision.REVIEW
    return Decision.ACCEPT
