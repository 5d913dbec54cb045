"""The real Akismet client libraries against a live `moderator serve` (two workers).

ubernostrum's `akismet` (the test extra) talks to the server through a custom httpx
client whose transport sends rest.akismet.com's requests to 127.0.0.1 instead, so the
key goes in the body. Nekmo's `python-akismet` puts the key in the host name
(`{key}.{domain}`): its `domain` is set to `localhost:<port>` and, as the wildcard DNS a
deployment would have, `*.localhost` resolves to 127.0.0.1 in its process. Both libraries
install a package named `akismet`, so python-akismet cannot share the venv's
site-packages: `make install-test` puts it in .venv/clients/python-akismet and it runs in a
subprocess with that folder first on its path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from moderator.paths import PROJECT_ROOT
from moderator.servertest import ACCEPTED, HELD, LiveServer, copy_site

pytestmark = pytest.mark.slow

KEY = "k3y0f12chars"
ADMIN = "alice-secret-0123456789"
BLOG = "https://news.example.org"
NEKMO_DIR = Path(os.environ.get("MODERATOR_PYTHON_AKISMET_DIR",
                                PROJECT_ROOT / ".venv" / "clients" / "python-akismet"))
REJECTED = "j.o.i.n  t.h.e  c.a.l.i.p.h.a.t.e"


def author(payload: dict[str, Any]) -> dict[str, str]:
    fields = payload["fields"]
    return {"comment_content": fields["comment"], "comment_author": fields["name"],
            "comment_author_email": fields["email"]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("akismet-live")
    policies, models = copy_site(root)
    live = LiveServer(root, {
        "MODERATOR_POLICY_DIR": str(policies), "MODERATOR_MODELS_DIR": str(models),
        "MODERATOR_DATABASE_URL": f"sqlite:///{root / 'store.sqlite3'}",
        "MODERATOR_AKISMET_KEYS": f"{KEY}=default", "MODERATOR_ADMIN_KEYS": f"alice={ADMIN}",
        "HOME": str(root), "XDG_RUNTIME_DIR": ""})
    live.start()
    yield live
    live.stop()


def admin_get(server: LiveServer, path: str) -> Any:
    response = server.request("GET", path, headers={"Authorization": f"Bearer {ADMIN}"})
    assert response.status == 200, response.body
    return response.json()


# -- ubernostrum's akismet ------------------------------------------------------------------


@pytest.fixture
def http_client(server: LiveServer) -> Iterator[Any]:
    httpx = pytest.importorskip("httpx")

    class ToLiveServer(httpx.BaseTransport):
        """Sends what the library addresses to rest.akismet.com to the live server."""

        def __init__(self) -> None:
            self._inner = httpx.HTTPTransport()

        def handle_request(self, request: Any) -> Any:
            request.url = request.url.copy_with(scheme="http", host="127.0.0.1",
                                                port=server.port)
            return self._inner.handle_request(request)

        def close(self) -> None:
            self._inner.close()

    with httpx.Client(transport=ToLiveServer(), timeout=30) as client:
        yield client


def test_ubernostrum_akismet_verify_check_and_submit(server: LiveServer,
                                                      http_client: Any) -> None:
    akismet = pytest.importorskip("akismet")
    if not hasattr(akismet, "SyncClient"):
        pytest.skip("the `akismet` package here is not ubernostrum's (python-akismet "
                    "overwrote it?)")
    config = akismet.Config(key=KEY, url=BLOG)
    with akismet.SyncClient(config=config, http_client=http_client) as client:  # verify-key
        common = {"user_ip": "192.0.2.10", "comment_type": "comment",
                  "user_agent": "Mozilla/5.0", "blog_charset": "UTF-8", "blog_lang": "en"}
        ham = client.comment_check(**common, **author(ACCEPTED))
        held = client.comment_check(**common, **author(HELD))
        discard = client.comment_check(**common, **{**author(ACCEPTED),
                                                    "comment_content": REJECTED})
        test_spam = client.comment_check(**common, comment_author="akismet-guaranteed-spam",
                                         comment_content="anything", is_test=True)
        assert (ham, held, discard, test_spam) == (
            akismet.CheckResponse.HAM, akismet.CheckResponse.SPAM,
            akismet.CheckResponse.DISCARD, akismet.CheckResponse.SPAM)
        # the moderator says spam: the held comment is rejected with the spam label
        assert client.submit_spam(**common, **author(HELD)) is True
        # and an accepted one was ham after all (a label of its own)
        assert client.submit_ham(**common, **author(ACCEPTED)) is True
    decided = admin_get(server, "/v1/queue?status=rejected")["items"]
    assert (HELD["fields"]["comment"], "propaganda", "akismet:default") in [
        (i["text"], i["decision"]["label"], i["decision"]["decided_by"]) for i in decided]
    labels = admin_get(server, "/v1/admin/labels?site=default")["items"]
    assert {(r["text"], r["label"], r["origin"]) for r in labels} >= {
        (HELD["fields"]["comment"], "propaganda", "queue"),
        (ACCEPTED["fields"]["comment"], "other", "akismet")}


def test_ubernostrum_akismet_with_a_wrong_key(server: LiveServer, http_client: Any) -> None:
    akismet = pytest.importorskip("akismet")
    if not hasattr(akismet, "SyncClient"):
        pytest.skip("the `akismet` package here is not ubernostrum's")
    config = akismet.Config(key="wrongkey0000", url=BLOG)
    client = akismet.SyncClient(config=config, http_client=http_client)
    assert client.verify_key() is False
    with pytest.raises(akismet.APIKeyError):
        client.comment_check(user_ip="192.0.2.10", comment_content="hello")
    with pytest.raises(akismet.APIKeyError):
        akismet.SyncClient.validated_client(config=config, http_client=http_client)


# -- Nekmo's python-akismet -----------------------------------------------------------------

NEKMO_SCRIPT = r"""
import json, socket, sys
_real = socket.getaddrinfo
def _wildcard(host, *args, **kwargs):  # what wildcard DNS for *.localhost would do
    if isinstance(host, str) and host.endswith(".localhost"):
        host = "127.0.0.1"
    return _real(host, *args, **kwargs)
socket.getaddrinfo = _wildcard

import akismet
from akismet import Akismet, AkismetServerError, SpamStatus
assert hasattr(akismet, "SpamStatus"), akismet.__file__
port, key, cases = sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())
Akismet.protocol, Akismet.domain = "http", "localhost:" + port
client = Akismet(key, blog="https://news.example.org", application_user_agent="tests/1.0")
names = {v: k for k, v in vars(SpamStatus).items() if not k.startswith("_")}
out = {}
for name, fields in cases["check"].items():
    out[name] = names[client.check("192.0.2.20", "Mozilla/5.0", **fields)]
client.submit_spam("192.0.2.20", "Mozilla/5.0", **cases["spam"])
client.submit_ham("192.0.2.20", "Mozilla/5.0", **cases["ham"])
out["submitted"] = True
try:
    Akismet("wrongkey0000", blog="https://news.example.org").check("192.0.2.20", "UA",
                                                                   comment_content="hi")
except AkismetServerError as exc:
    out["wrong_key"] = str(exc)
print(json.dumps(out))
"""


def test_nekmo_python_akismet_check_and_submit_with_the_key_in_the_host(
        server: LiveServer) -> None:
    if not (NEKMO_DIR / "akismet" / "__init__.py").is_file():
        pytest.skip(f"python-akismet is not installed in {NEKMO_DIR} (make install-test "
                    "puts it there; it cannot share site-packages with ubernostrum's akismet)")
    held = {**author(HELD), "comment_content": HELD["fields"]["comment"] + " Again."}
    cases = {"check": {"ham": author(ACCEPTED), "held": held,
                       "discard": {**author(ACCEPTED), "comment_content": REJECTED}},
             "spam": held,
             "ham": {**author(ACCEPTED), "comment_content": "A plain reader's reply."}}
    env = {**os.environ, "PYTHONPATH": str(NEKMO_DIR)}
    done = subprocess.run([sys.executable, "-c", NEKMO_SCRIPT, str(server.port), KEY],
                          input=json.dumps(cases), capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert (out["ham"], out["held"], out["discard"]) == ("Ham", "ProbableSpam", "DefiniteSpam")
    assert out["submitted"] is True
    assert "12-character key" in out["wrong_key"]  # the debug-help reached the client
    rejected = admin_get(server, "/v1/queue?status=rejected")["items"]
    assert held["comment_content"] in [i["text"] for i in rejected]
    labels = admin_get(server, "/v1/admin/labels?site=default")["items"]
    assert ("A plain reader's reply.", "other", "akismet") in {
        (r["text"], r["label"], r["origin"]) for r in labels}
