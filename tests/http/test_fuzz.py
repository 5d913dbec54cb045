"""Schemathesis against api/openapi.yaml: generated and mutated requests, never a 5xx.

Runs the real app (default policy, shipped model) in-process with a fixed example budget,
both schema-conforming and deliberately invalid requests.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from moderator.http import create_app

REPO = Path(__file__).resolve().parents[2]

# The app lives as long as this module; its review queue goes to a throwaway SQLite file.
_DATABASE_DIR = tempfile.TemporaryDirectory(prefix="moderator-fuzz-")
schema = schemathesis.openapi.from_path(REPO / "api" / "openapi.yaml")
schema.app = create_app(
    {"DATABASE_URL": f"sqlite:///{Path(_DATABASE_DIR.name) / 'fuzz.sqlite3'}"}
)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          negative_data_rejection]


@schema.parametrize()
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_never_fails_on_generated_requests(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
