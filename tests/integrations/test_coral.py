"""The Coral adapter alone: settings, signatures, request members and the reply."""

from __future__ import annotations

import pytest

from moderator.integrations import coral
from moderator.integrations.coral_testing import (
    OTHER_SECRET,
    SECRET,
    TENANT_ID,
    coral_body,
    sign,
)
from moderator.types import Action, Decision, Finding


def test_secrets_per_tenant_with_rotation() -> None:
    secrets = coral.parse_secrets(f" {TENANT_ID} = {SECRET} | {OTHER_SECRET} ,t2={SECRET}")
    assert secrets == {TENANT_ID: (SECRET.encode(), OTHER_SECRET.encode()),
                       "t2": (SECRET.encode(),)}
    assert coral.parse_secrets(None) == {} == coral.parse_secrets("")


@pytest.mark.parametrize("raw", ["tenant", "=secret-0123456789abcdef", "tenant=",
                                 "tenant=short"])
def test_a_malformed_secret_entry_is_refused_without_echoing_it(raw: str) -> None:
    with pytest.raises(coral.CoralConfigError, match="entry #1") as caught:
        coral.parse_secrets(raw)
    assert "secret-0123" not in str(caught.value) and "=short" not in str(caught.value)


def test_site_then_tenant_then_default() -> None:
    settings = coral.CoralSettings.parse(None, "site-1=news, tenant-1=blog")
    assert settings.policy_site("site-1", "tenant-1") == "news"
    assert settings.policy_site("site-2", "tenant-1") == "blog"
    assert settings.policy_site("site-2", "tenant-2") == "default"


def test_every_active_secret_signs_and_any_one_verifies() -> None:
    body = coral_body("<p>hi</p>")
    header = sign(body, OTHER_SECRET, SECRET)
    assert len(coral.signatures(header)) == 2
    for configured in (SECRET, OTHER_SECRET):
        settings = coral.CoralSettings.parse(f"{TENANT_ID}={configured}", None)
        assert coral.signing_tenants(settings, body, header) == {TENANT_ID}
        assert coral.signing_tenants(settings, body + b"\n", header) == set()


@pytest.mark.parametrize("header", [None, "", "sha256=", "sha256=xyz", "v1=" + "0" * 64,
                                    "sha256=" + "0" * 63, "x" * 5000])
def test_malformed_signature_values_are_ignored(header: str | None) -> None:
    assert coral.signatures(header) == []


def test_a_review_is_a_hold_with_a_toxic_flag_and_an_accept_is_nothing() -> None:
    assert coral.reply(Decision.ACCEPT) is None
    assert coral.reply(Decision.REVIEW) == {
        "status": "SYSTEM_WITHHELD",
        "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]}


def test_a_reject_explains_itself_with_the_deciding_messages_once() -> None:
    findings = (
        Finding("suspect.word", "comment", Action.REVIEW, "Held."),
        Finding("banned.word", "comment", Action.REJECT, "Not allowed."),
        Finding("banned.phrase", "comment", Action.REJECT, "Not allowed."),
        Finding("incitement.violence", "comment", Action.REJECT, "No calls to violence."),
    )
    reason = coral.reply(Decision.REJECT, findings)["moderationAction"]["rejectionReason"]
    assert reason == {"code": "ILLEGAL_CONTENT",
                      "detailedExplanation": "Not allowed. No calls to violence."}


def test_a_long_explanation_is_cut() -> None:
    findings = tuple(Finding(f"x.{i}", None, Action.REJECT, f"{i} " + "m" * 300)
                     for i in range(5))
    reason = coral.reply(Decision.REJECT, findings)["moderationAction"]["rejectionReason"]
    assert len(reason["detailedExplanation"]) == coral.MAX_EXPLANATION


@pytest.mark.parametrize(("action", "status"), [(Action.REVIEW, "SYSTEM_WITHHELD"),
                                                (Action.REJECT, "REJECTED")])
def test_a_failure_is_never_an_accept(action: Action, status: str) -> None:
    assert coral.failure_reply(action)["status"] == status
