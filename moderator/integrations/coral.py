"""Coral Talk's external moderation phase: verify the signature, map the request, answer.

A thin adapter (contract: Coral v9.11.8, `services/comments/pipeline/phases/external.ts`):
Coral's request becomes a `Comment` of one field, the `Verdict` becomes the only reply
Coral accepts. Coral fails open on anything else (a 5xx, a timeout, one unknown value in
the reply), so the reply is built from fixed values only and our own failures are answered
with the policy's failure action rather than an error.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from moderator.errors import ModeratorError
from moderator.integrations.html_text import PlainText, to_plain_text
from moderator.types import Action, Comment, Decision, Finding, Verdict

#: Coral's header: `sha256=<hex>[,sha256=<hex>...]`, one value per active secret.
SIGNATURE_HEADER = "X-Coral-Signature"
#: More values than any rotation makes; a longer header is refused unread.
MAX_SIGNATURES = 16
MAX_SIGNATURE_HEADER = 2048
MIN_SECRET_LENGTH = 16
_HEX = re.compile(r"[0-9a-fA-F]{64}")
#: The only reply values Coral's Joi schema takes that this adapter sends.
WITHHELD, REJECTED = "SYSTEM_WITHHELD", "REJECTED"
FLAG_TOXIC = {"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}
#: Rejection codes (Coral's REJECTION_REASON_CODE) by finding code prefix; else OTHER.
REJECTION_CODES = {"classifier.": "ILLEGAL_CONTENT", "incitement.": "ILLEGAL_CONTENT"}
#: Coral shows detailedExplanation to the commenter; a few sentences are plenty.
MAX_EXPLANATION = 1000
FAILURE_EXPLANATION = "This comment could not be checked, so it was not published."
ACTIONS = ("NEW", "EDIT")
#: A body longer than this many times the field's max_length (or than NO_LIMIT_BODY) is
#: held unparsed: HTML that size for a comment is odd, and parsing it (~3 us per tag or
#: entity) could pass Coral's 200 ms, after which Coral publishes unchecked.
BODY_FACTOR, MIN_BODY, NO_LIMIT_BODY = 8, 4096, 16384
#: Context strings longer than /v1/check's limit are left out rather than refused.
CONTEXT_LIMIT = 2048


class CoralConfigError(ModeratorError):
    """MODERATOR_CORAL_SECRETS or MODERATOR_CORAL_SITES is malformed; says which entry."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting, self.problem = setting, problem
        super().__init__(f"MODERATOR_{setting}: {problem}")


class CoralRequestError(ModeratorError):
    """Coral's request is not what Coral sends; `pointer` names the member."""

    def __init__(self, message: str, pointer: str | None = None) -> None:
        super().__init__(message)
        self.pointer = pointer


@dataclass(frozen=True, slots=True)
class CoralSettings:
    """Signing secrets per tenant and the policy site of each Coral site or tenant."""

    secrets: Mapping[str, tuple[bytes, ...]] = field(default_factory=dict)
    sites: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, secrets: str | None, sites: str | None) -> CoralSettings:
        return cls(parse_secrets(secrets), parse_sites(sites))

    def policy_site(self, site_id: str, tenant_id: str) -> str:
        """Coral site id first, then tenant id, then the `default` policy."""
        return self.sites.get(site_id) or self.sites.get(tenant_id) or "default"


def _entries(raw: str | None, setting: str) -> list[tuple[str, str]]:
    out = []
    for number, entry in enumerate((raw or "").split(","), start=1):
        if not entry.strip():
            continue
        key, sep, value = entry.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise CoralConfigError(setting, f"entry #{number} is not <id>=<value>")
        out.append((key.strip(), value.strip()))
    return out


def parse_secrets(raw: str | None) -> dict[str, tuple[bytes, ...]]:
    """`tenant=secret1|secret2,...`: every active secret of each tenant (rotation keeps two)."""
    found: dict[str, tuple[bytes, ...]] = {}
    for number, (tenant, value) in enumerate(_entries(raw, "CORAL_SECRETS"), 1):
        secrets = tuple(s.strip() for s in value.split("|") if s.strip())
        if any(len(s) < MIN_SECRET_LENGTH for s in secrets):  # never echo a secret
            raise CoralConfigError("CORAL_SECRETS", f"entry #{number} has a secret shorter "
                                   f"than {MIN_SECRET_LENGTH} characters")
        found[tenant] = found.get(tenant, ()) + tuple(s.encode("utf-8") for s in secrets)
    return found


def parse_sites(raw: str | None) -> dict[str, str]:
    """`<Coral site id or tenant id>=<policy site>,...`."""
    return dict(_entries(raw, "CORAL_SITES"))


def signatures(header: str | None) -> list[str]:
    """The hex digests of a `X-Coral-Signature` header; other schemes are ignored."""
    if not header or len(header) > MAX_SIGNATURE_HEADER:
        return []
    values = [v.strip() for v in header.split(",")][:MAX_SIGNATURES]
    return [v[7:].lower() for v in values
            if v[:7].lower() == "sha256=" and _HEX.fullmatch(v[7:]) is not None]


def signing_tenants(settings: CoralSettings, body: bytes, header: str | None) -> set[str]:
    """Tenants one of whose secrets signed exactly these bytes (empty: a bad signature)."""
    given = signatures(header)
    tenants = set()
    for tenant, secrets in settings.secrets.items():
        for secret in secrets:
            digest = hmac.new(secret, body, hashlib.sha256).hexdigest()
            if any(hmac.compare_digest(digest, value) for value in given):
                tenants.add(tenant)
    return tenants


@dataclass(frozen=True, slots=True)
class CoralRequest:
    """The members of Coral's request that the check uses."""

    action: str
    body: str
    site_id: str
    tenant_id: str
    story_url: str
    author_id: str


def _member(payload: Mapping[str, Any], path: str, nullable: bool = False) -> Any:
    value: Any = payload
    for name in path.split("/"):
        if not isinstance(value, dict):
            raise CoralRequestError(f"/{path} is missing: its parent is not an object.",
                                    f"/{path}")
        if name not in value:
            raise CoralRequestError(f"/{path} is missing.", f"/{path}")
        value = value[name]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise CoralRequestError(f"/{path} must be a string.", f"/{path}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CoralRequestError(f"/{path} contains a lone surrogate.", f"/{path}") from exc
    if "\x00" in value:
        raise CoralRequestError(f"/{path} contains a NUL character.", f"/{path}")
    return value


def parse_request(payload: Any) -> CoralRequest:
    """Coral's request, every member it always sends checked; members added later ignored."""
    if not isinstance(payload, dict):
        raise CoralRequestError("The body must be a JSON object.")
    action = _member(payload, "action")
    if action not in ACTIONS:
        raise CoralRequestError("/action must be NEW or EDIT.", "/action")
    body = _member(payload, "comment/body")
    _member(payload, "comment/parentID", nullable=True)
    _member(payload, "author/role")
    _member(payload, "story/id")
    _member(payload, "tenantDomain")
    return CoralRequest(action=action, body=body,
                        site_id=_member(payload, "site/id"),
                        tenant_id=_member(payload, "tenantID"),
                        story_url=_member(payload, "story/url"),
                        author_id=_member(payload, "author/id"))


def body_too_large(body: str, max_length: int | None) -> bool:
    """Whether Coral's body is too large to check within Coral's budget (see BODY_FACTOR)."""
    limit = max(BODY_FACTOR * max_length, MIN_BODY) if max_length else NO_LIMIT_BODY
    return len(body) > limit


def to_comment(request: CoralRequest, policy_site: str, text_field: str) -> tuple[Comment,
                                                                                  PlainText]:
    """The comment as one field (Coral knows the author; the form's name and email are not
    sent), its text stripped of HTML, and the map back to the body as sent."""
    plain = to_plain_text(request.body)
    context = {k: v for k, v in (("article_url", request.story_url),
                                 ("author_id", request.author_id)) if len(v) <= CONTEXT_LIMIT}
    return Comment(fields={text_field: plain.text}, site=policy_site, context=context), plain


def with_body_spans(verdict: Verdict, plain: PlainText, text_field: str) -> Verdict:
    """Each span of the comment field also as `detail.body_span`, a range of Coral's body."""
    if plain.starts is None:
        return verdict
    findings = tuple(
        replace(f, detail={**f.detail, "body_span": plain.source_span(f.span).to_dict()})
        if f.span is not None and f.field == text_field else f
        for f in verdict.findings)
    return replace(verdict, findings=findings)


def reply(decision: Decision, findings: tuple[Finding, ...] = ()) -> dict[str, Any] | None:
    """Coral's reply for a decision: None (204) for accept, never any other key or value."""
    if decision is Decision.ACCEPT:
        return None
    if decision is Decision.REVIEW:
        return {"status": WITHHELD, "actions": [dict(FLAG_TOXIC)]}
    deciding = [f for f in findings if f.action is Action.REJECT]
    messages = list(dict.fromkeys(f.message for f in deciding)) or [FAILURE_EXPLANATION]
    explanation = " ".join(messages)
    if len(explanation) > MAX_EXPLANATION:
        explanation = explanation[:MAX_EXPLANATION - 1] + "…"
    code = next((c for f in deciding for prefix, c in REJECTION_CODES.items()
                 if f.code.startswith(prefix)), "OTHER")
    return rejection(code, explanation)


def rejection(code: str, explanation: str) -> dict[str, Any]:
    """`REJECTED`, also as a moderation action with its reason (shown to the commenter)."""
    return {"status": REJECTED,
            "moderationAction": {"status": REJECTED,
                                 "rejectionReason": {"code": code,
                                                     "detailedExplanation": explanation}}}


def flood_reply(message: str) -> dict[str, Any]:
    """Past a flood limit: /v1/check says 429 "try again", which Coral would publish, so the
    comment is rejected with the policy's message ("Please wait 40 seconds ...")."""
    return rejection("OTHER", message[:MAX_EXPLANATION])


def failure_reply(on_failure: Action) -> dict[str, Any]:
    """Our own outage under the policy's failure action: a hold or a rejection, never 204."""
    # review or reject: the policy loader never allows flag for a failure action
    decision = Decision.REJECT if on_failure is Action.REJECT else Decision.REVIEW
    reply_body = reply(decision)
    assert reply_body is not None
    return reply_body
