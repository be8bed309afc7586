"""Places and the location history of assets."""

import pytest
from django_tenants.utils import tenant_context

from assets.models import AssetLocationChange, Location
from tests.assets.factories import AssetFactory, LocationFactory

pytestmark = pytest.mark.django_db


def test_moving_by_names_builds_the_place_hierarchy_and_the_history(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    client = api("technician")

    moved = client.post(
        "/api/v1/assets/PUMP-1/location/",
        {
            "location_name": "Main Plant",
            "building": "Building A",
            "floor": "Floor 2",
            "room": "Room 201",
            "coordinates": [52.37, 4.89],
            "zone": "Wet area",
            "department": "Utilities",
        },
        format="json",
    )

    assert moved.status_code == 201, moved.content
    assert moved.json()["location_path"] == "Main Plant / Building A / Floor 2 / Room 201"
    assert moved.json()["coordinates"] == [52.37, 4.89]
    room = Location.objects.get(name="Room 201")
    assert [
        room.kind,
        room.parent.kind,
        room.parent.parent.kind,
        room.parent.parent.parent.kind,
    ] == [
        "room",
        "floor",
        "building",
        "site",
    ]
    asset = api("viewer").get("/api/v1/assets/PUMP-1/").json()
    assert asset["location"] == room.pk
    assert asset["location_path"] == "Main Plant / Building A / Floor 2 / Room 201"
    assert asset["department"] == "Utilities"


def test_history_lists_moves_newest_first_with_the_previous_place(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    store = LocationFactory(name="Store")
    client = api("technician")
    client.post(
        "/api/v1/assets/PUMP-1/location/",
        {"location_name": "Main Plant", "building": "A"},
        format="json",
    )
    client.post("/api/v1/assets/PUMP-1/location/", {"location": store.pk}, format="json")

    history = client.get("/api/v1/assets/PUMP-1/locations/").json()

    assert [h["location_path"] for h in history["results"]] == ["Store", "Main Plant / A"]
    assert history["results"][0]["previous_location_path"] == "Main Plant / A"
    assert history["results"][0]["moved_by"] == "technician"


def test_same_names_reuse_the_same_places(api, in_alpha):
    AssetFactory(asset_id="A1")
    AssetFactory(asset_id="A2")
    client = api("technician")
    for asset in ("A1", "A2"):
        client.post(
            f"/api/v1/assets/{asset}/location/",
            {"location_name": "Plant", "room": "Lab"},
            format="json",
        )

    assert Location.objects.filter(name="Lab").count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"coordinates": [91, 0], "location_name": "X"},
        {"coordinates": [0, 181], "location_name": "X"},
        {"coordinates": [1], "location_name": "X"},
        {"location": 99999},
        {"location": "abc"},
    ],
)
def test_bad_moves_are_400_and_change_nothing(api, in_alpha, body):
    AssetFactory(asset_id="A1")

    assert (
        api("technician").post("/api/v1/assets/A1/location/", body, format="json").status_code
        == 400
    )
    assert not AssetLocationChange.objects.exists()


def test_viewers_cannot_move_assets(api, in_alpha):
    AssetFactory(asset_id="A1")

    assert (
        api("viewer").post("/api/v1/assets/A1/location/", {"location_name": "X"}).status_code == 403
    )


def test_renaming_a_place_renames_the_paths_below_it(api, in_alpha):
    site = LocationFactory(name="Old name")
    hall = LocationFactory(name="Hall", parent=site)
    room = LocationFactory(name="Room", parent=hall)

    response = api("planner").patch(f"/api/v1/locations/{site.pk}/", {"name": "New name"})

    assert response.status_code == 200
    room.refresh_from_db()
    assert room.path == "New name / Hall / Room"


def test_a_place_cannot_move_inside_itself(api, in_alpha):
    site = LocationFactory(name="Site")
    hall = LocationFactory(name="Hall", parent=site)

    assert (
        api("planner").patch(f"/api/v1/locations/{site.pk}/", {"parent": hall.pk}).status_code
        == 400
    )


def test_a_place_in_use_cannot_be_deleted(api, in_alpha):
    site = LocationFactory(name="Site")
    AssetFactory(location=site)

    response = api("manager").delete(f"/api/v1/locations/{site.pk}/")

    assert response.status_code == 409
    assert response.json()["code"] == "location_in_use"


def test_locations_are_per_tenant(api, alpha, beta):
    with tenant_context(beta.tenant):
        hidden = LocationFactory(name="Beta site")

    client = api("viewer", tenant=alpha)

    assert client.get(f"/api/v1/locations/{hidden.pk}/").status_code == 404
    assert client.get("/api/v1/locations/").json()["count"] == 0
