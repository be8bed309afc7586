"""Conventions every endpoint shares: error shapes, rate limits, schema and docs, no 500s."""

import pytest
import redis
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_openapi_schema_and_swagger_ui_are_served(api):
    client = api(None)

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert "/api/v1/users/" in schema.json()["paths"]
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_unknown_host_is_a_plain_404(db):
    response = APIClient(HTTP_HOST="nobody.localhost").get("/api/v1/auth/me/")

    assert response.status_code == 404


def test_public_domain_serves_no_tenant_api(db):
    assert APIClient(HTTP_HOST="localhost").get("/api/v1/users/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/users/99999999999999999999999/",
        "/api/v1/users/-1/",
        "/api/v1/users/abc/",
        "/api/v1/audit-log/1e9/",
    ],
)
def test_odd_ids_are_404_not_500(api, path):
    assert api("manager").get(path).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"page": "999999"},
        {"page": "x"},
        {"page_size": "-5"},
        {"page_size": "many"},
        {"ordering": "password"},
        {"ordering": "nonsense,,-"},
        {"search": "\x00"},
        {"role": "emperor"},
        {"is_active": "perhaps"},
    ],
)
def test_odd_query_parameters_never_produce_a_500(api, query):
    response = api("manager").get("/api/v1/users/", query)

    assert response.status_code < 500
    assert response.status_code in {200, 400, 404}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ('"a string"', "application/json"),
        ("[1, 2]", "application/json"),
        ('{"username": "nul\\u0000", "password": "Correct-Horse-42!"}', "application/json"),
        ('{"username": ["list"], "password": {"a": 1}}', "application/json"),
        ("username=x", "text/plain"),
        (
            '{"username": "big", "password": "Correct-Horse-42!", "hourly_rate": 1e400}',
            "application/json",
        ),
        (
            '{"username": "neg", "password": "Correct-Horse-42!", "hourly_rate": "99999999999999"}',
            "application/json",
        ),
    ],
)
def test_malformed_bodies_are_4xx(api, body, content_type):
    response = api("manager").generic("POST", "/api/v1/users/", body, content_type=content_type)

    assert 400 <= response.status_code < 500, response.content


def test_validation_errors_are_field_keyed_lists(api):
    response = api("manager").post("/api/v1/users/", {"username": "x"})

    assert response.status_code == 400
    body = response.json()
    assert isinstance(body["password"], list)
    assert isinstance(body["password"][0], str)


def test_conflicts_carry_detail_and_code(api, alpha):
    response = api("manager").delete(f"/api/v1/users/{alpha.users['manager'].pk}/")

    assert response.status_code == 409
    assert set(response.json()) == {"detail", "code"}


@override_settings(RATE_LIMIT_USER_PER_MINUTE=5)
def test_user_rate_limit_answers_429_with_retry_after(api):
    client = api("viewer")
    statuses = [client.get("/api/v1/auth/me/").status_code for _ in range(6)]

    assert statuses == [200] * 5 + [429]
    last = client.get("/api/v1/auth/me/")
    assert last.status_code == 429
    assert 1 <= int(last["Retry-After"]) <= 60
    # Another user of the same tenant has their own allowance.
    assert api("planner").get("/api/v1/auth/me/").status_code == 200


@override_settings(RATE_LIMIT_ANON_PER_MINUTE=3)
def test_anonymous_rate_limit_counts_the_connection_not_a_forwarded_for_header(alpha):
    statuses = [
        APIClient(HTTP_HOST=alpha.domain, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        .post("/api/v1/auth/token/", {"username": f"u{n}", "password": "x"}, format="json")
        .status_code
        for n in range(4)
    ]

    assert statuses == [401, 401, 401, 429]


@override_settings(RATE_LIMIT_TENANT_PER_MINUTE=4)
def test_tenant_rate_limit_covers_all_users_of_a_tenant_and_only_that_tenant(api, alpha, beta):
    roles = ["viewer", "planner", "technician", "manager"]
    for role in roles:
        assert api(role).get("/api/v1/auth/me/").status_code == 200

    assert api("requester").get("/api/v1/auth/me/").status_code == 429
    assert api("viewer", tenant=beta).get("/api/v1/auth/me/").status_code == 200


def test_rate_limit_counters_live_under_the_tenants_prefix(api, alpha, beta):
    api("viewer").get("/api/v1/auth/me/")
    api("viewer", tenant=beta).get("/api/v1/auth/me/")

    keys = [key.decode() for key in redis.Redis.from_url(settings.REDIS_URL).keys("*ratelimit*")]

    assert keys
    assert {key.split(":", 1)[0] for key in keys} == {alpha.schema, beta.schema}


def test_rate_limiter_lets_requests_through_when_redis_is_down(api):
    dead = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    client = api("viewer")
    with override_settings(CACHES=dead):
        assert client.get("/api/v1/auth/me/").status_code == 200
