"""No request a client can send produces a 500: every operation of the OpenAPI schema,
fuzzed from the schema itself, through the real request path, as the manager of a tenant.

Each operation gets a few generated requests (valid and invalid); the contract
only asks that none of them is answered with a server error. Writes happen
inside the test's transaction and are rolled back.
"""

import json

import pytest
import schemathesis
from django.db import connection, transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.config import SchemathesisConfig

from tests.conftest import bearer

pytestmark = pytest.mark.django_db


def _spec() -> dict:
    generated = SchemaGenerator(urlconf="config.urls_tenant").get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


# Valid and invalid requests, generated; the exhaustive boundary cases of the coverage
# phase are left to an external run (they take ten times as long as the rest of the suite).
CONFIG = {"phases": {"coverage": {"enabled": False}}, "generation": {"mode": "all"}}
schema = schemathesis.openapi.from_dict(_spec(), config=SchemathesisConfig.from_dict(CONFIG))


@schema.parametrize()
@settings(
    max_examples=20,
    # Same cases on every run, so a red build can be reproduced.
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_produces_a_server_error(case, alpha):
    client = APIClient(HTTP_HOST=alpha.domain)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {bearer(alpha, alpha.users['manager'])}")
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    method = kwargs["method"]
    path = kwargs["url"].removeprefix("http://testserver")
    params = kwargs.get("params") or {}
    if kwargs.get("json") is not None:
        body, content_type = json.dumps(kwargs["json"]), "application/json"
    elif kwargs.get("data") is not None:
        body, content_type = (
            kwargs["data"],
            kwargs.get("headers", {}).get("Content-Type", "application/octet-stream"),
        )
    else:
        body, content_type = "", "application/json"
    if isinstance(body, dict):
        body = json.dumps(body)
    query = "&".join(
        f"{k}={v}"
        for k, values in params.items()
        for v in (values if isinstance(values, list) else [values])
    )

    # Each request in a savepoint, as each is its own transaction in production: a refused
    # one rolls back to here and leaves the test's transaction usable for the next example.
    with transaction.atomic():
        response = client.generic(
            method, f"{path}?{query}" if query else path, body, content_type=content_type
        )

    assert response.status_code < 500, (method, path, params, body, response.content[:500])
    connection.set_schema_to_public()
