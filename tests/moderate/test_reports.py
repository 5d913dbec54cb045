"""The dashboard and the audit log (page and CSV) after real decisions."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from tests.moderate.conftest import JSON

Signed = tuple[FlaskClient, str]


def decide(signed: Signed, comment_id: str, decision: str, **extra: str) -> None:
    client, csrf = signed
    response = client.post("/moderate/decide", headers=JSON, data={
        "csrf": csrf, "id": comment_id, "decision": decision, **extra})
    assert response.status_code == 200, response.get_json()


def test_the_dashboard_counts_held_decisions_and_overturns(alice: Signed,
                                                           hold: Callable[..., str]) -> None:
    a, b, c = hold("martyr a"), hold("martyr b"), hold("martyr c")
    rejected = hold("kill", expect="reject")
    decide(alice, a, "approve")
    decide(alice, b, "reject", reason="spam")
    decide(alice, rejected, "approve")
    page = alice[0].get("/moderate/dashboard?days=7").text
    assert re.search(r"<td>\d{4}-\d\d-\d\d</td><td>3</td><td>1</td>", page)
    assert "<strong>3</strong> decided" in page
    suspect = re.search(r'<tr data-code="suspect.word" data-verdict="review">(.*?)</tr>', page)
    assert suspect is not None
    assert re.findall(r"<td>(\d+)</td>", suspect.group(1)) == ["2", "1"]
    assert "50%" in suspect.group(1)
    banned = re.search(r'<tr data-code="banned.word" data-verdict="reject">(.*?)</tr>', page)
    assert banned is not None and "100%" in banned.group(1)
    assert c not in page  # the dashboard shows numbers, never comments


def test_dashboard_arguments_are_checked(alice: Signed) -> None:
    assert alice[0].get("/moderate/dashboard?days=0").status_code == 400
    assert alice[0].get("/moderate/dashboard?days=x").status_code == 400
    assert alice[0].get("/moderate/dashboard?site=nowhere").status_code == 400
    assert alice[0].get("/moderate/dashboard?site=strict&days=365").status_code == 200


def test_the_audit_log_lists_every_decision_and_undo(alice: Signed,
                                                     hold: Callable[..., str]) -> None:
    a = hold()
    decide(alice, a, "reject", reason="hate_speech", note="Please keep it civil.")
    client, csrf = alice
    client.post("/moderate/undo", headers=JSON, data={"csrf": csrf, "id": a})
    page = client.get("/moderate/audit").text
    rows = re.findall(r'<tr data-action="(\w+)">', page)
    assert rows == ["undo", "reject"]
    assert "Hate speech" in page and "Please keep it civil." in page
    assert "reject by alice" in page and "checker:review" in page
    assert "отмена" in client.get("/moderate/audit?lang=ru").text


def test_the_audit_csv_is_complete_and_safe_in_a_spreadsheet(alice: Signed,
                                                             hold: Callable[..., str],
                                                             app: Flask) -> None:
    ids = [hold(f"martyr {i}") for i in range(3)]
    decide(alice, ids[0], "reject", reason="spam", note='=HYPERLINK("http://evil","x")')
    decide(alice, ids[1], "approve")
    decide(alice, ids[2], "reject", reason="other", note="-2+3")
    response = alice[0].get("/moderate/audit.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert re.fullmatch(r'attachment; filename="moderator-audit-all-\d{8}\.csv"',
                        response.headers["Content-Disposition"])
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["comment_id"] for r in rows] == ids
    assert [r["action"] for r in rows] == ["reject", "approve", "reject"]
    assert rows[0]["note"] == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert rows[2]["note"] == "'-2+3"
    assert rows[0]["moderator"] == "alice" and rows[0]["overrode"] == "checker:review"
    assert rows[1]["codes"] == "suspect.word" and rows[1]["label"] == "discusses"
    assert rows[0]["at"].endswith("Z")
    assert "martyr" not in response.text  # the log holds decisions, not comment text
    none = alice[0].get("/moderate/audit.csv?site=strict").text.splitlines()
    assert len(none) == 4
