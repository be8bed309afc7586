"""/api/v1/work-orders/: creation, numbering, fields, filters, roles, isolation."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.models import AuditEntry
from maintenance.models import MaintenanceEvent, WorkOrder
from tests.assets.factories import AssetFactory
from tests.maintenance.factories import WorkOrderFactory

pytestmark = pytest.mark.django_db


def test_create_with_only_a_title(api, in_alpha, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api("planner").post("/api/v1/work-orders/", {"title": "Replace the belt"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"WO-\d{6}", body["number"])
    assert body["status"] == "open"
    assert body["priority"] == "medium"
    assert body["work_type"] == "corrective"
    assert body["source"] == "manual"
    assert body["requested_by"] == in_alpha.users["planner"].pk
    assert body["total_cost"] == 0
    assert body["asset_id"] is None
    assert len(callbacks) == 1  # work-order:created, after commit
    assert AuditEntry.objects.filter(action="work_order.create", object_id=str(body["id"])).exists()
    assert MaintenanceEvent.objects.filter(
        work_order_id=body["id"], kind="work_order.created"
    ).exists()


def test_numbers_follow_each_other(api, in_alpha):
    client = api("planner")

    numbers = [
        client.post("/api/v1/work-orders/", {"title": f"Job {n}"}).json()["number"]
        for n in range(3)
    ]

    values = [int(n.removeprefix("WO-")) for n in numbers]
    assert values == [values[0], values[0] + 1, values[0] + 2]


def test_create_with_asset_checklist_and_planned_parts(api, in_alpha):
    from tests.maintenance.factories import stocked_part

    AssetFactory(asset_id="PUMP-1")
    part = stocked_part("BRG-1", 5)

    response = api("planner").post(
        "/api/v1/work-orders/",
        {
            "title": "Pump service",
            "asset_id": "PUMP-1",
            "priority": "high",
            "work_type": "preventive",
            "due_at": (timezone.now() + timedelta(days=2)).isoformat(),
            "estimated_hours": "3.5",
            "steps": [
                {"title": "Isolate the pump", "kind": "task"},
                {"title": "Seal intact?", "kind": "inspection"},
                {
                    "title": "Bearing temperature",
                    "kind": "number",
                    "expected_min": 10,
                    "expected_max": 70,
                    "unit": "C",
                },
            ],
            "parts": [{"part": part.pk, "quantity": 2}],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    work_order = WorkOrder.objects.get(pk=response.json()["id"])
    assert [s.title for s in work_order.steps.all()] == [
        "Isolate the pump",
        "Seal intact?",
        "Bearing temperature",
    ]
    assert [s.order for s in work_order.steps.all()] == [1, 2, 3]
    assert work_order.parts.get().quantity_planned == 2
    assert response.json()["asset_id"] == "PUMP-1"
    assert (
        response.json()["asset_name"]
        == AssetFactory._meta.model.objects.get(asset_id="PUMP-1").name
    )


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"title": ""},
        {"title": "x", "priority": "urgent"},
        {"title": "x", "work_type": "magic"},
        {"title": "x", "asset_id": "NO-SUCH"},
        {"title": "x", "assigned_to": 999999},
        {"title": "x", "estimated_hours": "-1"},
        {"title": "x", "due_at": "soon"},
        {
            "title": "x",
            "scheduled_start": "2026-05-02T00:00:00Z",
            "scheduled_end": "2026-05-01T00:00:00Z",
        },
        {"title": "x", "steps": [{"kind": "task"}]},
        {"title": "x", "steps": [{"title": "read", "kind": "meter"}]},
        {"title": "x", "parts": [{"part": 999999, "quantity": 1}]},
        {"title": "x", "parts": [{"quantity": 1}]},
        {"title": "x", "status": "completed"},
    ],
)
def test_bad_input_is_400_and_creates_nothing(api, in_alpha, payload):
    response = api("planner").post("/api/v1/work-orders/", payload, format="json")

    if payload.get("status"):
        # status is read-only: ignored on create, the work order starts open
        assert response.status_code == 201
        assert response.json()["status"] == "open"
        return
    assert response.status_code == 400, response.content
    assert not WorkOrder.objects.exists()


def test_assignment_notifies_by_event_and_email(
    api, in_alpha, django_capture_on_commit_callbacks, celery_eager
):
    work_order = WorkOrderFactory()
    technician = in_alpha.users["technician"]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api("planner").post(
            f"/api/v1/work-orders/{work_order.pk}/assign/", {"assigned_to": technician.pk}
        )

    assert response.status_code == 200
    assert response.json()["assigned_to"] == technician.pk
    assert len(callbacks) == 2  # the e-mail's delivery task and the work-order:updated event
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [technician.email]
    assert work_order.number in mail.outbox[0].subject


@pytest.mark.parametrize("role", ["requester", "viewer"])
def test_work_goes_only_to_people_who_do_work(api, in_alpha, role):
    work_order = WorkOrderFactory()

    response = api("planner").post(
        f"/api/v1/work-orders/{work_order.pk}/assign/", {"assigned_to": in_alpha.users[role].pk}
    )

    assert response.status_code == 400
    assert "assigned_to" in response.json()


@pytest.fixture
def spread(in_alpha):
    now = timezone.now()
    pump = AssetFactory(asset_id="PUMP-1")
    tech = in_alpha.users["technician"]
    return {
        "late": WorkOrderFactory(
            title="Late pump job",
            asset=pump,
            due_at=now - timedelta(days=1),
            priority="high",
            assigned_to=tech,
            work_type="corrective",
            created_at=now - timedelta(days=3),
        ),
        "soon": WorkOrderFactory(
            title="Soon",
            due_at=now + timedelta(days=1),
            priority="low",
            status="scheduled",
            work_type="preventive",
            source="schedule",
            created_at=now - timedelta(days=2),
        ),
        "done": WorkOrderFactory(
            title="Done late",
            due_at=now - timedelta(days=5),
            status="completed",
            priority="critical",
            created_at=now - timedelta(days=1),
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "open"}, ["late"]),
        ({"status": ["open", "scheduled"]}, ["soon", "late"]),
        ({"priority": "high"}, ["late"]),
        ({"work_type": "preventive"}, ["soon"]),
        ({"asset_id": "PUMP-1"}, ["late"]),
        ({"source": "schedule"}, ["soon"]),
        ({"overdue": "true"}, ["late"]),
        ({"overdue": "false"}, ["done", "soon"]),
        ({"active": "true"}, ["soon", "late"]),
        ({"search": "pump"}, ["late"]),
        ({"ordering": "-priority_rank"}, ["done", "late", "soon"]),
        ({"ordering": "due_at"}, ["done", "late", "soon"]),
    ],
)
def test_filters_and_ordering(api, spread, query, expected):
    rows = api("viewer").get("/api/v1/work-orders/", query).json()["results"]

    titles = {v.title: k for k, v in spread.items()}
    assert [titles[r["title"]] for r in rows] == expected


def test_assignee_and_date_filters(api, spread, in_alpha):
    client = api("viewer")
    tech = in_alpha.users["technician"].pk
    now = timezone.now()

    assigned = client.get("/api/v1/work-orders/", {"assigned_to": tech}).json()["results"]
    due_before = client.get("/api/v1/work-orders/", {"due_before": now.isoformat()}).json()[
        "results"
    ]
    created_after = client.get(
        "/api/v1/work-orders/", {"created_after": (now - timedelta(days=2, hours=1)).isoformat()}
    ).json()["results"]

    assert [r["title"] for r in assigned] == ["Late pump job"]
    assert {r["title"] for r in due_before} == {"Late pump job", "Done late"}
    assert {r["title"] for r in created_after} == {"Soon", "Done late"}
    assert client.get("/api/v1/work-orders/", {"due_before": "nope"}).status_code == 400


def test_overdue_flag_in_the_payload(api, spread):
    rows = {
        r["title"]: r["overdue"]
        for r in api("viewer").get("/api/v1/work-orders/").json()["results"]
    }

    assert rows == {"Late pump job": True, "Soon": False, "Done late": False}


def test_list_makes_a_constant_number_of_queries(api, in_alpha):
    tech = in_alpha.users["technician"]
    for _n in range(60):
        WorkOrderFactory(asset=AssetFactory(), assigned_to=tech, requested_by=tech)
    client = api("viewer")

    def count(page_size):
        with CaptureQueriesContext(connection) as queries:
            assert (
                len(client.get("/api/v1/work-orders/", {"page_size": page_size}).json()["results"])
                == page_size
            )
        return len(queries)

    assert count(5) == count(60)


def test_technicians_read_all_but_change_only_their_own(api, in_alpha):
    tech = in_alpha.users["technician"]
    mine = WorkOrderFactory(assigned_to=tech)
    theirs = WorkOrderFactory(assigned_to=in_alpha.users["planner"])
    client = api("technician")

    assert client.get(f"/api/v1/work-orders/{theirs.pk}/").status_code == 200
    assert client.post(f"/api/v1/work-orders/{theirs.pk}/start/").status_code == 403
    assert (
        client.patch(f"/api/v1/work-orders/{theirs.pk}/", {"description": "x"}).status_code == 403
    )
    assert client.post(f"/api/v1/work-orders/{mine.pk}/start/").status_code == 200
    assert (
        client.patch(
            f"/api/v1/work-orders/{mine.pk}/", {"description": "found a crack"}
        ).status_code
        == 200
    )
    assert (
        client.post(f"/api/v1/work-orders/{mine.pk}/complete/", {}, format="json").status_code
        == 200
    )


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("technician", "assign", False),
        ("technician", "cancel", False),
        ("planner", "assign", True),
        ("planner", "cancel", True),
        ("viewer", "start", False),
        ("viewer", "cancel", False),
        ("requester", "start", False),
    ],
)
def test_action_roles(api, in_alpha, role, action, allowed):
    work_order = WorkOrderFactory(assigned_to=in_alpha.users["technician"])
    body = {"assigned_to": in_alpha.users["technician"].pk} if action == "assign" else {}

    response = api(role).post(f"/api/v1/work-orders/{work_order.pk}/{action}/", body, format="json")

    assert (response.status_code == 200) is allowed, response.content
    if not allowed:
        assert response.status_code == 403


def test_viewers_read_and_requesters_see_no_work_orders(api, in_alpha):
    WorkOrderFactory()

    assert api("viewer").get("/api/v1/work-orders/").json()["count"] == 1
    assert api("viewer").post("/api/v1/work-orders/", {"title": "x"}).status_code == 403
    assert api("requester").get("/api/v1/work-orders/").status_code == 403


def test_a_closed_work_order_cannot_be_edited_and_delete_keeps_history(api, in_alpha):
    done = WorkOrderFactory(status="completed")
    fresh = WorkOrderFactory()
    client = api("manager")

    edited = client.patch(f"/api/v1/work-orders/{done.pk}/", {"title": "rewrite history"})

    assert edited.status_code == 409
    assert edited.json()["code"] == "work_order_closed"
    assert client.delete(f"/api/v1/work-orders/{done.pk}/").status_code == 409
    assert client.delete(f"/api/v1/work-orders/{fresh.pk}/").status_code == 204


def test_reassigning_through_patch_needs_the_assign_right(api, in_alpha):
    tech = in_alpha.users["technician"]
    work_order = WorkOrderFactory(assigned_to=tech)

    response = api("technician").patch(
        f"/api/v1/work-orders/{work_order.pk}/", {"assigned_to": in_alpha.users["manager"].pk}
    )

    assert response.status_code == 403


def test_work_orders_are_per_tenant(api, alpha, beta):
    with tenant_context(beta.tenant):
        hidden = WorkOrderFactory(title="beta job")

    client = api("manager", tenant=alpha)

    assert client.get("/api/v1/work-orders/").json()["count"] == 0
    assert client.get(f"/api/v1/work-orders/{hidden.pk}/").status_code == 404
    assert client.post(f"/api/v1/work-orders/{hidden.pk}/start/").status_code == 404
    with tenant_context(beta.tenant):
        assert WorkOrder.objects.get(pk=hidden.pk).status == "open"
