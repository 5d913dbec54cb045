"""One signed Coral request against a real `moderator serve` (gunicorn, the shipped policy)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from moderator.integrations.coral_testing import SECRET, TENANT_ID, coral_body, headers
from moderator.servertest import LiveServer, copy_site

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "tests/fixtures/coral/reply.schema.json").read_text("utf-8"))
ADMIN_KEY = "alice-secret-0123456789"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    policies, models = copy_site(tmp_path)
    live = LiveServer(tmp_path, {
        "MODERATOR_POLICY_DIR": str(policies), "MODERATOR_MODELS_DIR": str(models),
        "MODERATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
        "MODERATOR_ADMIN_KEYS": f"alice={ADMIN_KEY}",
        # Unmapped sites use the `default` policy.
        "MODERATOR_CORAL_SECRETS": f"{TENANT_ID}={SECRET}",
        "HOME": str(tmp_path), "XDG_RUNTIME_DIR": ""}, workers=1)
    try:
        yield live.start()
    finally:
        live.stop()


def test_a_signed_request_is_held_and_queued_by_a_real_server(server: LiveServer) -> None:
    body = coral_body("<p>Selling my bike, call me on <b>+7 701 234 5678</b> after six.</p>")
    response = server.request("POST", "/v1/coral/moderate", body, headers=headers(body))
    assert response.status == 200, response.body
    reply = response.json()
    jsonschema.validate(reply, SCHEMA)
    assert reply["status"] == "SYSTEM_WITHHELD"
    queue = server.request("GET", "/v1/queue?site=default",
                           headers={"Authorization": f"Bearer {ADMIN_KEY}"}).json()
    [item] = queue["items"]
    assert item["id"] == response.headers["X-Moderator-Id"]
    assert item["fields"] == {"comment": "Selling my bike, call me on +7 701 234 5678 after six."}
    # The same bytes with one changed are refused.
    tampered = body.replace(b"six", b"ten")
    assert server.request("POST", "/v1/coral/moderate", tampered,
                          headers=headers(body)).status == 401


def test_accept_and_reject_from_a_real_server(server: LiveServer) -> None:
    accepted = coral_body("<p>The bus was late again this morning.</p>")
    response = server.request("POST", "/v1/coral/moderate", accepted, headers=headers(accepted))
    assert (response.status, response.body) == (204, b"")
    rejected = coral_body("<p>j.o.i.n t.h.e <i>c.a.l.i.p.h.a.t.e</i></p>")
    response = server.request("POST", "/v1/coral/moderate", rejected, headers=headers(rejected))
    reply = response.json()
    jsonschema.validate(reply, SCHEMA)
    assert reply["status"] == "REJECTED"
