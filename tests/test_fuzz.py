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


# --- Numbers that overflow and documents nested too deep, on every write route ---------
#
# Generated from the schema: every integer property of every JSON request body (nested
# ones included) gets a number that overflows a float (1e309) and one that overflows a
# bigint, and every body is also sent nested thousands of levels deep. The routes are
# called on real objects, so detail routes read their bodies instead of answering 404.

SPEC = _spec()
WRITE_METHODS = ("post", "put", "patch")
OVERFLOWS = ("1e309", "-1e309", str(10**30), "1" + "0" * 400)
DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    for combinator in ("allOf", "oneOf", "anyOf"):
        if combinator in schema:
            merged: dict = {}
            for part in schema[combinator]:
                part = _resolve(part)
                merged.setdefault("properties", {}).update(part.get("properties", {}))
                merged.setdefault("type", part.get("type"))
            return merged
    return schema


def _integer_paths(schema: dict, depth: int = 0) -> list[list]:
    """Where integers go in a body: [name, name, ...] with 0 for 'first item of a list'."""
    schema = _resolve(schema)
    if depth > 4:
        return []
    if schema.get("type") == "integer":
        return [[]]
    if schema.get("type") == "array" and "items" in schema:
        return [[0, *rest] for rest in _integer_paths(schema["items"], depth + 1)]
    found = []
    for name, prop in schema.get("properties", {}).items():
        if _resolve(prop).get("readOnly"):
            continue
        found += [[name, *rest] for rest in _integer_paths(prop, depth + 1)]
    return found


def _body_with(path: list, placeholder: str):
    if not path:
        return placeholder
    head, *rest = path
    inner = _body_with(rest, placeholder)
    return [inner] if head == 0 else {head: inner}


def _write_cases() -> list:
    cases = []
    for route, item in SPEC["paths"].items():
        for method in WRITE_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            bodies = [DEEP, DEEP_OBJECT]
            if "application/json" in content:
                for path in _integer_paths(content["application/json"]["schema"]):
                    template = json.dumps(_body_with(path, "@N@"))
                    bodies += [template.replace('"@N@"', number) for number in OVERFLOWS]
            reads_json = "application/json" in content
            cases.append(pytest.param(method, route, bodies, reads_json, id=f"{method} {route}"))
    return cases


@pytest.fixture
def fuzz_objects(alpha):
    """One object of each kind, so every detail route finds what it names."""
    client = APIClient(HTTP_HOST=alpha.domain)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {bearer(alpha, alpha.users['manager'])}")

    def make(path: str, body: dict) -> dict:
        response = client.post(path, body, format="json")
        assert response.status_code == 201, (path, response.content)
        return response.json()

    make("/api/v1/assets/", {"asset_id": "FZ-1", "name": "Fuzz pump", "asset_type": "equipment"})
    part = make("/api/v1/inventory/parts/", {"part_number": "FZ-P", "name": "Bearing"})
    vendor = make("/api/v1/inventory/vendors/", {"name": "Acme"})
    work_order = make("/api/v1/work-orders/", {"title": "W", "steps": [{"title": "s1"}]})
    make(
        "/api/v1/asset-thresholds/",
        {"metric": "temperature", "operator": "gt", "value": 10, "asset": "FZ-1"},
    )
    make("/api/v1/assets/FZ-1/performance/", {"temperature": 999})
    ids = {
        "/api/v1/alerts/": client.get("/api/v1/alerts/").json()["results"][0]["id"],
        "/api/v1/asset-thresholds/": client.get("/api/v1/asset-thresholds/").json()["results"][0][
            "id"
        ],
        "/api/v1/inventory/parts/": part["id"],
        "/api/v1/inventory/vendors/": vendor["id"],
        "/api/v1/inventory/purchase-orders/": make(
            "/api/v1/inventory/purchase-orders/",
            {
                "vendor": vendor["id"],
                "lines": [{"part": part["id"], "quantity": 2, "unit_cost": 1}],
            },
        )["id"],
        "/api/v1/inventory/stock-locations/": make(
            "/api/v1/inventory/stock-locations/", {"code": "FZ", "name": "Fuzz store"}
        )["id"],
        "/api/v1/locations/": make("/api/v1/locations/", {"name": "Hall", "kind": "building"})[
            "id"
        ],
        "/api/v1/maintenance/calendars/": make(
            "/api/v1/maintenance/calendars/",
            {
                "name": "Week",
                "timezone": "UTC",
                "working_days": [0],
                "working_hours": ["08:00-17:00"],
            },
        )["id"],
        "/api/v1/preventive-maintenance/schedules/": make(
            "/api/v1/preventive-maintenance/schedules/",
            {"name": "S", "trigger_type": "manual", "assets": ["FZ-1"]},
        )["id"],
        "/api/v1/users/": make(
            "/api/v1/users/", {"username": "fz", "password": "Very-Long-Pass-99"}
        )["id"],
        "/api/v1/work-order-templates/": make("/api/v1/work-order-templates/", {"name": "T"})["id"],
        "/api/v1/work-orders/": work_order["id"],
        "/api/v1/work-requests/": make("/api/v1/work-requests/", {"title": "R"})["id"],
    }
    step = client.get(f"/api/v1/work-orders/{work_order['id']}/steps/").json()[0]["id"]
    return client, ids, step


def _concrete(route: str, ids: dict, step: int) -> str:
    path = route.replace("{asset_id}", "FZ-1").replace("{step_id}", str(step))
    if "{id}" in path:
        collection = path.split("{id}")[0]
        path = path.replace("{id}", str(ids[collection]))
    return path


@pytest.mark.parametrize(("method", "route", "bodies", "reads_json"), _write_cases())
def test_overflowing_numbers_and_deep_nesting_are_refused_not_500(
    fuzz_objects, method, route, bodies, reads_json
):
    client, ids, step = fuzz_objects
    path = _concrete(route, ids, step)

    for body in bodies:
        with transaction.atomic():
            response = client.generic(method.upper(), path, body, content_type="application/json")
        connection.set_schema_to_public()

        assert response.status_code < 500, (method, path, body[:200], response.content[:500])
        if reads_json and (body in (DEEP, DEEP_OBJECT) or "1e309" in body):
            # Refused at parsing, whatever the route would have done with it.
            assert response.status_code == 400, (path, body[:100], response.content[:300])
