"""The parts endpoints: CRUD, filters, low stock, stock actions, history, and no 500s."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditEntry
from inventory import selectors
from inventory.models import Part, StockMovement
from inventory.services import purchasing
from tests.inventory.conftest import fresh, put
from tests.inventory.factories import PartFactory, StockLocationFactory, VendorFactory
from tests.maintenance.factories import WorkOrderFactory

D = Decimal
pytestmark = pytest.mark.django_db
PARTS = "/api/v1/inventory/parts/"


def test_create_needs_only_part_number_and_name(api, in_alpha):
    response = api("planner").post(PARTS, {"part_number": "BRG-6204", "name": "Bearing 6204"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["part_number"] == "BRG-6204"
    assert body["quantity_on_hand"] == 0
    assert body["unit"] == "each"
    assert body["stock"] == []
    assert body["location"] is None
    assert body["vendor"] is None
    assert AuditEntry.objects.filter(action="part.create", object_id=str(body["id"])).exists()


def test_part_carries_the_contract_fields(api, in_alpha):
    location, vendor = StockLocationFactory(), VendorFactory()
    created = (
        api("manager")
        .post(
            PARTS,
            {
                "part_number": "FLT-1",
                "name": "Air filter",
                "description": "Panel filter",
                "category": "Filters",
                "unit": "box",
                "reorder_point": "4",
                "reorder_quantity": "10",
                "unit_cost": "12.5",
                "location": location.pk,
                "vendor": vendor.pk,
            },
        )
        .json()
    )
    part = Part.objects.get(pk=created["id"])
    put(part, 3)

    body = api("viewer").get(f"{PARTS}{part.pk}/").json()

    assert {
        "part_number",
        "name",
        "description",
        "category",
        "unit",
        "quantity_on_hand",
        "reorder_point",
        "reorder_quantity",
        "unit_cost",
        "location",
        "vendor",
    } <= set(body)
    assert body["quantity_on_hand"] == 3
    assert body["reorder_point"] == 4
    assert body["unit_cost"] == 12.5
    assert body["location"] == location.pk
    assert body["vendor"] == vendor.pk
    assert body["is_low_stock"] is True
    assert body["stock"] == [
        {"location": location.pk, "location_code": location.code, "quantity": 3}
    ]


def test_part_number_is_unique_per_tenant_case_insensitively(api, in_alpha):
    PartFactory(part_number="ABC-1")

    response = api("manager").post(PARTS, {"part_number": "abc-1", "name": "dup"})

    assert response.status_code == 400
    assert "part_number" in response.json()


def test_update_and_quantity_on_hand_is_read_only(api, in_alpha):
    part = PartFactory()
    put(part, 2)

    response = api("manager").patch(
        f"{PARTS}{part.pk}/", {"name": "Renamed", "quantity_on_hand": 999, "reorder_point": "1"}
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["quantity_on_hand"] == 2
    assert fresh(part).quantity_on_hand == 2
    put_response = api("manager").put(
        f"{PARTS}{part.pk}/", {"part_number": part.part_number, "name": "Full"}
    )
    assert put_response.status_code == 200
    assert put_response.json()["name"] == "Full"


def test_delete_fresh_part_but_not_one_with_history(api, in_alpha):
    fresh_part, used = PartFactory(), PartFactory()
    put(used, 1)

    assert api("manager").delete(f"{PARTS}{fresh_part.pk}/").status_code == 204
    refused = api("manager").delete(f"{PARTS}{used.pk}/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "protected"


def test_filters_search_and_ordering(api, in_alpha):
    vendor = VendorFactory()
    store = StockLocationFactory()
    a = PartFactory(part_number="A-1", name="Alpha belt", category="Belts", vendor=vendor)
    b = PartFactory(part_number="B-1", name="Beta filter", category="Filters", reorder_point=D(5))
    c = PartFactory(part_number="C-1", name="Gamma belt", category="Belts", active=False)
    put(a, 9, location=store)
    put(b, 2)
    put(c, 1)
    client = api("viewer")

    def numbers(**query):
        response = client.get(PARTS, query)
        assert response.status_code == 200, response.content
        return [row["part_number"] for row in response.json()["results"]]

    assert numbers(category="belts") == ["A-1", "C-1"]
    assert numbers(vendor=vendor.pk) == ["A-1"]
    assert numbers(active="false") == ["C-1"]
    assert numbers(low_stock="true") == ["B-1"]
    assert numbers(stocked_at=store.pk) == ["A-1"]
    assert numbers(quantity_on_hand__gte="2") == ["A-1", "B-1"]
    assert numbers(search="filter") == ["B-1"]
    assert numbers(ordering="-quantity_on_hand") == ["A-1", "B-1", "C-1"]
    assert numbers(part_number="b-1") == ["B-1"]
    body = client.get(PARTS, {"page_size": 2}).json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]


def test_low_stock_lists_active_parts_at_or_below_the_reorder_point(api, in_alpha):
    at = PartFactory(part_number="AT", reorder_point=D(3))
    below = PartFactory(part_number="BELOW", reorder_point=D(3))
    above = PartFactory(part_number="ABOVE", reorder_point=D(3))
    PartFactory(part_number="OFF", reorder_point=D(3), active=False)
    put(at, 3)
    put(below, 1)
    put(above, 4)

    response = api("technician").get(f"{PARTS}low-stock/", {"ordering": "part_number"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [row["part_number"] for row in body["results"]] == ["AT", "BELOW"]


def test_usage_endpoint_issues_and_answers_with_part_and_movements(api, in_alpha):
    part = PartFactory(unit_cost=D(2))
    put(part, 5)
    job = WorkOrderFactory(assigned_to=in_alpha.users["technician"])

    response = api("technician").post(
        f"{PARTS}{part.pk}/usage/", {"quantity": "2", "work_order": job.pk, "notes": "pump P-3"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["part"]["quantity_on_hand"] == 3
    [movement] = body["movements"]
    assert movement["kind"] == "issue"
    assert movement["quantity"] == -2
    assert movement["balance_after"] == 3
    assert movement["work_order"] == job.pk
    assert movement["total_cost"] == 4
    assert movement["actor_username"] == "technician"


def test_usage_short_is_409_with_a_clear_code(api, in_alpha):
    part = PartFactory()
    put(part, 1)

    response = api("technician").post(f"{PARTS}{part.pk}/usage/", {"quantity": "2"})

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert part.part_number in response.json()["detail"]
    assert fresh(part).quantity_on_hand == 1


def test_usage_from_a_named_location(api, in_alpha):
    part = PartFactory()
    van = StockLocationFactory()
    put(part, 5)
    put(part, 5, location=van)

    response = api("technician").post(
        f"{PARTS}{part.pk}/usage/", {"quantity": "4", "location": van.pk}
    )

    assert response.status_code == 201
    assert response.json()["movements"][0]["location"] == van.pk


def test_restock_adjust_transfer_and_return_endpoints(api, in_alpha):
    part = PartFactory(unit_cost=D(0))
    van = StockLocationFactory()
    client = api("planner")

    restocked = client.post(f"{PARTS}{part.pk}/restock/", {"quantity": "10", "unit_cost": "3"})
    adjusted = client.post(
        f"{PARTS}{part.pk}/adjust/", {"delta": "-1", "reason": "damaged", "notes": "dropped"}
    )
    counted = client.post(f"{PARTS}{part.pk}/adjust/", {"counted": "8", "reason": "cycle_count"})
    moved = client.post(
        f"{PARTS}{part.pk}/transfer/",
        {"from_location": part.location_id, "to_location": van.pk, "quantity": "3"},
    )
    job = WorkOrderFactory()
    used = client.post(f"{PARTS}{part.pk}/usage/", {"quantity": "2", "work_order": job.pk})
    returned = client.post(f"{PARTS}{part.pk}/return/", {"quantity": "1", "work_order": job.pk})

    for response in (restocked, adjusted, counted, moved, used, returned):
        assert response.status_code == 201, response.content
    assert restocked.json()["part"]["unit_cost"] == 3
    assert counted.json()["movements"][0]["quantity"] == -1
    assert [m["quantity"] for m in moved.json()["movements"]] == [-3, 3]
    assert returned.json()["movements"][0]["kind"] == "return"
    assert returned.json()["part"]["quantity_on_hand"] == 7
    assert selectors.ledger_discrepancies() == []


def test_consume_endpoint_is_all_or_nothing(api, in_alpha):
    a, b = PartFactory(), PartFactory()
    put(a, 3, unit_cost=1)
    put(b, 1, unit_cost=1)
    client = api("technician")

    short = client.post(
        f"{PARTS}consume/",
        {"lines": [{"part": a.pk, "quantity": "2"}, {"part": b.pk, "quantity": "2"}]},
    )
    done = client.post(
        f"{PARTS}consume/",
        {
            "lines": [{"part": a.pk, "quantity": "2"}, {"part": b.pk, "quantity": "1"}],
            "work_order": WorkOrderFactory(assigned_to=in_alpha.users["technician"]).pk,
            "reference": "WO-000008",
        },
    )

    assert short.status_code == 409
    assert short.json()["code"] == "insufficient_stock"
    assert done.status_code == 201, done.content
    assert done.json()["total_cost"] == 3
    assert (fresh(a).quantity_on_hand, fresh(b).quantity_on_hand) == (1, 0)


def test_history_lists_the_ledger_newest_first_and_filters(api, in_alpha):
    part = PartFactory()
    put(part, 10)
    api("technician").post(f"{PARTS}{part.pk}/usage/", {"quantity": "1"})
    api("planner").post(f"{PARTS}{part.pk}/adjust/", {"delta": "2", "reason": "found"})
    api("technician").post(f"{PARTS}{part.pk}/usage/", {"quantity": "3"})
    other = PartFactory()
    put(other, 1)
    client = api("viewer")
    url = f"{PARTS}{part.pk}/history/"

    everything = client.get(url).json()
    issues = client.get(url, {"kind": "issue"}).json()["results"]
    in_and_adjust = client.get(url, {"kind": ["receipt", "adjustment"]}).json()["results"]
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    none_yet = client.get(url, {"created_after": tomorrow}).json()["results"]
    today = client.get(url, {"date": timezone.now().date().isoformat()}).json()["results"]

    assert set(everything) == {"next", "previous", "results"}
    assert [row["kind"] for row in everything["results"]] == [
        "issue",
        "adjustment",
        "issue",
        "receipt",
    ]
    assert [row["balance_after"] for row in everything["results"]] == [8, 11, 9, 10]
    assert [row["quantity"] for row in issues] == [-3, -1]
    assert {row["kind"] for row in in_and_adjust} == {"receipt", "adjustment"}
    assert none_yet == []
    assert len(today) == 4


def test_history_paginates_with_a_cursor(api, in_alpha):
    part = PartFactory()
    for _ in range(5):
        put(part, 1)
    client = api("viewer")

    first = client.get(f"{PARTS}{part.pk}/history/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert len(first["results"]) == 2
    assert len(second["results"]) == 2
    assert {r["id"] for r in first["results"]}.isdisjoint({r["id"] for r in second["results"]})


def test_stock_levels_and_movements_are_listed_read_only(api, in_alpha):
    part = PartFactory()
    put(part, 4)
    client = api("viewer")

    levels = client.get("/api/v1/inventory/stock-levels/", {"part": part.pk}).json()["results"]
    movements = client.get("/api/v1/inventory/stock-movements/", {"part": part.pk}).json()

    assert [(row["part"], row["quantity"]) for row in levels] == [(part.pk, 4)]
    assert [row["kind"] for row in movements["results"]] == ["receipt"]
    # Nobody holds a permission to write levels or the ledger directly, managers included.
    manager = api("manager")
    movement_url = f"/api/v1/inventory/stock-movements/{movements['results'][0]['id']}/"
    assert manager.post("/api/v1/inventory/stock-levels/", {}).status_code in {403, 405}
    assert manager.delete(movement_url).status_code in {403, 405}
    assert StockMovement.objects.filter(part=part).count() == 1


def test_stock_locations_crud(api, in_alpha):
    client = api("planner")

    created = client.post(
        "/api/v1/inventory/stock-locations/", {"code": "EAST", "name": "East store"}
    )
    bin_ = client.post(
        "/api/v1/inventory/stock-locations/",
        {"code": "EAST-A1", "name": "Bin A1", "kind": "bin", "parent": created.json()["id"]},
    )
    duplicate = client.post("/api/v1/inventory/stock-locations/", {"code": "east", "name": "x"})
    cycle = client.patch(
        f"/api/v1/inventory/stock-locations/{created.json()['id']}/",
        {"parent": bin_.json()["id"]},
    )
    listed = client.get("/api/v1/inventory/stock-locations/", {"kind": "bin"}).json()

    assert created.status_code == 201
    assert bin_.status_code == 201
    assert duplicate.status_code == 400
    assert cycle.status_code == 400
    assert [row["code"] for row in listed["results"]] == ["EAST-A1"]
    assert (
        client.delete(f"/api/v1/inventory/stock-locations/{bin_.json()['id']}/").status_code == 204
    )


def test_vendors_crud(api, in_alpha):
    client = api("manager")

    created = client.post(
        "/api/v1/inventory/vendors/", {"name": "Acme Supply", "email": "po@acme.example"}
    )
    duplicate = client.post("/api/v1/inventory/vendors/", {"name": "ACME supply"})
    updated = client.patch(
        f"/api/v1/inventory/vendors/{created.json()['id']}/", {"lead_time_days": 9}
    )
    searched = client.get("/api/v1/inventory/vendors/", {"search": "acme"}).json()

    assert created.status_code == 201
    assert duplicate.status_code == 400
    assert updated.json()["lead_time_days"] == 9
    assert searched["count"] == 1
    assert client.delete(f"/api/v1/inventory/vendors/{created.json()['id']}/").status_code == 204


BAD_USAGE_BODIES = [
    {},
    {"quantity": "0"},
    {"quantity": "-1"},
    {"quantity": "abc"},
    {"quantity": "1e400"},
    {"quantity": 1e308},
    {"quantity": "NaN"},
    {"quantity": "Infinity"},
    {"quantity": "99999999999999999999"},
    {"quantity": "0.0001"},
    {"quantity": True},
    {"quantity": [1]},
    {"quantity": {"a": 1}},
    {"quantity": "1", "location": 99999999999999999999},
    {"quantity": "1", "location": "x"},
    {"quantity": "1", "location": 987654},
    {"quantity": "1", "work_order": -5},
    {"quantity": "1", "work_order": 2**70},
    {"quantity": "1", "work_order": "WO-1"},
    {"quantity": "1", "work_order": 987654},
    {"quantity": "1", "notes": "nul\x00"},
    {"quantity": "1", "reference": "x" * 500},
]


@pytest.mark.parametrize("body", BAD_USAGE_BODIES)
def test_bad_usage_bodies_are_400_and_change_nothing(api, in_alpha, body):
    part = PartFactory()
    put(part, 5)
    before = StockMovement.objects.count()

    response = api("technician").post(f"{PARTS}{part.pk}/usage/", body, format="json")

    assert response.status_code == 400, response.content
    assert fresh(part).quantity_on_hand == 5
    assert StockMovement.objects.count() == before


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("restock", {"quantity": "1", "unit_cost": "-1"}),
        ("restock", {"quantity": "1", "unit_cost": "1e30"}),
        ("restock", {"quantity": "99999999999.999", "unit_cost": "9999999999.9999"}),
        ("adjust", {"delta": "0", "reason": "found"}),
        ("adjust", {"delta": "1", "reason": "because"}),
        ("adjust", {"delta": "1", "counted": "2", "reason": "found"}),
        ("adjust", {"counted": "-2", "reason": "found"}),
        ("transfer", {"quantity": "1"}),
        ("transfer", {"from_location": 1, "to_location": 1, "quantity": "1"}),
        ("return", {"quantity": "-1"}),
    ],
)
def test_bad_stock_action_bodies_are_4xx_never_500(api, in_alpha, action, body):
    part = PartFactory()
    put(part, 5)

    response = api("manager").post(f"{PARTS}{part.pk}/{action}/", body, format="json")

    assert 400 <= response.status_code < 500, response.content
    assert fresh(part).quantity_on_hand == 5


def test_huge_stock_is_refused_cleanly(api, in_alpha):
    part = PartFactory()
    client = api("manager")
    big = {"quantity": "99999999999.999"}

    assert client.post(f"{PARTS}{part.pk}/restock/", big).status_code == 201
    overflow = client.post(f"{PARTS}{part.pk}/restock/", {"quantity": "1"})

    assert overflow.status_code == 400
    assert fresh(part).quantity_on_hand == D("99999999999.999")


@pytest.mark.parametrize(
    "body",
    [
        {"lines": []},
        {"lines": "x"},
        {"lines": [{"part": 123456789, "quantity": "1"}]},
        {"lines": [{"quantity": "1"}]},
        {"lines": [{"part": None, "quantity": "1"}]},
        {"lines": [{"part": 1, "quantity": "0"}]},
        {},
    ],
)
def test_bad_consume_bodies_are_400(api, in_alpha, body):
    assert api("technician").post(f"{PARTS}consume/", body, format="json").status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"part_number": "", "name": "x"},
        {"part_number": "X", "name": ""},
        {"part_number": "X", "name": "y", "reorder_point": "-1"},
        {"part_number": "X", "name": "y", "unit_cost": "-0.01"},
        {"part_number": "X", "name": "y", "unit": "bucket"},
        {"part_number": "X", "name": "y", "location": 424242},
        {"part_number": "X", "name": "y", "vendor": "abc"},
        {"part_number": "X" * 101, "name": "y"},
        {"part_number": "X", "name": "y", "reorder_quantity": "1e20"},
    ],
)
def test_bad_part_bodies_are_400(api, in_alpha, body):
    response = api("manager").post(PARTS, body, format="json")

    assert response.status_code == 400, response.content
    assert not Part.objects.filter(part_number="X").exists()


@pytest.mark.parametrize(
    "query",
    [
        {"low_stock": "maybe"},
        {"ordering": "nonsense"},
        {"vendor": "abc"},
        {"stocked_at": "99999999999999999999"},
        {"quantity_on_hand__gte": "lots"},
        {"page": "0"},
        {"page_size": "-1"},
        {"search": "\x00"},
    ],
)
def test_odd_queries_never_500(api, in_alpha, query):
    assert api("viewer").get(PARTS, query).status_code in {200, 400, 404}


@pytest.mark.parametrize(
    "query", [{"kind": "teleport"}, {"created_after": "yesterday"}, {"date": "2024-13-45"}]
)
def test_odd_history_queries_are_400(api, in_alpha, query):
    part = PartFactory()

    assert api("viewer").get(f"{PARTS}{part.pk}/history/", query).status_code == 400


@pytest.mark.parametrize("path", ["99999999999999999999/", "-1/", "abc/", "1e9/usage/"])
def test_odd_ids_are_404(api, in_alpha, path):
    assert api("manager").get(f"{PARTS}{path}").status_code == 404


def _queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, {"page_size": 500}).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        PARTS,
        f"{PARTS}low-stock/",
        "/api/v1/inventory/purchase-orders/",
        "/api/v1/inventory/stock-movements/",
        "/api/v1/inventory/stock-levels/",
    ],
)
def test_list_query_counts_do_not_grow_with_the_rows(api, in_alpha, url):
    client = api("viewer")
    vendor = VendorFactory()

    def add(count):
        for _ in range(count):
            part = PartFactory(vendor=vendor, reorder_point=D(50))
            put(part, 2)
            put(part, 1, location=StockLocationFactory())
            purchasing.purchase_order_create(
                vendor=vendor, by=None, lines=[purchasing.OrderLine(part=part, quantity=D(1))]
            )

    add(2)
    few = _queries_for(client, url)
    add(20)
    many = _queries_for(client, url)

    assert many == few


def test_technicians_book_parts_only_on_their_own_work_orders(api, in_alpha):
    part = PartFactory()
    put(part, 5)
    mine = WorkOrderFactory(assigned_to=in_alpha.users["technician"])
    theirs = WorkOrderFactory(assigned_to=in_alpha.users["planner"])
    client = api("technician")

    refused = client.post(f"{PARTS}{part.pk}/usage/", {"quantity": "1", "work_order": theirs.pk})
    booked = client.post(f"{PARTS}{part.pk}/usage/", {"quantity": "1", "work_order": mine.pk})
    general = client.post(f"{PARTS}{part.pk}/usage/", {"quantity": "1"})

    assert refused.status_code == 403
    assert booked.status_code == 201
    assert general.status_code == 201  # consumables not tied to a job
    assert fresh(part).quantity_on_hand == 3
