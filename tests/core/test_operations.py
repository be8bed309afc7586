"""Operations surfaces: liveness, host matching, schema formats, error bodies, the admin."""

import json

import pytest
from django.test import Client, override_settings

from tests.live import ROOT

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "nobody.example.com"])
def test_liveness_answers_on_every_host_without_touching_a_dependency(
    host, django_assert_num_queries, monkeypatch
):
    def unreachable() -> None:
        raise AssertionError("liveness must not check dependencies")

    monkeypatch.setattr("core.health.run_checks", unreachable)
    with django_assert_num_queries(0):
        response = Client(HTTP_HOST=host).get("/health/live", follow=False)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_container_health_check_probes_liveness():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "/health/live" in dockerfile


def test_tenant_hosts_match_case_insensitively(api, alpha):
    client = api("viewer")
    client.defaults["HTTP_HOST"] = alpha.domain.upper()

    response = client.get("/api/v1/auth/me/")

    assert response.status_code == 200, response.content
    assert response.json()["tenant"]["schema"] == alpha.schema


def test_public_hosts_match_case_insensitively():
    response = Client(HTTP_HOST="LOCALHOST").get("/admin/login/")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "content_type"),
    [
        ("?format=json", "application/vnd.oai.openapi+json"),
        ("?format=yaml", "application/vnd.oai.openapi"),
        ("", "application/vnd.oai.openapi"),
    ],
)
def test_schema_answers_the_format_asked_for(api, query, content_type):
    response = api("viewer").get(f"/api/schema/{query}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    if "json" in content_type:
        assert json.loads(response.content)["openapi"].startswith("3.")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_body_over_the_size_limit_answers_json(api):
    response = api("manager").post(
        "/api/v1/work-orders/",
        data=json.dumps({"title": "x" * 4096}),
        content_type="application/json",
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_an_unknown_api_route_answers_json(api):
    response = api("viewer").get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("model", ["outstandingtoken", "blacklistedtoken"])
def test_the_tenant_admin_never_shows_tokens(admin_client, model):
    client = admin_client("manager")

    index = client.get("/admin/")
    page = client.get(f"/admin/token_blacklist/{model}/")

    assert "token_blacklist" not in index.content.decode()
    assert page.status_code == 404
