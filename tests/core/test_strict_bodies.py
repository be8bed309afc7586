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


@pytest.mark.parametrize("as_form", [False, True], ids=["json", "form"])
def test_an_empty_string_is_not_null_for_a_field_that_is_not_text(api, in_alpha, as_form):
    from maintenance.models import WorkRequest

    body = {"title": "Leak", "asset_id": ""}
    client = api("manager")
    if as_form:
        response = client.post(
            "/api/v1/work-requests/",
            "title=Leak&asset_id=",
            content_type="application/x-www-form-urlencoded",
        )
    else:
        response = client.post("/api/v1/work-requests/", body, format="json")

    assert response.status_code == 400, response.content
    assert "asset_id" in response.json()
    assert not WorkRequest.objects.exists()


def test_an_empty_string_for_a_coordinate_is_refused(api, in_alpha):
    from assets.models import Location

    place = Location.objects.create(name="Plant")
    response = api("manager").patch(
        f"/api/v1/locations/{place.pk}/", {"longitude": ""}, format="json"
    )

    assert response.status_code == 400, response.content
    place.refresh_from_db()
    assert place.longitude is None
