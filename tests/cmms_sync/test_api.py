"""The CMMS sync API: connections with write-only credentials, the outbound guard on
api_url, test/, field mappings, sync requests (202, 409), runs, roles and tenancy."""

import pytest
from django.db import connection as db
from django_tenants.utils import tenant_context

from cmms_sync.models import Connection, SyncRun
from tests.cmms_sync.fake_vendors import FakeMaintainX, FakeUpKeep

pytestmark = pytest.mark.django_db

SECRET = "s3cret-Never-Shown"


def body(url: str, **extra) -> dict:
    return {
        "cmms_type": "upkeep",
        "connection_name": "North plant",
        "api_url": url,
        "credentials": {"email": FakeUpKeep.email, "password": SECRET},
        "options": {"page_size": 50},
        "direction": "both",
        "schedule_minutes": 60,
        **extra,
    }


def test_credentials_are_write_only_and_stored_encrypted(api, alpha):
    client = api("manager")
    with FakeUpKeep() as fake:
        created = client.post("/api/v1/cmms/connections/", body(fake.url), format="json")

    assert created.status_code == 201, created.json()
    assert "credentials" not in created.json()
    assert SECRET not in created.content.decode()
    detail = client.get(f"/api/v1/cmms/connections/{created.json()['id']}/")
    assert SECRET not in detail.content.decode()
    with tenant_context(alpha.tenant), db.cursor() as cursor:
        cursor.execute("SELECT credentials FROM cmms_sync_connection")
        (stored,) = cursor.fetchone()
    assert SECRET not in stored
    assert stored.startswith("enc:")
    audit = client.get("/api/v1/audit-log/").content.decode()
    assert SECRET not in audit


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/",
        "https://10.1.2.3/",
        "https://192.168.0.10/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://2130706433/",
        "https://0177.0.0.1/",
        "https://localhost/",
        "http://93.184.215.14/",
        "ftp://example.com/",
    ],
)
def test_api_url_outside_what_the_guard_allows_is_a_400_on_api_url(api, url, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    response = api("manager").post("/api/v1/cmms/connections/", body(url), format="json")

    assert response.status_code == 400
    assert "api_url" in response.json()


def test_updating_api_url_to_a_private_address_is_refused(api):
    client = api("manager")
    with FakeUpKeep() as fake:
        created = client.post("/api/v1/cmms/connections/", body(fake.url), format="json").json()
    response = client.patch(
        f"/api/v1/cmms/connections/{created['id']}/", {"api_url": "https://10.0.0.1"}, format="json"
    )

    assert response.status_code == 400
    assert "api_url" in response.json()


def test_missing_or_unknown_credentials_are_a_400(api):
    client = api("manager")
    with FakeUpKeep() as fake:
        missing = client.post(
            "/api/v1/cmms/connections/",
            body(fake.url, credentials={"email": "a@b.c"}),
            format="json",
        )
        none = client.post(
            "/api/v1/cmms/connections/",
            {k: v for k, v in body(fake.url).items() if k != "credentials"},
            format="json",
        )

    assert missing.status_code == none.status_code == 400
    assert "credentials" in missing.json()


def test_test_endpoint_says_whether_the_vendor_accepts_the_credentials(api):
    client = api("manager")
    with FakeUpKeep() as fake:
        good = client.post("/api/v1/cmms/connections/", body(fake.url), format="json").json()
        client.patch(
            f"/api/v1/cmms/connections/{good['id']}/",
            {"credentials": {"email": FakeUpKeep.email, "password": FakeUpKeep.password}},
            format="json",
        )
        accepted = client.post(f"/api/v1/cmms/connections/{good['id']}/test/").json()
        client.patch(
            f"/api/v1/cmms/connections/{good['id']}/",
            {"credentials": {"email": FakeUpKeep.email, "password": "wrong"}},
            format="json",
        )
        refused = client.post(f"/api/v1/cmms/connections/{good['id']}/test/").json()
    unreachable = client.post(f"/api/v1/cmms/connections/{good['id']}/test/").json()

    assert accepted["ok"] is True
    assert refused["ok"] is False
    assert "credentials" in refused["detail"]
    assert unreachable["ok"] is False
    health = client.get(f"/api/v1/cmms/connections/{good['id']}/").json()["health"]
    assert health == "failing"


def test_a_vendor_redirect_is_never_followed(api, alpha):
    import http.server
    import threading

    hits = []

    class Redirector(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = api("manager")
        created = client.post(
            "/api/v1/cmms/connections/",
            body(
                f"http://127.0.0.1:{server.server_address[1]}",
                cmms_type="maintainx",
                credentials={"api_key": "k"},
            ),
            format="json",
        ).json()
        answer = client.post(f"/api/v1/cmms/connections/{created['id']}/test/").json()
    finally:
        server.shutdown()
        server.server_close()

    assert answer["ok"] is False
    assert "redirect" in answer["detail"]
    assert len(hits) == 1


def test_sync_answers_202_with_the_run_then_409_while_it_is_open(api):
    client = api("manager")
    with FakeMaintainX() as fake:
        created = client.post(
            "/api/v1/cmms/connections/",
            body(fake.url, cmms_type="maintainx", credentials={"api_key": fake.api_key}),
            format="json",
        ).json()
        first = client.post(
            "/api/v1/cmms/sync/work-orders/", {"cmms_connection_id": created["id"]}, format="json"
        )
        second = client.post(
            "/api/v1/cmms/sync/all/", {"cmms_connection_id": created["id"]}, format="json"
        )

    assert first.status_code == 202
    assert set(first.json()) == {"sync_run_id"}
    assert second.status_code == 409
    assert second.json()["code"] == "sync_in_progress"
    run = client.get(f"/api/v1/cmms/sync-runs/{first.json()['sync_run_id']}/").json()
    assert run["status"] == "queued"
    assert run["entity"] == "work_orders"
    assert run["counts"] == {"created": 0, "updated": 0, "skipped": 0, "failed": 0, "pushed": 0}


def test_a_sync_through_the_api_runs_on_the_worker_and_announces_its_end(
    api, alpha, celery_eager, django_capture_on_commit_callbacks
):
    client = api("manager")
    with FakeMaintainX() as fake:
        fake.seed(3)
        created = client.post(
            "/api/v1/cmms/connections/",
            body(fake.url, cmms_type="maintainx", credentials={"api_key": fake.api_key}),
            format="json",
        ).json()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            accepted = client.post(
                "/api/v1/cmms/sync/work-orders/",
                {"cmms_connection_id": created["id"], "direction": "pull"},
                format="json",
            )
    run = client.get(f"/api/v1/cmms/sync-runs/{accepted.json()['sync_run_id']}/").json()

    assert run["status"] == "succeeded", run
    assert run["counts"]["created"] == 3
    assert callbacks  # the task was sent after commit, and the run's end announced
    listed = client.get(
        "/api/v1/work-orders/", {"external_ref__startswith": f"maintainx:{created['id']}:"}
    ).json()
    assert len(listed["results"]) == 3
    other = client.get("/api/v1/work-orders/", {"external_ref__startswith": "upkeep:"}).json()
    assert other["results"] == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"cmms_connection_id": "x"}, "cmms_connection_id"),
        ({"cmms_connection_id": 10**30}, "cmms_connection_id"),
        ({"cmms_connection_id": 999999}, "cmms_connection_id"),
        ({"cmms_connection_id": 1, "direction": "sideways"}, "direction"),
        ({"cmms_connection_id": 1, "extra": 1}, "extra"),
    ],
)
def test_bad_sync_requests_are_a_400(api, payload, field):
    response = api("manager").post("/api/v1/cmms/sync/all/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_field_mappings_are_checked(api):
    client = api("manager")
    with FakeUpKeep() as fake:
        created = client.post("/api/v1/cmms/connections/", body(fake.url), format="json").json()
    base = {"connection": created["id"], "entity": "work_order", "external_field": "category"}
    good = client.post(
        "/api/v1/cmms/field-mappings/",
        {**base, "internal_field": "work_type", "transform": "map", "map": {"fix": "corrective"}},
        format="json",
    )
    twice = client.post(
        "/api/v1/cmms/field-mappings/",
        {**base, "internal_field": "work_type", "transform": "lower"},
        format="json",
    )
    unknown = client.post(
        "/api/v1/cmms/field-mappings/",
        {**base, "internal_field": "total_cost"},
        format="json",
    )
    no_table = client.post(
        "/api/v1/cmms/field-mappings/",
        {**base, "internal_field": "description", "transform": "map"},
        format="json",
    )

    assert good.status_code == 201, good.json()
    assert twice.status_code == unknown.status_code == no_table.status_code == 400
    assert "internal_field" in unknown.json()
    assert "map" in no_table.json()


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("manager", 200, 201),
        ("planner", 200, 403),
        ("technician", 403, 403),
        ("requester", 403, 403),
        ("viewer", 403, 403),
    ],
)
def test_managers_write_planners_read_and_nobody_else_sees_connections(
    api, role, read, write, settings
):
    client = api(role)
    with FakeUpKeep() as fake:
        created = client.post("/api/v1/cmms/connections/", body(fake.url), format="json")

    assert client.get("/api/v1/cmms/connections/").status_code == read
    assert client.get("/api/v1/cmms/sync-runs/").status_code == read
    assert created.status_code == write


def test_connections_and_runs_stay_in_their_tenant(api, alpha, beta):
    ours = api("manager")
    theirs = api("manager", tenant=beta)
    with FakeUpKeep() as fake:
        created = ours.post("/api/v1/cmms/connections/", body(fake.url), format="json").json()
        run = ours.post(
            "/api/v1/cmms/sync/all/", {"cmms_connection_id": created["id"]}, format="json"
        ).json()

    assert theirs.get("/api/v1/cmms/connections/").json()["results"] == []
    assert theirs.get(f"/api/v1/cmms/connections/{created['id']}/").status_code == 404
    assert theirs.get("/api/v1/cmms/sync-runs/").json()["results"] == []
    assert theirs.get(f"/api/v1/cmms/sync-runs/{run['sync_run_id']}/").status_code == 404
    refused = theirs.post(
        "/api/v1/cmms/sync/all/", {"cmms_connection_id": created["id"]}, format="json"
    )
    assert refused.status_code == 400
    with tenant_context(beta.tenant):
        assert not Connection.objects.exists()
        assert not SyncRun.objects.exists()
