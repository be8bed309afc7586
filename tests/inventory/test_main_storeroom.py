"""Every tenant has a main storeroom from the start, used when no location is named."""

import pytest
from django_tenants.utils import tenant_context

from inventory.models import StockLocation, StockMovement
from tenants.services import tenant_provision
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
PARTS = "/api/v1/inventory/parts/"


def test_a_part_made_with_only_a_number_and_a_name_is_restocked_used_and_planned(api, in_alpha):
    client = api("planner")
    part = client.post(PARTS, {"part_number": "SEAL-9", "name": "Shaft seal"}).json()

    restocked = client.post(f"{PARTS}{part['id']}/restock/", {"quantity": "5", "unit_cost": "3"})
    used = client.post(f"{PARTS}{part['id']}/usage/", {"quantity": "2"})
    order = client.post(
        "/api/v1/work-orders/",
        {"title": "Replace seal", "parts": [{"part": part["id"], "quantity": "1"}]},
        format="json",
    )

    assert restocked.status_code == 201, restocked.content
    assert used.status_code == 201, used.content
    assert order.status_code == 201, order.content
    main = StockLocation.objects.get(is_main=True)
    assert {m.location_id for m in StockMovement.objects.filter(part_id=part["id"])} == {main.pk}
    assert client.get(f"{PARTS}{part['id']}/").json()["stock"] == [
        {"location": main.pk, "location_code": "MAIN", "quantity": 3}
    ]


def test_the_main_storeroom_cannot_be_deleted(api, in_alpha):
    main = StockLocation.objects.get(is_main=True)

    response = api("manager").delete(f"/api/v1/inventory/stock-locations/{main.pk}/")

    assert response.status_code == 409
    assert StockLocation.objects.filter(pk=main.pk).exists()


def test_a_new_tenant_starts_with_its_main_storeroom(db, test_tenants):
    made = tenant_provision(
        schema_name="gamma_store",
        domain="gamma-store.localhost",
        name="Gamma Store",
        admin_email="owner@gamma-store.localhost",
        admin_password=PASSWORD,
    )
    with tenant_context(made.tenant):
        assert list(StockLocation.objects.values_list("code", "is_main")) == [("MAIN", True)]
