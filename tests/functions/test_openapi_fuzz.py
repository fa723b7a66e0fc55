"""Schemathesis against the dev app (WSGI, in process): what the OpenAPI document promises is what the
functions do. Every operation gets generated requests, valid and invalid, as a client and as an admin
of a real organization; no answer may be a server error or fall outside the document (status, content
type, headers, body schema), and a request the document rules out must not succeed.

- as the admin: schemathesis's coverage phase (each parameter and field at and past its limits, wrong
  types, missing values; deterministic) plus ``EXAMPLES_PER_OPERATION`` generated requests;
- as the client: ``EXAMPLES_PER_OPERATION`` generated requests.

Deterministic: a fixed seed and derandomized generation, so a run cannot pass or fail by chance.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from infra import devserver
from shared.platform.settings import Secret, Settings, use_settings
from tests.support import db as tdb
from tests.support.tokens import KeyPair

EXAMPLES_PER_OPERATION = 10
"""Generated requests per operation and persona in the fuzzing phase."""
SEED = 20261205
FUZZ_ADDRESS = "198.51.100.77"
"""The address the fuzzer's requests come from: its anonymous rate-limit buckets are its own."""
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)


def _config(*, coverage: bool) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"mode": "all", "max-examples": EXAMPLES_PER_OPERATION, "deterministic": True},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": coverage},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )


def _app() -> Any:
    """The dev app as `fintrack dev` serves it; its requests come from the fuzzer's own address."""
    app = devserver.build_app()
    wsgi = app.wsgi_app

    def from_fuzz_address(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ["REMOTE_ADDR"] = FUZZ_ADDRESS
        return wsgi(environ, start_response)

    app.wsgi_app = from_fuzz_address  # type: ignore[method-assign]
    return app


# Loaded at collection: serving /openapi.json needs no settings or database; the calls do (fixtures).
as_admin = schemathesis.openapi.from_wsgi("/openapi.json", _app(), config=_config(coverage=True))
as_client = schemathesis.openapi.from_wsgi("/openapi.json", _app(), config=_config(coverage=False))
cases: Counter[str] = Counter()


@pytest.fixture(scope="module")
def dev_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The settings of the local stack: files in a local directory, download links signed."""
    configured = dataclasses.replace(
        settings,
        storage_dir=str(tmp_path_factory.mktemp("fuzz-storage")),
        signing_secret=Secret("fuzz-signing-secret-with-enough-bytes"),
    )
    use_settings(configured)
    yield configured
    use_settings(settings)


@pytest.fixture(scope="module")
def tokens(dev_settings: Settings, keys: KeyPair, database_url: str) -> Iterator[dict[str, str]]:
    """An organization of its own with an admin and a client who owns a company."""
    with tdb.connect(database_url) as conn:
        conn.autocommit = True
        org = tdb.make_org(conn, "Cabinet Fuzz")
        admin, client = tdb.make_user(conn), tdb.make_user(conn)
        tdb.add_member(conn, org, admin, "admin")
        tdb.add_member(conn, org, client, "client")
        tdb.make_company(conn, org, name="Fuzz SARL", users=(client,))
    exp = int(time.time()) + 3600
    yield {"client": keys.token(client, exp=exp), "admin": keys.token(admin, exp=exp)}
    print(f"\nschemathesis: {sum(cases.values())} cases, by persona and status {dict(cases)}", file=sys.stderr)


def _check(case: schemathesis.Case, who: str, token: str) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    response = case.call_and_validate()
    cases[f"{who} {response.status_code // 100}xx"] += 1


@as_admin.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
def test_as_an_admin_the_functions_do_what_their_openapi_document_says(
    case: schemathesis.Case, tokens: dict[str, str]
) -> None:
    _check(case, "admin", tokens["admin"])


@as_client.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
def test_as_a_client_the_functions_do_what_their_openapi_document_says(
    case: schemathesis.Case, tokens: dict[str, str]
) -> None:
    _check(case, "client", tokens["client"])
