"""Runs a policy's rules over one comment and composes a single verdict.

Like Coral's moderation pipeline: each rule is a small function over a read-only
context that returns findings (or none); `RULES` alone fixes the order; `decide`
merges them. A rule never accepts: a timeout or a model failure becomes a finding
whose action the policy's failure section chooses.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from moderator import gates
from moderator.policy.fields import email_problem, form_value, utf16_length
from moderator.policy.links import find_links, link_bound
from moderator.policy.model import Policy
from moderator.text import NormalizedText, normalize
from moderator.types import Action, Comment, Finding, Span, Verdict, decide

#: At most this many findings per rule and field, so a comment that repeats a banned word
#: a thousand times gets a bounded answer.
MAX_FINDINGS_PER_RULE = 10
EXPLANATION_TERMS = 5


class Contribution(Protocol):
    term: str
    weight: float
    start: int
    end: int


class Scorer(Protocol):
    """What the engine needs of a classifier model."""

    version: str
    thresholds: Any

    def score_normalized(self, texts: Sequence[NormalizedText]) -> list[float]: ...

    def explain(self, text: str, top_k: int = 5,
                normalized: NormalizedText | None = None) -> Sequence[Contribution]: ...


@dataclass
class CheckContext:
    """Everything a rule may read; normalised text is computed once per field, on demand."""

    comment: Comment
    policy: Policy
    model: Scorer | None = None
    #: Model scores, written by the classifier rule and reported even when nothing fires.
    scores: dict[str, float] = field(default_factory=dict)
    #: Codes of evidence word-list hits: they lower the classifier's review threshold.
    evidence: list[str] = field(default_factory=list)
    _normalized: dict[str, NormalizedText] = field(default_factory=dict)
    _values: dict[str, str] = field(default_factory=dict)
    _regex_deadline: float | None = None

    def regex_time_left(self) -> float:
        """Seconds left of the comment's one regex budget (`regex_timeout_ms`), shared by
        every word list and pattern on every field, so a comment costs at most one budget
        however many rules time out. The clock starts at the first regex run.

        Raises TimeoutError once the budget is spent: the remaining rules are not run.
        """
        now = time.monotonic()
        if self._regex_deadline is None:
            self._regex_deadline = now + self.policy.failure.regex_timeout_seconds
        left = self._regex_deadline - now
        if left <= 0:
            raise TimeoutError("regex budget spent")
        return left

    def raw(self, name: str) -> str:
        return self.comment.fields.get(name) or ""

    def value(self, name: str) -> str:
        """The field as the form counts it (`form_value`): every rule asks, so it is kept."""
        value = self._values.get(name)
        if value is None:
            value = self._values[name] = form_value(self.raw(name))
        return value

    def normalized(self, name: str) -> NormalizedText:
        if name not in self._normalized:
            self._normalized[name] = normalize(self.raw(name))
        return self._normalized[name]

    @cached_property
    def over_limit(self) -> frozenset[str]:
        """Fields longer than their limit: content rules skip them, the length finding stands."""
        return frozenset(
            name
            for name, spec in self.policy.fields.items()
            if spec.max_length is not None and utf16_length(self.value(name)) > spec.max_length
        )

    def content_fields(self, names: Sequence[str]) -> Iterator[str]:
        for name in names:
            if self.value(name) and name not in self.over_limit:
                yield name


Rule = Callable[[CheckContext], list[Finding]]


def check_required(ctx: CheckContext) -> list[Finding]:
    return [
        Finding(f"{name}.required", name, Action.REJECT, f"{spec.label} is required.")
        for name, spec in ctx.policy.fields.items()
        if spec.required and not ctx.value(name)
    ]


def check_length(ctx: CheckContext) -> list[Finding]:
    findings = []
    for name, spec in ctx.policy.fields.items():
        if not ctx.value(name):
            continue
        length = utf16_length(ctx.value(name))
        if spec.max_length is not None and length > spec.max_length:
            findings.append(
                Finding(
                    f"{name}.too_long",
                    name,
                    Action.REJECT,
                    f"{spec.label} is {length} characters long; the limit is {spec.max_length}.",
                    detail={"length": length, "limit": spec.max_length},
                )
            )
        elif spec.min_length is not None and length < spec.min_length:
            findings.append(
                Finding(
                    f"{name}.too_short",
                    name,
                    Action.REJECT,
                    f"{spec.label} must be at least {spec.min_length} characters long.",
                    detail={"length": length, "limit": spec.min_length},
                )
            )
    return findings


def check_email(ctx: CheckContext) -> list[Finding]:
    findings = []
    email_fields = [n for n, s in ctx.policy.fields.items() if s.type == "email"]
    for name in ctx.content_fields(email_fields):
        problem = email_problem(ctx.value(name))
        if problem:
            label = ctx.policy.fields[name].label
            message = f"{label} is not a valid email address: {problem}"
            findings.append(Finding(f"{name}.invalid", name, Action.REJECT, message))
    return findings


def _timeout_finding(ctx: CheckContext, name: str, rule: str) -> Finding:
    return Finding(
        "system.regex_timeout",
        name,
        ctx.policy.failure.on_regex_timeout,
        "This comment is held for a moderator.",
        detail={"rule": rule},
    )


def check_terms(ctx: CheckContext) -> list[Finding]:
    findings = []
    for rule in ctx.policy.terms:
        for name in ctx.content_fields(rule.fields):
            text = ctx.normalized(name)
            try:
                matches = rule.matcher.find(text, timeout=ctx.regex_time_left())
            except TimeoutError:
                findings.append(_timeout_finding(ctx, name, rule.name))
                continue
            for match in matches[:MAX_FINDINGS_PER_RULE]:
                kind = "phrase" if " " in match.entry.strip() else "word"
                detail: dict[str, Any] = {"rule": rule.name, "entry": match.entry}
                if rule.evidence:  # a note for the moderator; the classifier decides
                    detail["evidence"] = True
                    ctx.evidence.append(f"{rule.code}.{kind}")
                findings.append(
                    Finding(
                        f"{rule.code}.{kind}",
                        name,
                        Action.FLAG if rule.evidence else rule.action,
                        rule.message,
                        text.span(match.start, match.end),
                        detail=detail,
                    )
                )
    return findings


def check_patterns(ctx: CheckContext) -> list[Finding]:
    findings = []
    for rule in ctx.policy.patterns:
        for name in ctx.content_fields(rule.fields):
            text = ctx.normalized(name)
            try:
                timeout = ctx.regex_time_left()  # first: a spent budget holds, gated or not
                if gates.active() and gates.fewer_digits(
                        text.text, gates.min_digits(rule.pattern.pattern)):
                    continue  # too few digits for any match (a phone number needs ten)
                hits = [m.span() for m in rule.pattern.finditer(text.text, timeout=timeout)]
            except TimeoutError:
                findings.append(_timeout_finding(ctx, name, rule.name))
                continue
            findings.extend(
                Finding(rule.code, name, rule.action, rule.message, text.span(start, end),
                        detail={"rule": rule.name})
                for start, end in hits[:MAX_FINDINGS_PER_RULE]
            )
    return findings


def check_incitement(ctx: CheckContext) -> list[Finding]:
    """Calls to violence, recruitment, glorification (`moderator/policy/incitement.py`).

    Reads the normalised text the word lists already made, so it costs one word split
    and a set look-up on a comment with no trigger word.
    """
    rule = ctx.policy.incitement
    if rule is None:
        return []
    findings = []
    for name in ctx.content_fields(rule.fields):
        text = ctx.normalized(name)
        per_code: dict[str, int] = {}
        for hit in rule.matcher.find(text.text):
            if per_code.get(hit.code, 0) >= MAX_FINDINGS_PER_RULE:
                continue
            per_code[hit.code] = per_code.get(hit.code, 0) + 1
            findings.append(
                Finding(
                    f"incitement.{hit.code}",
                    name,
                    rule.actions[hit.code],
                    rule.message,
                    text.span(hit.start, hit.end),
                    detail={"rule": "incitement", "lang": hit.lang},
                )
            )
    return findings


def check_links(ctx: CheckContext) -> list[Finding]:
    rule = ctx.policy.links
    if rule is None:
        return []
    findings = []
    for name in ctx.content_fields(rule.fields):
        if gates.active() and not gates.may_hold_link(ctx.raw(name)):
            continue  # no "://", no dot beside a letter: not one link candidate
        if link_bound(ctx.raw(name)) <= rule.max_links:
            continue  # cannot be over the limit: skip the (slow) link finder
        links = find_links(ctx.raw(name))
        if not rule.emails:
            links = [link for link in links if not link.email]
        if len(links) > rule.max_links:
            first_extra = links[rule.max_links]
            findings.append(
                Finding(
                    "links.too_many",
                    name,
                    rule.action,
                    rule.message,
                    Span(first_extra.start, first_extra.end),
                    detail={"count": len(links), "limit": rule.max_links},
                )
            )
    return findings


def _threshold(policy_value: float | None, model_thresholds: Any, name: str) -> float:
    """The policy's threshold (the loader checked it), else the model card's, which must
    lie in (0, 1): a card edited after loading must not switch the classifier off."""
    if policy_value is not None:
        return float(policy_value)
    value = float(model_thresholds[name])
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} threshold out of range")
    return value


def check_classifier(ctx: CheckContext) -> list[Finding]:
    settings = ctx.policy.classifier
    if not settings.enabled or not list(ctx.content_fields([settings.field])):
        return []
    failure = ctx.policy.failure.on_classifier_error
    if ctx.model is None:
        return [Finding("system.classifier_unavailable", settings.field, failure,
                        "This comment is held for a moderator.")]
    raw = ctx.raw(settings.field)
    normalized = ctx.normalized(settings.field)  # shared with the word lists: normalised once
    try:
        # A model is data someone edited: a bad score or threshold holds, never a 500.
        score = float(ctx.model.score_normalized([normalized])[0])
        review_at = _threshold(settings.review_threshold, ctx.model.thresholds, "review")
        reject_at = _threshold(settings.reject_threshold, ctx.model.thresholds, "reject")
        if not math.isfinite(score):
            raise ValueError("score is not a finite number")
    except Exception:
        return [Finding("system.classifier_error", settings.field, failure,
                        "This comment is held for a moderator.")]
    ctx.scores["propaganda"] = round(score, 4)
    evidence = sorted(set(ctx.evidence))
    if evidence and settings.evidence_review_threshold is not None:
        review_at = min(review_at, settings.evidence_review_threshold)
    if score >= reject_at:
        action = Action.REJECT
    elif score >= review_at:
        action = Action.REVIEW
    else:
        return []
    try:
        contributions = ctx.model.explain(raw, top_k=EXPLANATION_TERMS, normalized=normalized)
    except Exception:
        contributions = []  # the verdict stands; only its explanation is lost
    explanation = [
        {"term": c.term, "weight": round(float(c.weight), 4),
         "span": {"start": c.start, "end": c.end}}
        for c in contributions
    ]
    top = explanation[0]["span"] if explanation else None
    return [
        Finding(
            "classifier.propaganda",
            settings.field,
            action,
            settings.message,
            Span(top["start"], top["end"]) if top else None,
            detail={"score": round(score, 4),
                    "thresholds": {"review": review_at, "reject": reject_at},
                    "explanation": explanation,
                    **({"evidence": evidence} if evidence else {})},
        )
    ]


#: The one list that fixes the order rules run in.
RULES: tuple[Rule, ...] = (
    check_required,
    check_length,
    check_email,
    check_terms,
    check_patterns,
    check_incitement,
    check_links,
    check_classifier,
)


def run_policy(comment: Comment, policy: Policy, model: Scorer | None = None) -> Verdict:
    """Check one comment against one policy (and model) and return the one verdict."""
    return verdict_of(CheckContext(comment, policy, model))


def verdict_of(ctx: CheckContext) -> Verdict:
    """Run every rule over `ctx` (left holding the normalised fields) and compose the verdict."""
    policy, model = ctx.policy, ctx.model
    findings = tuple(finding for rule in RULES for finding in rule(ctx))
    field = policy.classifier.field
    comment_text = ctx.raw(field)
    # An over-limit comment is rejected for its length alone: no rule read it, and
    # detecting its language would cost more than every other step (null, as if empty).
    detect = comment_text.strip() and field not in ctx.over_limit
    return Verdict(
        decision=decide(findings),
        findings=findings,
        scores=dict(ctx.scores),
        policy=policy.label,
        model=model.version if model is not None and policy.classifier.enabled else None,
        language=gates.detect_language(comment_text) if detect else None,
    )
