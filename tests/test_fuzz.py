"""The OpenAPI schema is the contract, and the API keeps it: every operation of the
schema, fuzzed from the schema itself with every schemathesis check, through the real
request path (Django's WSGI application), as the manager of a tenant.

Each operation gets generated requests, valid and invalid; every answer must be
documented (status, content type, headers, body), valid requests must be accepted,
invalid ones refused, and nothing may be a server error. Writes happen inside the
test's transaction and are rolled back.
"""

import json
from datetime import timedelta

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.config._checks import (
    POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES as POSITIVE_ACCEPTED,
)

from cmms_sync.models import Connection, FieldMapping, SyncRun
from sla.services.monitor import monitor_pass
from tests.conftest import _wipe_tenant, bearer

pytestmark = pytest.mark.django_db


def _spec() -> dict:
    generated = SchemaGenerator(urlconf="config.urls_tenant").get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


class InTransactionApp:
    """Django's WSGI application, called in the test's thread and transaction.

    Like Django's test client, it keeps the connection open across requests (the
    request signals would otherwise close it mid-transaction).
    """

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            result = self.handler(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                result.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
            connection.set_schema_to_public()
        return [body]


# Valid and invalid requests, generated; the exhaustive boundary cases of the coverage
# phase are left to an external run (they take ten times as long as the rest of the suite).
#
# NUL characters are not generated: PostgreSQL text cannot hold them, and every string
# field refuses them (400) where OpenAPI has no way to say so.
#
# Writes (POST, PUT, PATCH) may refuse a schema-valid body with 400: a body names other
# objects by id (which may not exist) and carries rules across fields (a calendar's
# days and hours, a schedule's assets or asset type) that OpenAPI cannot state. Every
# other check, and this one on every other read, holds as it comes. The same goes for
# the reads whose parameters have such a rule: a window's start before its end, a
# forecast at most ten years ahead.
MAY_REFUSE = [*POSITIVE_ACCEPTED, "400"]
CROSS_PARAMETER_READS = (
    "^/api/v1/(assets/statistics|preventive-maintenance/statistics"
    "|preventive-maintenance/schedules/[^/]+/forecast"
    "|sla/performance|analytics/(overview|trends|costs|device-performance|predictive-insights)"
    "|iot/devices/[^/]+/metrics)/$"
)
CONFIG = {
    "phases": {"coverage": {"enabled": False}},
    "generation": {"mode": "all", "allow-x00": False},
    "operations": [
        # Metric readings are judged one by one: a batch with bad readings is accepted
        # (202) with each refused by its index, as the contract says, so a schema-invalid
        # reading is not a refused request.
        {
            "include-path-regex": "^/api/v1/iot/metrics/$",
            "checks": {
                "positive_data_acceptance": {"expected-statuses": MAY_REFUSE},
                "negative_data_rejection": {"enabled": False},
            },
        },
        {
            "include-method-regex": "^(POST|PUT|PATCH)$",
            "checks": {"positive_data_acceptance": {"expected-statuses": MAY_REFUSE}},
        },
        {
            "include-path-regex": CROSS_PARAMETER_READS,
            "checks": {"positive_data_acceptance": {"expected-statuses": MAY_REFUSE}},
        },
    ],
}
schema = schemathesis.openapi.from_dict(_spec(), config=SchemathesisConfig.from_dict(CONFIG))
schema.app = InTransactionApp()
load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())
# The checks passed by name override the configuration's "enabled": the metrics route's
# exception is applied here too.
CHECKS_BY_PATH = {
    "/api/v1/iot/metrics/": [
        check for check in ALL_CHECKS if check.__name__ != "negative_data_rejection"
    ],
}
# The manager's token of the test tenant, set by the test before each case is sent.
SIGNED_IN: dict[str, str] = {}


@schema.auth()
class ManagerToken:
    """Signs each case in, so schemathesis knows which header is the credential (it
    varies or drops it itself when it checks that routes refuse bad credentials)."""

    def get(self, case, ctx):
        return SIGNED_IN["token"]

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _real_path(route: str, generated: dict, ids: dict, step: int) -> dict:
    # As text, like the generated values: schemathesis re-checks a case changed here.
    real = dict(generated)
    for name in ("asset_id", "device_id"):
        if name in real:
            real[name] = "FZ-1"
    if "step_id" in real:
        real["step_id"] = str(step)
    collection = route.split("{id}")[0]
    if "id" in real and collection in ids:
        real["id"] = str(ids[collection])
    return real


@pytest.fixture
def signed_in(alpha):
    # Set before hypothesis generates the cases: the token is put on each as it is made.
    SIGNED_IN["token"] = bearer(alpha, alpha.users["manager"])


@schema.parametrize()
@settings(
    max_examples=20,
    # Same cases on every run, so a red build can be reproduced.
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_the_contract(case, signed_in, fuzz_objects, alpha):
    _, ids, step = fuzz_objects
    if case.path_parameters and case.meta.generation.mode.is_positive:
        # Valid requests name real objects, so detail routes answer with them (and their
        # answers are checked against the schema) instead of a 404.
        case.path_parameters = _real_path(case.operation.path, case.path_parameters, ids, step)

    # Each request in a savepoint, as each is its own transaction in production: a refused
    # one rolls back to here and leaves the test's transaction usable for the next example.
    with transaction.atomic():
        case.call_and_validate(
            base_url=f"http://{alpha.domain}",
            checks=CHECKS_BY_PATH.get(case.operation.path, ALL_CHECKS),
        )
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


@pytest.fixture(scope="module")
def fuzz_objects(django_db_blocker, test_tenants):
    """One object of each kind, so every detail route finds what it names.

    Made once and committed, for all the tests of this module (each of which rolls its
    own writes back); the tenant's data is wiped after them.
    """
    alpha = test_tenants["alpha"]
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        yield _make_fuzz_objects(alpha)
        connection.set_schema_to_public()
        _wipe_tenant(alpha)


def _make_fuzz_objects(alpha):
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
        "/api/v1/sla/config/": make(
            "/api/v1/sla/config/",
            {
                "name": "Fuzz policy",
                "priority": "critical",
                "response_minutes": 1,
                "resolution_minutes": 2,
                "escalation": [{"after_minutes": 0, "notify_roles": ["manager"]}],
            },
        )["id"],
        "/api/v1/notifications/channels/": make(
            "/api/v1/notifications/channels/",
            {"kind": "email", "roles": ["manager"], "events": ["sla:violation"]},
        )["id"],
        "/api/v1/work-requests/": make("/api/v1/work-requests/", {"title": "R"})["id"],
        "/api/v1/analytics/budgets/": make(
            "/api/v1/analytics/budgets/", {"month": "2026-01-01", "amount": 100}
        )["id"],
        "/api/v1/iot/device-tokens/": make("/api/v1/iot/device-tokens/", {"device_id": "FZ-1"})[
            "id"
        ],
    }
    # Readings of FZ-1, a spike among them, so anomalies and diagnostics have objects.
    now = timezone.now()
    readings = [
        {
            "device_id": "FZ-1",
            "metric": "flow",
            "value": 50.0 if i == 39 else 1.0 + (i % 3) / 10,
            "timestamp": (now - timedelta(minutes=40 - i)).isoformat(),
        }
        for i in range(40)
    ]
    ingested = client.post("/api/v1/iot/metrics/", readings, format="json")
    assert ingested.status_code == 202, ingested.content
    ids["/api/v1/iot/anomalies/"] = client.get("/api/v1/iot/anomalies/").json()["results"][0]["id"]
    trained = client.post("/api/v1/iot/models/train/", {}, format="json")
    assert trained.status_code == 202, trained.content
    ids["/api/v1/iot/models/"] = trained.json()["id"]
    ran = client.post("/api/v1/diagnostics/run/", {"asset_id": "FZ-1", "test_type": "full"})
    assert ran.status_code == 201, ran.content
    # Written directly: a connection's api_url must pass the outbound guard, and the fuzz
    # must call nothing. This one points at a port the guard refuses, so test/ and any
    # run stop at the guard.
    with tenant_context(alpha.tenant):
        cmms = Connection.objects.create(
            cmms_type="maintainx",
            connection_name="Fuzz",
            api_url="http://127.0.0.1:9",
            credentials={"api_key": "k"},
        )
        ids["/api/v1/cmms/connections/"] = cmms.pk
        ids["/api/v1/cmms/field-mappings/"] = FieldMapping.objects.create(
            connection=cmms, entity="work_order", external_field="t", internal_field="title"
        ).pk
        ids["/api/v1/cmms/sync-runs/"] = SyncRun.objects.create(
            connection=cmms, entity="all", direction="pull", status="succeeded"
        ).pk
    step = client.get(f"/api/v1/work-orders/{work_order['id']}/steps/").json()[0]["id"]
    # A late critical work order, so the monitor records a violation and its e-mail.
    make(
        "/api/v1/work-orders/",
        {"title": "Late", "priority": "critical", "reported_at": "2020-01-01T00:00:00Z"},
    )
    with tenant_context(alpha.tenant):
        monitor_pass()
        monitor_pass()
    ids["/api/v1/sla/violations/"] = client.get("/api/v1/sla/violations/").json()["results"][0][
        "id"
    ]
    ids["/api/v1/notifications/deliveries/"] = client.get(
        "/api/v1/notifications/deliveries/"
    ).json()["results"][0]["id"]
    client.post(
        f"/api/v1/inventory/parts/{part['id']}/restock/",
        {"quantity": 5, "unit_cost": 2, "location": ids["/api/v1/inventory/stock-locations/"]},
        format="json",
    )
    upload = client.post(
        f"/api/v1/work-orders/{work_order['id']}/attachments/",
        {"file": SimpleUploadedFile("manual.pdf", b"%PDF-1.4\n" + b"0" * 100)},
        format="multipart",
    )
    assert upload.status_code == 201, upload.content
    ids["/api/v1/attachments/"] = upload.json()["id"]
    ids["/api/v1/audit-log/"] = client.get("/api/v1/audit-log/").json()["results"][0]["id"]
    ids["/api/v1/inventory/stock-levels/"] = client.get("/api/v1/inventory/stock-levels/").json()[
        "results"
    ][0]["id"]
    ids["/api/v1/inventory/stock-movements/"] = client.get(
        "/api/v1/inventory/stock-movements/"
    ).json()["results"][0]["id"]
    return client, ids, step


def _concrete(route: str, ids: dict, step: int) -> str:
    path = route.replace("{asset_id}", "FZ-1").replace("{device_id}", "FZ-1")
    path = path.replace("{step_id}", str(step))
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


def _json_write_operations() -> list:
    return [
        pytest.param(method, route, id=f"{method} {route}")
        for route, item in SPEC["paths"].items()
        for method in WRITE_METHODS
        if "application/json" in item.get(method, {}).get("requestBody", {}).get("content", {})
    ]


@pytest.mark.parametrize(("method", "route"), _json_write_operations())
def test_every_write_refuses_a_field_it_does_not_know(fuzz_objects, method, route):
    client, ids, step = fuzz_objects
    path = _concrete(route, ids, step)

    with transaction.atomic():
        response = client.generic(
            method.upper(), path, json.dumps({"no_such_field": 1}), content_type="application/json"
        )
    connection.set_schema_to_public()

    assert response.status_code == 400, (path, response.status_code, response.content[:300])
    assert "no_such_field" in response.json(), (path, response.content[:300])
