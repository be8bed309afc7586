"""Write bodies are read strictly: unknown fields are refused with a 400 naming them;
fields a GET returned may be sent back; an asset is named by asset_id everywhere."""

import pytest

from assets.models import Threshold
from tests.assets.factories import AssetFactory
from tests.maintenance.factories import WorkOrderFactory, stocked_part

pytestmark = pytest.mark.django_db


def test_an_unknown_field_is_refused_by_name(api, in_alpha):
    response = api("planner").post(
        "/api/v1/work-orders/", {"title": "Belt", "colour": "red", "urgency": 3}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"colour", "urgency"}


def test_an_unknown_field_inside_a_list_is_refused(api, in_alpha):
    part = stocked_part("BRG-1", 5)
    job = WorkOrderFactory(status="in_progress")

    response = api("manager").post(
        f"/api/v1/work-orders/{job.pk}/complete/",
        {"parts_used": [{"part": part.pk, "quantity": 1, "bin": "A3"}]},
        format="json",
    )

    assert response.status_code == 400
    assert "bin" in str(response.json())


def test_an_object_sent_back_as_returned_is_accepted(api, in_alpha):
    client = api("planner")
    created = client.post("/api/v1/work-orders/", {"title": "Belt"}, format="json").json()

    response = client.put(
        f"/api/v1/work-orders/{created['id']}/",
        {**created, "title": "Belt, again"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Belt, again"


def test_sign_in_refuses_unknown_fields(alpha):
    from rest_framework.test import APIClient

    response = APIClient(HTTP_HOST=alpha.domain).post(
        "/api/v1/auth/token/",
        {"username": "viewer", "password": "x", "remember_me": True},
        format="json",
    )

    assert response.status_code == 400
    assert "remember_me" in response.json()


def test_a_threshold_posted_with_asset_id_is_for_that_asset(api, in_alpha):
    AssetFactory(asset_id="PUMP-7")

    response = api("planner").post(
        "/api/v1/asset-thresholds/",
        {"asset_id": "PUMP-7", "metric": "temperature", "operator": "gt", "value": 60},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["asset_id"] == "PUMP-7"
    assert Threshold.objects.get(pk=response.json()["id"]).asset.asset_id == "PUMP-7"


def test_a_threshold_naming_two_different_assets_is_refused(api, in_alpha):
    AssetFactory(asset_id="PUMP-7")
    AssetFactory(asset_id="PUMP-8")

    response = api("planner").post(
        "/api/v1/asset-thresholds/",
        {
            "asset_id": "PUMP-7",
            "asset": "PUMP-8",
            "metric": "temperature",
            "operator": "gt",
            "value": 60,
        },
        format="json",
    )

    assert response.status_code == 400
