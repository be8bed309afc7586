"""The tenant admin: stock by location inline, a read-only ledger, actions through services."""

from decimal import Decimal

import pytest

from core.models import AuditEntry
from inventory.models import Part, PurchaseOrder, StockMovement
from inventory.services import purchasing
from tests.inventory.conftest import fresh, put
from tests.inventory.factories import PartFactory, StockLocationFactory, VendorFactory

D = Decimal
pytestmark = pytest.mark.django_db
ADMIN = "/admin/inventory"


def test_part_pages_show_stock_by_location(in_alpha, admin_client):
    part = PartFactory(part_number="ADM-1")
    van = StockLocationFactory(code="VAN-ADM")
    put(part, 4)
    put(part, 2, location=van)
    client = admin_client("planner")

    listing = client.get(f"{ADMIN}/part/")
    change = client.get(f"{ADMIN}/part/{part.pk}/change/")

    assert listing.status_code == 200
    assert b"ADM-1" in listing.content
    assert change.status_code == 200
    assert b"VAN-ADM" in change.content
    assert client.get(f"{ADMIN}/part/import/").status_code == 200


def test_adding_a_part_in_the_admin_goes_through_the_service(in_alpha, admin_client):
    location = StockLocationFactory()

    response = admin_client("manager").post(
        f"{ADMIN}/part/add/",
        {
            "part_number": "ADM-NEW",
            "name": "Added in admin",
            "unit": "each",
            "reorder_point": "2",
            "reorder_quantity": "4",
            "unit_cost": "1.5",
            "location": location.pk,
            "active": "on",
            "stock_levels-TOTAL_FORMS": "0",
            "stock_levels-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content[-2000:]
    part = Part.objects.get(part_number="ADM-NEW")
    assert part.low_stock_since is not None  # the service's rule, not a bare save()
    assert AuditEntry.objects.filter(action="part.create", object_id=str(part.pk)).exists()


def test_the_ledger_is_read_only_in_the_admin(in_alpha, admin_client):
    part = PartFactory()
    movement = put(part, 3)
    client = admin_client("manager")

    assert client.get(f"{ADMIN}/stockmovement/").status_code == 200
    assert client.get(f"{ADMIN}/stockmovement/add/").status_code == 403
    client.post(
        f"{ADMIN}/stockmovement/{movement.pk}/change/", {"quantity": "999", "kind": "receipt"}
    )
    deleted = client.post(f"{ADMIN}/stockmovement/{movement.pk}/delete/", {"post": "yes"})

    assert deleted.status_code == 403
    assert StockMovement.objects.get(pk=movement.pk).quantity == 3


def test_restock_action_asks_then_restocks_through_the_service(in_alpha, admin_client):
    a, b = PartFactory(unit_cost=D(0)), PartFactory(unit_cost=D(0))
    client = admin_client("planner")
    selected = {"action": "restock", "_selected_action": [a.pk, b.pk]}

    asked = client.post(f"{ADMIN}/part/", selected)
    done = client.post(
        f"{ADMIN}/part/", {**selected, "apply": "1", "quantity": "5", "unit_cost": "2"}
    )

    assert asked.status_code == 200
    assert b'name="quantity"' in asked.content
    assert done.status_code == 302
    for part in (a, b):
        assert fresh(part).quantity_on_hand == 5
        assert fresh(part).unit_cost == D(2)
        assert StockMovement.objects.get(part=part).actor_username == "planner"


def test_adjust_action_reports_refusals_and_applies_the_rest(in_alpha, admin_client):
    full, empty = PartFactory(), PartFactory()
    put(full, 5)
    client = admin_client("manager")

    response = client.post(
        f"{ADMIN}/part/",
        {
            "action": "adjust",
            "_selected_action": [full.pk, empty.pk],
            "apply": "1",
            "delta": "-2",
            "reason": "damaged",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert fresh(full).quantity_on_hand == 3
    assert fresh(empty).quantity_on_hand == 0
    assert b"Not enough stock" in response.content


def test_suggest_reorders_action_drafts_purchase_orders(in_alpha, admin_client):
    vendor = VendorFactory()
    low = PartFactory(vendor=vendor, reorder_point=D(3), reorder_quantity=D(6))

    admin_client("planner").post(
        f"{ADMIN}/part/", {"action": "suggest_reorders", "_selected_action": [low.pk]}
    )

    po = PurchaseOrder.objects.get()
    assert po.vendor == vendor
    assert [(line.part_id, line.quantity) for line in po.lines.all()] == [(low.pk, 6)]


def test_purchase_order_actions_approve_order_and_receive(in_alpha, admin_client):
    part = PartFactory()
    po = purchasing.purchase_order_create(
        vendor=VendorFactory(), by=None, lines=[purchasing.OrderLine(part=part, quantity=D(4))]
    )
    client = admin_client("manager")
    selected = {"_selected_action": [po.pk]}

    assert client.get(f"{ADMIN}/purchaseorder/{po.pk}/change/").status_code == 200
    client.post(f"{ADMIN}/purchaseorder/", {**selected, "action": "approve"})
    client.post(f"{ADMIN}/purchaseorder/", {**selected, "action": "mark_ordered"})
    client.post(f"{ADMIN}/purchaseorder/", {**selected, "action": "receive_all"})

    po.refresh_from_db()
    assert po.status == "received"
    assert fresh(part).quantity_on_hand == 4


def test_adding_a_purchase_order_with_lines_in_the_admin(in_alpha, admin_client):
    vendor, part = VendorFactory(), PartFactory()
    form = {
        "vendor": vendor.pk,
        "reference": "",
        "notes": "by hand",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-part": part.pk,
        "lines-0-quantity": "3",
        "lines-0-unit_cost": "2.5",
        "lines-0-notes": "",
    }

    response = admin_client("planner").post(f"{ADMIN}/purchaseorder/add/", form)

    assert response.status_code == 302, response.content[-3000:]
    po = PurchaseOrder.objects.get()
    assert po.number == f"PO-{po.pk:06d}"
    assert [(line.part_id, line.quantity, line.unit_cost) for line in po.lines.all()] == [
        (part.pk, D(3), D("2.5"))
    ]
    assert AuditEntry.objects.filter(action="purchase_order.update", object_id=str(po.pk)).exists()


def test_technicians_have_no_admin(in_alpha, admin_client):
    response = admin_client("technician").get(f"{ADMIN}/part/")

    assert response.status_code == 302
    assert "/login/" in response["Location"]
