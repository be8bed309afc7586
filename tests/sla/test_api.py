"""The SLA routes of the contract: policies, the work order's sla object, violations and
performance; who may do what; bad input refused with nothing changed; tenants apart."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.models import AuditEntry
from maintenance.pm.calendars import calendar_create
from maintenance.services import work_orders
from sla.models import Policy
from sla.services.monitor import monitor_pass
from sla.services.policies import policy_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/sla/config/"


def body(**fields) -> dict:
    return {"name": "Standard", "response_minutes": 60, "resolution_minutes": 480, **fields}


def test_managers_write_policies_and_the_others_read_them(api, in_alpha):
    created = api("manager").post(
        URL,
        body(
            priority="high",
            escalation=[
                {"after_minutes": 30, "notify_roles": ["manager"]},
                {"after_minutes": 0, "notify_users": [in_alpha.users["planner"].pk]},
            ],
        ),
        format="json",
    )

    assert created.status_code == 201, created.content
    policy = created.json()
    assert policy["warning_threshold_percent"] == 80
    assert policy["calendar"] is None
    assert policy["work_type"] is None
    # Steps run in order of their minutes.
    assert [step["after_minutes"] for step in policy["escalation"]] == [0, 30]
    assert AuditEntry.objects.filter(action="sla_policy.create").exists()
    for role in ("planner", "technician", "viewer", "requester"):
        assert api(role).get(f"{URL}{policy['id']}/").status_code == 200, role
        assert api(role).post(URL, body(name=role), format="json").status_code == 403, role
        assert (
            api(role).patch(f"{URL}{policy['id']}/", {"active": False}, format="json").status_code
            == 403
        )
    assert Policy.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"priority": "urgent"}, "priority"),
        ({"work_type": "repair"}, "work_type"),
        ({"asset_criticality": "extreme"}, "asset_criticality"),
        ({"response_minutes": -5}, "response_minutes"),
        ({"resolution_minutes": 0}, "resolution_minutes"),
        ({"response_minutes": 600, "resolution_minutes": 60}, "resolution_minutes"),
        ({"warning_threshold_percent": 150}, "warning_threshold_percent"),
        ({"escalation": [{"after_minutes": -1, "notify_roles": ["manager"]}]}, "escalation"),
        ({"escalation": [{"after_minutes": 5, "notify_roles": ["boss"]}]}, "escalation"),
        ({"escalation": [{"after_minutes": 5}]}, "escalation"),
        ({"escalation": [{"after_minutes": 5, "notify_users": [1], "page": 1}]}, "escalation"),
        ({"escalation": [{"after_minutes": 5, "notify_users": [987654]}]}, "escalation"),
        ({"calendar": 987654}, "calendar"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(api, in_alpha, change, field):
    response = api("manager").post(URL, body(**change), format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Policy.objects.exists()


def test_calendars_and_people_of_another_tenant_are_not_found(api, alpha, beta):
    with tenant_context(beta.tenant):
        theirs = calendar_create(
            by=None, name="Theirs", timezone="UTC", working_days=[0], working_hours=["08:00-17:00"]
        )
        # A user id that exists only in beta.
        from core.services import user_create

        stranger = user_create(
            by=None, username="stranger", password="Correct-Horse-42!", role="manager"
        )
    client = api("manager", tenant=alpha)

    by_calendar = client.post(URL, body(calendar=theirs.pk), format="json")
    by_person = client.post(
        URL,
        body(escalation=[{"after_minutes": 0, "notify_users": [stranger.pk]}]),
        format="json",
    )

    assert by_calendar.status_code == 400
    assert "calendar" in by_calendar.json()
    assert by_person.status_code == 400
    assert "escalation" in by_person.json()
    with tenant_context(alpha.tenant):
        assert not Policy.objects.exists()


def test_two_active_policies_for_the_same_scope_are_refused(api, in_alpha):
    client = api("manager")
    assert client.post(URL, body(priority="high"), format="json").status_code == 201

    clash = client.post(URL, body(name="Again", priority="high"), format="json")
    inactive = client.post(URL, body(name="Draft", priority="high", active=False), format="json")

    assert clash.status_code == 400
    assert inactive.status_code == 201
    assert Policy.objects.count() == 2


def test_a_policy_in_use_is_deactivated_not_deleted(api, in_alpha):
    policy = policy_create(by=None, **body())
    work_orders.work_order_create(by=None, title="Leak")

    response = api("manager").delete(f"{URL}{policy.pk}/")

    assert response.status_code == 409
    assert response.json()["code"] == "policy_in_use"
    assert Policy.objects.filter(pk=policy.pk).exists()


def test_the_work_order_carries_its_sla_object(api, in_alpha):
    policy = policy_create(by=None, **body(pause_on_hold=True))
    client = api("planner")
    created = client.post("/api/v1/work-orders/", {"title": "Leak"}, format="json").json()

    sla = created["sla"]
    assert sla["policy"] == policy.pk
    assert set(sla) == {
        "policy",
        "response_due_at",
        "resolution_due_at",
        "responded_at",
        "resolved_at",
        "response_state",
        "resolution_state",
        "paused",
    }
    assert (sla["response_state"], sla["resolution_state"], sla["paused"]) == ("ok", "ok", False)

    client.post(f"/api/v1/work-orders/{created['id']}/start/")
    held = client.post(f"/api/v1/work-orders/{created['id']}/hold/", {}, format="json").json()
    assert held["sla"]["responded_at"] is not None
    assert held["sla"]["response_state"] == "met"
    assert held["sla"]["paused"] is True


def test_a_late_clock_reads_warning_then_breached(api, in_alpha):
    policy_create(by=None, **body(response_minutes=10, resolution_minutes=100))
    reported = timezone.now() - timedelta(minutes=9)
    order = work_orders.work_order_create(by=None, title="Leak", reported_at=reported)
    client = api("viewer")

    assert client.get(f"/api/v1/work-orders/{order.pk}/").json()["sla"]["response_state"] == (
        "warning"
    )
    work_orders.work_order_update(
        by=None, work_order=order, priority="high"
    )  # same policy: due times stay
    order.sla_clock.response_due_at = timezone.now() - timedelta(seconds=1)
    order.sla_clock.save()
    assert client.get(f"/api/v1/work-orders/{order.pk}/").json()["sla"]["response_state"] == (
        "breached"
    )


def test_the_work_order_list_stays_at_a_constant_number_of_queries(api, in_alpha):
    policy_create(by=None, **body())
    for n in range(40):
        work_orders.work_order_create(by=None, title=f"Job {n}")
    client = api("viewer")

    def count(page_size: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            rows = client.get("/api/v1/work-orders/", {"page_size": page_size}).json()["results"]
        assert len(rows) == page_size
        assert all(row["sla"] is not None for row in rows)
        return len(queries)

    assert count(3) == count(40)


def test_violations_are_listed_and_filtered(api, in_alpha):
    policy = policy_create(by=None, **body(response_minutes=1, resolution_minutes=2))
    late = work_orders.work_order_create(
        by=None, title="Late", reported_at=timezone.now() - timedelta(minutes=5)
    )
    work_orders.work_order_create(by=None, title="Fresh")
    monitor_pass()
    client = api("viewer")

    listed = client.get("/api/v1/sla/violations/").json()
    assert listed["count"] == 2
    by_kind = {v["kind"]: v for v in listed["results"]}
    assert set(by_kind) == {"response", "resolution"}
    violation = by_kind["response"]
    assert violation["work_order"] == late.pk
    assert violation["work_order_number"] == late.number
    assert violation["policy"] == policy.pk
    assert (violation["escalated"], violation["escalation_level"]) == (False, 0)
    assert client.get(f"/api/v1/sla/violations/{violation['id']}/").json() == violation
    assert client.get("/api/v1/sla/violations/", {"kind": "resolution"}).json()["count"] == 1
    assert client.get("/api/v1/sla/violations/", {"work_order": 987654}).json()["count"] == 0
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert client.get("/api/v1/sla/violations/", {"since": future}).json()["count"] == 0
    assert client.get("/api/v1/sla/violations/", {"kind": "lunch"}).status_code == 400


def test_performance_counts_met_breached_and_running_as_the_contract_says(api, in_alpha):
    policy_create(by=None, **body(name="Any", response_minutes=60, resolution_minutes=120))
    policy_create(
        by=None, **body(name="High", priority="high", response_minutes=60, resolution_minutes=120)
    )
    now = timezone.now()

    def order(reported_minutes_ago: int, priority: str = "medium"):
        return work_orders.work_order_create(
            by=None,
            title="Job",
            priority=priority,
            reported_at=now - timedelta(minutes=reported_minutes_ago),
        )

    met = order(30)
    work_orders.work_order_start(by=None, work_order=met, at=now - timedelta(minutes=20))
    work_orders.work_order_complete(by=None, work_order=met, at=now - timedelta(minutes=10))
    late = order(200, priority="high")
    work_orders.work_order_start(by=None, work_order=late, at=now - timedelta(minutes=100))
    work_orders.work_order_complete(by=None, work_order=late, at=now - timedelta(minutes=1))
    order(5)  # still running, in time: total only
    order(90, priority="high")  # running, response past due: breached

    result = api("viewer").get("/api/v1/sla/performance/").json()

    assert result["total"] == 4
    assert (result["met"], result["breached"]) == (1, 2)
    assert result["met_percent"] == pytest.approx(33.33)
    assert result["by_priority"]["high"] == {
        "total": 2,
        "met": 0,
        "breached": 2,
        "met_percent": 0.0,
    }
    assert result["by_priority"]["medium"]["met_percent"] == 100.0
    assert result["by_priority"]["low"] == {
        "total": 0,
        "met": 0,
        "breached": 0,
        "met_percent": None,
    }
    assert result["mean_response_minutes"] == pytest.approx((10 + 100) / 2, abs=0.1)
    assert result["mean_resolution_minutes"] == pytest.approx((20 + 199) / 2, abs=0.1)


def test_performance_window_and_bad_windows(api, in_alpha):
    policy_create(by=None, **body())
    work_orders.work_order_create(
        by=None, title="Old", reported_at=datetime(2025, 1, 10, 12, tzinfo=UTC)
    )
    client = api("viewer")

    assert client.get("/api/v1/sla/performance/").json()["total"] == 0
    january = client.get("/api/v1/sla/performance/", {"start": "2025-01-01", "end": "2025-01-10"})
    assert january.json()["total"] == 1  # a date end includes that whole day
    # Still open more than a year later: breached, so none met.
    assert (january.json()["breached"], january.json()["met_percent"]) == (1, 0.0)
    for bad in ({"start": "yesterday"}, {"start": "2025-02-01", "end": "2025-01-01"}):
        assert client.get("/api/v1/sla/performance/", bad).status_code == 400
    assert api("requester").get("/api/v1/sla/performance/").status_code == 403


def test_tenants_never_see_each_others_policies_or_violations(api, alpha, beta):
    with tenant_context(beta.tenant):
        theirs = policy_create(
            by=None, **body(name="Beta", response_minutes=1, resolution_minutes=1)
        )
        work_orders.work_order_create(
            by=None, title="Beta job", reported_at=timezone.now() - timedelta(minutes=5)
        )
        monitor_pass()
    client = api("manager", tenant=alpha)

    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.get("/api/v1/sla/violations/").json()["count"] == 0
    assert client.get("/api/v1/sla/performance/").json()["total"] == 0


def test_a_calendar_an_sla_policy_counts_in_cannot_be_deleted(api, in_alpha):
    calendar = calendar_create(
        by=None, name="Week", timezone="UTC", working_days=[0], working_hours=["08:00-17:00"]
    )
    policy_create(by=None, **body(calendar=calendar))

    response = api("manager").delete(f"/api/v1/maintenance/calendars/{calendar.pk}/")

    assert response.status_code == 409
    assert response.json()["code"] == "protected"
