"""examples/django_app through Django's test client, on the shipped policy and model.

Django's settings belong to the whole process: they are configured here, once, with the
example's URLs and views and a review store in a temporary folder.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import django
import pytest
from django.conf import settings
from django.test import Client

from moderator.paths import DEFAULT_MODELS_DIR, DEFAULT_POLICY_DIR

SITE_DIR = Path(__file__).resolve().parents[2] / "examples" / "django_app"
GOOD = {"comment": "The men arrested for recording that video should face a fair trial.",
        "name": "Aigerim", "email": "aigerim@example.kz"}


@pytest.fixture(scope="module")
def views(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The example's views module, with Django configured for it."""
    if settings.configured:
        pytest.skip("Django settings were already configured by another test")
    store = tmp_path_factory.mktemp("django") / "held.sqlite3"
    sys.path.insert(0, str(SITE_DIR))
    settings.configure(
        DEBUG=False, SECRET_KEY="test-only", ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF="comment_site.urls", INSTALLED_APPS=[], DATABASES={},
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
        MODERATOR_POLICY_DIR=DEFAULT_POLICY_DIR, MODERATOR_MODELS_DIR=DEFAULT_MODELS_DIR,
        MODERATOR_DATABASE_URL=f"sqlite:///{store}")
    django.setup()
    module = importlib.import_module("comment_site.views")
    yield module
    if module.moderator.cache_info().currsize:
        module.moderator().store.close()
    sys.path.remove(str(SITE_DIR))


def test_the_page_renders_the_policy_form_with_a_csrf_token(views: ModuleType) -> None:
    page = Client().get("/").content.decode()
    assert 'name="email" maxlength=254 required' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_an_accepted_comment_is_published(views: ModuleType) -> None:
    posted = Client().post("/comments", GOOD)
    assert posted.status_code == 201 and posted.json() == {"status": "published"}
    assert "should face a fair trial" in Client().get("/").content.decode()


def test_a_rejected_comment_gets_its_reasons_beside_each_field(views: ModuleType) -> None:
    posted = Client().post("/comments", {"comment": "j.o.i.n  t.h.e  c.a.l.i.p.h.a.t.e",
                                         "name": "", "email": "not-an-email"})
    body = posted.json()
    assert posted.status_code == 422 and body["status"] == "rejected"
    assert body["errors"]["name"] == ["Name is required."]
    assert "This comment contains language that is not allowed here." in body["errors"]["comment"]


def test_a_held_comment_is_stored_for_moderators(views: ModuleType) -> None:
    posted = Client().post("/comments", {"comment": "Полицейлерді өлтіріңдер",
                                         "name": "Ержан", "email": "erzhan@example.kz"})
    body = posted.json()
    assert posted.status_code == 202 and body["status"] == "held"
    items, _ = views.moderator().store.queue("default", "pending", 10, 0)
    assert body["id"] in [item.id for item in items]


def test_a_post_needs_the_csrf_token_of_the_page(views: ModuleType) -> None:
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/comments", GOOD).status_code == 403
    page = browser.get("/").content.decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match is not None
    posted = browser.post("/comments", {**GOOD, "comment": "Thanks for the careful report.",
                                        "csrfmiddlewaretoken": match.group(1)})
    assert posted.status_code == 201
    assert Client().get("/comments").status_code == 405
