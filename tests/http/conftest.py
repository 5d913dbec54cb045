"""App and client fixtures, and a checker that validates responses against api/openapi.yaml."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder, TestResponse
from werkzeug.wrappers import Request

REPO = Path(__file__).resolve().parents[2]
FIXTURE_POLICIES = REPO / "tests" / "fixtures" / "policies"


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    """The real app on the test policies (no classifier) with a 4 KiB body limit."""
    from moderator.http import create_app

    return create_app({"POLICY_DIR": str(FIXTURE_POLICIES), "MODELS_DIR": str(tmp_path),
                       "MAX_BODY_BYTES": 4096, "TESTING": True,
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    return OpenAPI.from_file_path(str(REPO / "api" / "openapi.yaml"))


@pytest.fixture
def conforms(openapi: OpenAPI) -> Callable[[TestResponse], TestResponse]:
    """Assert a response matches the OpenAPI contract for its request; returns it."""

    def check(response: TestResponse) -> TestResponse:
        # The request's body stream is spent by now; response validation needs only the
        # method, path and query, so validate against a body-less copy of the request.
        sent = response.request
        request = Request(EnvironBuilder(method=sent.method, path=sent.path,
                                         query_string=sent.query_string.decode()).get_environ())
        openapi.validate_response(WerkzeugOpenAPIRequest(request),
                                  WerkzeugOpenAPIResponse(response))
        return response

    return check
