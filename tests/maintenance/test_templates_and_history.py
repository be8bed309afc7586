"""Templates and work orders made from them; the maintenance history of an asset."""

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from assets.services import meters, monitoring
from maintenance.models import WorkOrder, WorkOrderTemplate
from tests.assets.factories import AssetFactory, MeterFactory
from tests.maintenance.factories import stocked_part

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(api, in_alpha):
    filter_part = stocked_part("FLT-1", 10)
    response = api("planner").post(
        "/api/v1/work-order-templates/",
        {
            "name": "Compressor 500 h service",
            "description": "Change oil and filter",
            "work_type": "preventive",
            "priority": "high",
            "estimated_hours": "2.5",
            "estimated_cost": "180.00",
            "steps": [
                {"title": "Isolate", "kind": "task"},
                {"title": "Oil level ok?", "kind": "inspection"},
                {"title": "Hours", "kind": "meter", "meter_name": "Running hours"},
            ],
            "parts": [{"part": filter_part.pk, "quantity": 1}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_template_keeps_its_steps_and_parts(api, template):
    body = api("viewer").get(f"/api/v1/work-order-templates/{template['id']}/").json()

    assert [s["title"] for s in body["steps"]] == ["Isolate", "Oil level ok?", "Hours"]
    assert body["parts"][0]["quantity"] == 1
    assert body["estimated_hours"] == 2.5


def test_from_template_copies_checklist_and_parts_and_binds_the_meter(api, template):
    compressor = AssetFactory(asset_id="CMP-1")
    meter = MeterFactory(asset=compressor, name="Running hours")

    response = api("planner").post(
        "/api/v1/work-orders/from-template/",
        {"template": template["id"], "asset_id": "CMP-1"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Compressor 500 h service"
    assert body["source"] == "template"
    assert body["template"] == template["id"]
    assert body["priority"] == "high"
    assert body["estimated_hours"] == 2.5
    work_order = WorkOrder.objects.get(pk=body["id"])
    steps = list(work_order.steps.all())
    assert [(s.title, s.kind) for s in steps] == [
        ("Isolate", "task"),
        ("Oil level ok?", "inspection"),
        ("Hours", "meter"),
    ]
    assert steps[2].meter == meter
    assert work_order.parts.get().quantity_planned == 1


def test_from_template_overrides_and_an_asset_without_the_meter(api, template):
    AssetFactory(asset_id="CMP-2")

    body = (
        api("planner")
        .post(
            "/api/v1/work-orders/from-template/",
            {
                "template": template["id"],
                "asset_id": "CMP-2",
                "title": "Custom title",
                "priority": "low",
            },
            format="json",
        )
        .json()
    )

    work_order = WorkOrder.objects.get(pk=body["id"])
    assert body["title"] == "Custom title"
    assert body["priority"] == "low"
    assert work_order.steps.get(title="Hours").kind == "number"


@pytest.mark.parametrize(
    "payload",
    [{}, {"template": 999999}, {"template": "x"}, {"asset_id": "NOPE"}],
)
def test_from_template_bad_input(api, template, payload):
    body = {"template": template["id"], **payload} if "asset_id" in payload else payload

    assert (
        api("planner").post("/api/v1/work-orders/from-template/", body, format="json").status_code
        == 400
    )


def test_template_names_are_unique_and_meter_steps_name_their_meter(api, template):
    planner = api("planner")

    assert (
        planner.post(
            "/api/v1/work-order-templates/", {"name": "compressor 500 H SERVICE"}
        ).status_code
        == 400
    )
    bad = planner.post(
        "/api/v1/work-order-templates/",
        {"name": "X", "steps": [{"title": "read", "kind": "meter"}]},
        format="json",
    )
    assert bad.status_code == 400


def test_updating_a_template_replaces_its_steps(api, template):
    api("planner").patch(
        f"/api/v1/work-order-templates/{template['id']}/",
        {"steps": [{"title": "Only step"}]},
        format="json",
    )

    assert [s.title for s in WorkOrderTemplate.objects.get(pk=template["id"]).steps.all()] == [
        "Only step"
    ]


def test_technicians_read_templates_but_do_not_write_them(api, template):
    assert api("technician").get("/api/v1/work-order-templates/").status_code == 200
    assert (
        api("technician").post("/api/v1/work-order-templates/", {"name": "Mine"}).status_code == 403
    )


def test_history_of_an_asset_newest_first(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    meter = MeterFactory(asset=pump)
    part = stocked_part("P-1", 5)
    planner = api("planner")
    order = planner.post("/api/v1/work-orders/", {"title": "Fix", "asset_id": "PUMP-1"}).json()
    planner.post(
        f"/api/v1/work-orders/{order['id']}/assign/",
        {"assigned_to": in_alpha.users["technician"].pk},
    )
    technician = api("technician")
    technician.post(f"/api/v1/work-orders/{order['id']}/start/")
    meters.meter_reading_record(by=None, meter=meter, value=Decimal(100))
    monitoring.performance_record(by=None, asset=pump, temperature=Decimal(95))
    technician.post(
        f"/api/v1/work-orders/{order['id']}/complete/",
        {"parts_used": [{"part": part.pk, "quantity": 1}]},
        format="json",
    )
    AssetFactory(asset_id="OTHER")

    history = api("viewer").get("/api/v1/maintenance/history/", {"asset_id": "PUMP-1"}).json()

    kinds = [event["kind"] for event in history["results"]]
    assert kinds == [
        "work_order.completed",
        "work_order.parts_used",
        "asset.alert",
        "asset.reading",
        "work_order.started",
        "work_order.assigned",
        "work_order.created",
    ]
    assert all(event["asset_id"] == "PUMP-1" for event in history["results"])
    assert history["results"][0]["work_order_number"] == order["number"]


def test_history_is_per_tenant_and_not_for_requesters(api, alpha, beta):
    with tenant_context(beta.tenant):
        AssetFactory(asset_id="B-1")
    api("planner", tenant=beta).post("/api/v1/work-orders/", {"title": "Beta", "asset_id": "B-1"})

    assert api("viewer", tenant=alpha).get("/api/v1/maintenance/history/").json()["results"] == []
    assert api("requester", tenant=alpha).get("/api/v1/maintenance/history/").status_code == 403
