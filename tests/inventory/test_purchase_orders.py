"""Vendors' purchase orders: statuses, receiving (partial and full) through the ledger,
suggested reorders."""

from decimal import Decimal

import pytest

from core.models import AuditEntry
from inventory import selectors
from inventory.models import PurchaseOrder, StockMovement
from inventory.services import purchasing, stock
from tests.inventory.conftest import fresh, put
from tests.inventory.factories import PartFactory, StockLocationFactory, VendorFactory

D = Decimal
pytestmark = pytest.mark.django_db
POS = "/api/v1/inventory/purchase-orders/"


def draft(client, vendor, *lines):
    response = client.post(
        POS,
        {
            "vendor": vendor.pk,
            "expected_at": "2030-01-31",
            "lines": [
                {"part": part.pk, "quantity": str(qty), "unit_cost": str(cost)}
                for part, qty, cost in lines
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_draft_with_lines_is_numbered_and_totalled(api, in_alpha):
    vendor = VendorFactory()
    a, b = PartFactory(), PartFactory()

    body = draft(api("planner"), vendor, (a, 10, "2.5"), (b, 3, "10"))

    assert body["number"] == f"PO-{body['id']:06d}"
    assert body["status"] == "draft"
    assert body["total"] == 55
    assert [
        (line["part"], line["quantity"], line["quantity_outstanding"]) for line in body["lines"]
    ] == [
        (a.pk, 10, 10),
        (b.pk, 3, 3),
    ]
    assert body["created_by"] == in_alpha.users["planner"].pk


def test_line_cost_defaults_to_the_parts_average(api, in_alpha):
    part = PartFactory(unit_cost=D("4.2"))

    body = (
        api("planner")
        .post(
            POS,
            {"vendor": VendorFactory().pk, "lines": [{"part": part.pk, "quantity": "2"}]},
            format="json",
        )
        .json()
    )

    assert body["lines"][0]["unit_cost"] == 4.2


def test_full_lifecycle_with_partial_then_complete_receiving(api, in_alpha):
    vendor = VendorFactory()
    a = PartFactory(unit_cost=D(0))
    b = PartFactory(unit_cost=D(0))
    put(a, 10, unit_cost=2)
    client = api("manager")
    po = draft(client, vendor, (a, 10, 4), (b, 6, "1.5"))
    line_a, line_b = po["lines"]

    approved = client.post(f"{POS}{po['id']}/approve/")
    ordered = client.post(f"{POS}{po['id']}/order/")
    partial = client.post(
        f"{POS}{po['id']}/receive/",
        {
            "lines": [
                {"line": line_a["id"], "quantity": "4"},
                {"line": line_b["id"], "quantity": "6"},
            ]
        },
        format="json",
    )

    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == in_alpha.users["manager"].pk
    assert ordered.json()["status"] == "ordered"
    assert partial.status_code == 201, partial.content
    assert partial.json()["purchase_order"]["status"] == "partially_received"
    assert fresh(a).quantity_on_hand == 14
    assert fresh(a).unit_cost == D("2.5714")  # (10 * 2 + 4 * 4) / 14
    assert fresh(b).quantity_on_hand == 6
    receipts = StockMovement.objects.filter(kind="receipt", reference=po["number"])
    assert receipts.count() == 2
    assert {m["purchase_order"] for m in partial.json()["movements"]} == {po["id"]}

    rest = client.post(f"{POS}{po['id']}/receive/", {}, format="json")

    assert rest.status_code == 201
    assert rest.json()["purchase_order"]["status"] == "received"
    assert rest.json()["purchase_order"]["received_at"]
    assert [m["quantity"] for m in rest.json()["movements"]] == [6]
    assert fresh(a).quantity_on_hand == 20
    lines = rest.json()["purchase_order"]["lines"]
    assert [line["quantity_received"] for line in lines] == [10, 6]
    assert selectors.ledger_discrepancies() == []
    assert AuditEntry.objects.filter(action="purchase_order.received").count() == 2


def test_receiving_goes_to_the_named_then_line_then_default_location(api, in_alpha):
    part = PartFactory()
    dock, line_home = StockLocationFactory(), StockLocationFactory()
    po = purchasing.purchase_order_create(
        vendor=VendorFactory(),
        by=None,
        lines=[purchasing.OrderLine(part=part, quantity=D(4), location=line_home)],
    )
    purchasing.purchase_order_approve(purchase_order=po, by=None)
    purchasing.purchase_order_mark_ordered(purchase_order=po, by=None)
    line = po.lines.get()

    purchasing.purchase_order_receive(
        purchase_order=po, by=None, lines=[stock.ReceiveLine(line.pk, D(1), dock.pk)]
    )
    purchasing.purchase_order_receive(purchase_order=po, by=None)

    levels = dict(part.stock_levels.values_list("location_id", "quantity"))
    assert levels == {dock.pk: D(1), line_home.pk: D(3)}


def test_over_receipt_is_409_and_changes_nothing(api, in_alpha):
    part = PartFactory()
    client = api("manager")
    po = draft(client, VendorFactory(), (part, 5, 1))
    client.post(f"{POS}{po['id']}/approve/")
    client.post(f"{POS}{po['id']}/order/")

    response = client.post(
        f"{POS}{po['id']}/receive/",
        {"lines": [{"line": po["lines"][0]["id"], "quantity": "6"}]},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "over_receipt"
    assert fresh(part).quantity_on_hand == 0
    assert PurchaseOrder.objects.get(pk=po["id"]).status == "ordered"


def test_a_line_of_another_order_cannot_be_received(api, in_alpha):
    part = PartFactory()
    client = api("manager")
    first = draft(client, VendorFactory(), (part, 5, 1))
    second = draft(client, VendorFactory(), (part, 5, 1))
    for po in (first, second):
        client.post(f"{POS}{po['id']}/approve/")
        client.post(f"{POS}{po['id']}/order/")

    response = client.post(
        f"{POS}{first['id']}/receive/",
        {"lines": [{"line": second["lines"][0]["id"], "quantity": "1"}]},
        format="json",
    )

    assert response.status_code == 400
    assert fresh(part).quantity_on_hand == 0


def test_illegal_transitions_are_409(api, in_alpha):
    part = PartFactory()
    client = api("manager")
    po = draft(client, VendorFactory(), (part, 2, 1))
    empty = client.post(POS, {"vendor": VendorFactory().pk}, format="json").json()

    receive_draft = client.post(f"{POS}{po['id']}/receive/", {}, format="json")
    order_draft = client.post(f"{POS}{po['id']}/order/")
    approve_empty = client.post(f"{POS}{empty['id']}/approve/")
    client.post(f"{POS}{po['id']}/approve/")
    approve_again = client.post(f"{POS}{po['id']}/approve/")
    edit_lines = client.patch(
        f"{POS}{po['id']}/", {"lines": [{"part": part.pk, "quantity": "9"}]}, format="json"
    )
    delete_approved = client.delete(f"{POS}{po['id']}/")
    note_approved = client.patch(f"{POS}{po['id']}/", {"notes": "call before"}, format="json")
    client.post(f"{POS}{po['id']}/order/")
    client.post(f"{POS}{po['id']}/receive/", {}, format="json")
    cancel_received = client.post(f"{POS}{po['id']}/cancel/", {"reason": "late"})

    for response in (
        receive_draft,
        order_draft,
        approve_again,
        edit_lines,
        delete_approved,
        cancel_received,
    ):
        assert response.status_code == 409, response.content
        assert response.json()["code"] == "illegal_transition"
    assert approve_empty.status_code == 409
    assert approve_empty.json()["code"] == "no_lines"
    assert note_approved.status_code == 200
    assert fresh(part).quantity_on_hand == 2


def test_cancel_keeps_what_was_received_and_is_final(api, in_alpha):
    part = PartFactory()
    client = api("manager")
    po = draft(client, VendorFactory(), (part, 10, 1))
    client.post(f"{POS}{po['id']}/approve/")
    client.post(f"{POS}{po['id']}/order/")
    client.post(
        f"{POS}{po['id']}/receive/",
        {"lines": [{"line": po["lines"][0]["id"], "quantity": "3"}]},
        format="json",
    )

    cancelled = client.post(f"{POS}{po['id']}/cancel/", {"reason": "vendor out of stock"})
    receive_after = client.post(f"{POS}{po['id']}/receive/", {}, format="json")

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "vendor out of stock"
    assert receive_after.status_code == 409
    assert fresh(part).quantity_on_hand == 3


def test_drafts_can_be_edited_and_deleted(api, in_alpha):
    a, b = PartFactory(), PartFactory()
    client = api("planner")
    po = draft(client, VendorFactory(), (a, 1, 1))

    edited = client.patch(
        f"{POS}{po['id']}/",
        {"lines": [{"part": b.pk, "quantity": "7", "unit_cost": "2"}], "notes": "swap"},
        format="json",
    )

    assert edited.status_code == 200
    assert [(line["part"], line["quantity"]) for line in edited.json()["lines"]] == [(b.pk, 7)]
    assert client.delete(f"{POS}{po['id']}/").status_code == 204
    assert not PurchaseOrder.objects.filter(pk=po["id"]).exists()


def test_filters_by_status_vendor_and_part(api, in_alpha):
    v1, v2 = VendorFactory(), VendorFactory()
    a, b = PartFactory(), PartFactory()
    client = api("viewer")
    planner = api("planner")
    first = draft(planner, v1, (a, 1, 1))
    draft(planner, v2, (b, 1, 1))
    planner.post(f"{POS}{first['id']}/approve/")

    def ids(**query):
        response = client.get(POS, query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(status="approved") == [first["id"]]
    assert ids(vendor=v1.pk) == [first["id"]]
    assert ids(part=a.pk) == [first["id"]]
    assert len(ids(search=first["number"])) == 1


def test_suggest_reorders_drafts_one_order_per_vendor(api, in_alpha):
    v1, v2 = VendorFactory(name="Apex"), VendorFactory(name="Brightline")
    low1 = PartFactory(vendor=v1, reorder_point=D(5), reorder_quantity=D(10))
    low2 = PartFactory(vendor=v1, reorder_point=D(10), reorder_quantity=D(4))
    low3 = PartFactory(vendor=v2, reorder_point=D(2), reorder_quantity=D(0))
    orphan = PartFactory(vendor=None, reorder_point=D(3))
    fine = PartFactory(vendor=v1, reorder_point=D(1), reorder_quantity=D(5))
    PartFactory(vendor=v1)  # neither reorder point nor quantity: not replenished
    put(low1, 5)
    put(low2, 0.5)
    put(fine, 2)
    client = api("planner")

    first = client.post(f"{POS}suggest-reorders/")
    second = client.post(f"{POS}suggest-reorders/")

    assert first.status_code == 201, first.content
    orders = first.json()["purchase_orders"]
    assert [order["vendor"] for order in orders] == [v1.pk, v2.pk]
    assert all(order["status"] == "draft" for order in orders)
    assert {(line["part"], line["quantity"]) for line in orders[0]["lines"]} == {
        (low1.pk, 10),  # one lot lifts 5 to 15
        (low2.pk, 12),  # 0.5 + 12 = 12.5 > 10 (three lots of 4)
    }
    assert [(line["part"], line["quantity"]) for line in orders[1]["lines"]] == [(low3.pk, 3)]
    assert first.json()["parts_without_vendor"] == [orphan.pk]
    assert second.status_code == 200
    assert second.json()["purchase_orders"] == []
    assert PurchaseOrder.objects.count() == 2


def test_cancelled_orders_no_longer_count_as_on_order(api, in_alpha):
    part = PartFactory(vendor=VendorFactory(), reorder_point=D(2), reorder_quantity=D(5))
    suggestion = purchasing.purchase_orders_suggest(by=None)
    purchasing.purchase_order_cancel(purchase_order=suggestion.purchase_orders[0], by=None)

    again = purchasing.purchase_orders_suggest(by=None)

    assert [line.part_id for po in again.purchase_orders for line in po.lines.all()] == [part.pk]


@pytest.mark.parametrize(
    "make_body",
    [
        lambda vendor, part: {},
        lambda vendor, part: {"vendor": 99999999},
        lambda vendor, part: {"vendor": "x"},
        lambda vendor, part: {"vendor": vendor, "lines": [{"part": 99999999, "quantity": "1"}]},
        lambda vendor, part: {"vendor": vendor, "lines": [{"part": part, "quantity": "0"}]},
        lambda vendor, part: {
            "vendor": vendor,
            "lines": [{"part": part, "quantity": "1", "unit_cost": "-1"}],
        },
        lambda vendor, part: {"vendor": vendor, "lines": [{"part": part}]},
        lambda vendor, part: {"vendor": vendor, "lines": part},
        lambda vendor, part: {"vendor": vendor, "expected_at": "someday"},
    ],
)
def test_bad_purchase_order_bodies_are_400(api, in_alpha, make_body):
    payload = make_body(VendorFactory().pk, PartFactory().pk)

    response = api("manager").post(POS, payload, format="json")

    assert response.status_code == 400, response.content
    assert PurchaseOrder.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"lines": [{"line": "x", "quantity": "1"}]},
        {"lines": [{"line": 1, "quantity": "-1"}]},
        {"lines": [{"line": 2**70, "quantity": "1"}]},
        {"lines": [{"line": 1}]},
        {"lines": "all"},
    ],
)
def test_bad_receive_bodies_are_4xx(api, in_alpha, body):
    part = PartFactory()
    client = api("manager")
    po = draft(client, VendorFactory(), (part, 5, 1))
    client.post(f"{POS}{po['id']}/approve/")
    client.post(f"{POS}{po['id']}/order/")

    response = client.post(f"{POS}{po['id']}/receive/", body, format="json")

    assert response.status_code == 400, response.content
    assert fresh(part).quantity_on_hand == 0
