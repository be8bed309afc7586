"""Who may do what in inventory, and that one tenant's stock is invisible to another."""

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from inventory.models import Part, PurchaseOrder, StockMovement
from inventory.services import catalog, purchasing, stock
from tests.inventory.conftest import fresh, put
from tests.inventory.factories import PartFactory, StockLocationFactory, VendorFactory
from tests.maintenance.factories import WorkOrderFactory

D = Decimal
pytestmark = pytest.mark.django_db
INV = "/api/v1/inventory"


@pytest.fixture
def stocked(in_alpha):
    part = PartFactory(vendor=VendorFactory(), reorder_point=D(1), reorder_quantity=D(5))
    put(part, 20)
    return part


def ordered_po(part):
    po = purchasing.purchase_order_create(
        vendor=part.vendor, by=None, lines=[purchasing.OrderLine(part=part, quantity=D(2))]
    )
    purchasing.purchase_order_approve(purchase_order=po, by=None)
    purchasing.purchase_order_mark_ordered(purchase_order=po, by=None)
    return po


READS = [
    "/parts/",
    "/parts/{part}/",
    "/parts/low-stock/",
    "/parts/{part}/history/",
    "/stock-locations/",
    "/stock-levels/",
    "/stock-movements/",
    "/vendors/",
    "/purchase-orders/",
]


@pytest.mark.parametrize("role", ["manager", "planner", "technician", "viewer"])
@pytest.mark.parametrize("path", READS)
def test_everyone_but_requesters_reads_inventory(api, stocked, role, path):
    assert api(role).get(INV + path.format(part=stocked.pk)).status_code == 200


@pytest.mark.parametrize("path", READS)
def test_requesters_see_nothing_in_inventory(api, stocked, path):
    assert api("requester").get(INV + path.format(part=stocked.pk)).status_code == 403


def test_anonymous_is_401(api, stocked):
    assert api(None).get(f"{INV}/parts/").status_code == 401


def _writes(part, location, po):
    """(name, method, path, body) of every inventory write."""
    return [
        ("usage", "post", f"/parts/{part.pk}/usage/", {"quantity": "1"}),
        ("return", "post", f"/parts/{part.pk}/return/", {"quantity": "1"}),
        ("consume", "post", "/parts/consume/", {"lines": [{"part": part.pk, "quantity": "1"}]}),
        ("restock", "post", f"/parts/{part.pk}/restock/", {"quantity": "1"}),
        ("adjust", "post", f"/parts/{part.pk}/adjust/", {"delta": "1", "reason": "found"}),
        (
            "transfer",
            "post",
            f"/parts/{part.pk}/transfer/",
            {"from_location": part.location_id, "to_location": location.pk, "quantity": "1"},
        ),
        ("create_part", "post", "/parts/", {"part_number": "NEW-1", "name": "New"}),
        ("edit_part", "patch", f"/parts/{part.pk}/", {"name": "Renamed"}),
        ("create_location", "post", "/stock-locations/", {"code": "NEW", "name": "New"}),
        ("create_vendor", "post", "/vendors/", {"name": "New vendor"}),
        ("create_po", "post", "/purchase-orders/", {"vendor": part.vendor_id}),
        ("receive", "post", f"/purchase-orders/{po.pk}/receive/", {}),
        ("suggest", "post", "/purchase-orders/suggest-reorders/", {}),
    ]


TECHNICIAN_MAY = {"usage", "return", "consume"}
WRITE_NAMES = [
    "usage",
    "return",
    "consume",
    "restock",
    "adjust",
    "transfer",
    "create_part",
    "edit_part",
    "create_location",
    "create_vendor",
    "create_po",
    "receive",
    "suggest",
]


@pytest.mark.parametrize("name", WRITE_NAMES)
@pytest.mark.parametrize("role", ["manager", "planner", "technician", "requester", "viewer"])
def test_write_permissions_by_role(api, stocked, role, name, in_alpha):
    job = WorkOrderFactory(assigned_to=in_alpha.users["technician"])
    stock.part_usage_record(part=stocked, quantity=D(2), by=None, work_order_id=job.pk)
    writes = {w[0]: w for w in _writes(stocked, StockLocationFactory(), ordered_po(stocked))}
    _, method, path, body = writes[name]
    if name == "return":
        body = {**body, "work_order": job.pk}

    response = getattr(api(role), method)(INV + path, body, format="json")

    allowed = role in {"manager", "planner"} or (role == "technician" and name in TECHNICIAN_MAY)
    if allowed:
        assert response.status_code in {200, 201}, response.content
    else:
        assert response.status_code == 403, response.content


@pytest.mark.parametrize("role", ["technician", "viewer", "requester"])
def test_only_managers_and_planners_approve_purchase_orders(api, stocked, role):
    po = purchasing.purchase_order_create(
        vendor=stocked.vendor, by=None, lines=[purchasing.OrderLine(part=stocked, quantity=D(1))]
    )

    assert api(role).post(f"{INV}/purchase-orders/{po.pk}/approve/").status_code == 403
    assert api("planner").post(f"{INV}/purchase-orders/{po.pk}/approve/").status_code == 200


def test_a_technician_cannot_adjust_even_with_a_valid_body(api, stocked):
    response = api("technician").post(
        f"{INV}/parts/{stocked.pk}/adjust/", {"counted": "0", "reason": "lost"}
    )

    assert response.status_code == 403
    assert fresh(stocked).quantity_on_hand == 20


# --- Tenant isolation ----------------------------------------------------------


@pytest.fixture
def beta_part(beta, db):
    with tenant_context(beta.tenant):
        part = PartFactory(part_number="BETA-ONLY", vendor=VendorFactory(name="Beta vendor"))
        put(part, 7)
        return part


def test_a_part_of_beta_is_invisible_and_untouchable_from_alpha(api, alpha, beta, beta_part):
    with tenant_context(alpha.tenant):
        own = PartFactory(part_number="ALPHA-ONE")
        put(own, 3)
        # Ids are per schema: make sure the id really is foreign to alpha.
        assert not Part.objects.filter(pk=beta_part.pk).exists()
    client = api("manager", tenant=alpha)
    base = f"{INV}/parts/{beta_part.pk}"

    listed = client.get(f"{INV}/parts/", {"page_size": 500}).json()["results"]
    responses = [
        client.get(f"{base}/"),
        client.get(f"{base}/history/"),
        client.patch(f"{base}/", {"name": "stolen"}),
        client.delete(f"{base}/"),
        client.post(f"{base}/usage/", {"quantity": "1"}),
        client.post(f"{base}/restock/", {"quantity": "1"}),
        client.post(f"{base}/adjust/", {"counted": "0", "reason": "lost"}),
    ]
    consume = client.post(
        f"{INV}/parts/consume/",
        {"lines": [{"part": beta_part.pk, "quantity": "1"}]},
        format="json",
    )
    po = client.post(
        f"{INV}/purchase-orders/",
        {
            "vendor": beta_part.vendor_id,
            "lines": [{"part": beta_part.pk, "quantity": "1"}],
        },
        format="json",
    )

    assert [row["part_number"] for row in listed] == ["ALPHA-ONE"]
    assert [r.status_code for r in responses] == [404] * len(responses)
    assert consume.status_code == 400
    assert po.status_code == 400
    with tenant_context(beta.tenant):
        assert fresh(beta_part).quantity_on_hand == 7
        assert fresh(beta_part).name != "stolen"
        assert StockMovement.objects.filter(part=beta_part).count() == 1
    with tenant_context(alpha.tenant):
        assert not PurchaseOrder.objects.exists()


def test_each_tenant_sees_only_its_own_ledger_and_low_stock(api, alpha, beta, beta_part):
    with tenant_context(beta.tenant):
        catalog.part_update(part=beta_part, by=None, reorder_point=D(10))

    alpha_client = api("viewer", tenant=alpha)
    beta_client = api("viewer", tenant=beta)

    assert alpha_client.get(f"{INV}/stock-movements/").json()["results"] == []
    assert alpha_client.get(f"{INV}/parts/low-stock/").json()["count"] == 0
    assert beta_client.get(f"{INV}/parts/low-stock/").json()["count"] == 1
    assert len(beta_client.get(f"{INV}/stock-movements/").json()["results"]) == 1


def test_a_beta_token_cannot_use_alphas_inventory(alpha, beta, beta_part):
    from tests.conftest import bearer

    client = APIClient(HTTP_HOST=alpha.domain)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {bearer(beta, beta.users['manager'])}")

    assert client.get(f"{INV}/parts/").status_code == 401
    assert client.post(f"{INV}/parts/{beta_part.pk}/usage/", {"quantity": "1"}).status_code == 401
