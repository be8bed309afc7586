"""Meters and readings: cumulative meters only go up (unless reset)."""

from decimal import Decimal

import pytest

from assets.models import Meter, MeterReading
from tests.assets.factories import AssetFactory, MeterFactory

pytestmark = pytest.mark.django_db


def read(client, asset_id, **body):
    return client.post(f"/api/v1/assets/{asset_id}/meter-readings/", body, format="json")


@pytest.fixture
def hours(in_alpha):
    return MeterFactory(asset=AssetFactory(asset_id="CMP-1"), name="Running hours", unit="h")


def test_technician_records_readings_and_the_meter_follows(api, hours):
    client = api("technician")

    first = read(client, "CMP-1", meter=hours.pk, value=1200)
    second = read(client, "CMP-1", meter="running hours", value="1250.5")

    assert first.status_code == 201, first.content
    assert second.status_code == 201
    assert second.json()["delta"] == 50.5
    assert second.json()["meter_name"] == "Running hours"
    assert second.json()["unit"] == "h"
    hours.refresh_from_db()
    assert hours.current_value == Decimal("1250.5")


def test_a_cumulative_meter_refuses_going_backwards(api, hours):
    client = api("technician")
    read(client, "CMP-1", meter=hours.pk, value=1200)

    backwards = read(client, "CMP-1", meter=hours.pk, value=1100)

    assert backwards.status_code == 400
    assert "below the last reading" in backwards.json()["value"][0]
    assert MeterReading.objects.count() == 1
    hours.refresh_from_db()
    assert hours.current_value == Decimal("1200")


def test_a_reset_is_accepted_and_counts_from_zero(api, hours):
    client = api("technician")
    read(client, "CMP-1", meter=hours.pk, value=1200)

    reset = read(client, "CMP-1", meter=hours.pk, value=3, is_reset=True)

    assert reset.status_code == 201
    assert reset.json()["delta"] == 3
    hours.refresh_from_db()
    assert hours.current_value == Decimal("3")


def test_a_reading_dated_before_the_latest_is_refused(api, hours):
    client = api("technician")
    read(client, "CMP-1", meter=hours.pk, value=1200, reading_at="2026-05-01T00:00:00Z")

    late = read(client, "CMP-1", meter=hours.pk, value=1300, reading_at="2026-04-01T00:00:00Z")

    assert late.status_code == 400
    assert "reading_at" in late.json()


def test_a_gauge_may_go_down(api, in_alpha):
    asset = AssetFactory(asset_id="TANK-1")
    gauge = Meter.objects.create(
        asset=asset, name="Level", unit="%", kind="gauge", cumulative=False
    )
    client = api("technician")
    read(client, "TANK-1", meter=gauge.pk, value=80)

    assert read(client, "TANK-1", meter=gauge.pk, value=40).status_code == 201


def test_naming_a_new_meter_with_a_unit_creates_it(api, in_alpha):
    AssetFactory(asset_id="TRUCK-1")

    response = read(api("technician"), "TRUCK-1", meter="Odometer", value=120000, unit="km")

    assert response.status_code == 201
    assert Meter.objects.get(asset__asset_id="TRUCK-1").unit == "km"


@pytest.mark.parametrize(
    "body",
    [
        {"meter": "Odometer", "value": 5},  # unknown meter, no unit
        {"value": 5},
        {"meter": "1", "value": "lots"},
        {"meter": "99999999999999999999999", "value": 1},
        {"meter": "Running hours", "value": 1, "unit": "km"},  # wrong unit for the meter
        {"meter": "Running hours", "value": 1e30},
    ],
)
def test_bad_readings_are_400(api, hours, body):
    assert read(api("technician"), "CMP-1", **body).status_code == 400
    assert not MeterReading.objects.exists()


def test_a_meter_of_another_asset_cannot_be_read_through_this_one(api, hours):
    AssetFactory(asset_id="OTHER")

    assert read(api("technician"), "OTHER", meter=hours.pk, value=1).status_code == 400


def test_readings_list_newest_first_and_filter_by_meter(api, hours):
    client = api("technician")
    for value in (10, 20, 30):
        read(client, "CMP-1", meter=hours.pk, value=value)
    read(client, "CMP-1", meter="Cycles", value=5, unit="cycles")

    everything = client.get("/api/v1/assets/CMP-1/meter-readings/").json()["results"]
    just_hours = client.get(
        "/api/v1/assets/CMP-1/meter-readings/", {"meter": "Running hours"}
    ).json()["results"]

    assert len(everything) == 4
    assert [r["value"] for r in just_hours] == [30, 20, 10]


def test_viewers_cannot_record_readings(api, hours):
    assert read(api("viewer"), "CMP-1", meter=hours.pk, value=1).status_code == 403


def test_meters_list_and_create(api, in_alpha):
    AssetFactory(asset_id="CMP-2")

    created = api("planner").post(
        "/api/v1/assets/CMP-2/meters/", {"name": "Starts", "unit": "count", "kind": "count"}
    )
    listed = api("viewer").get("/api/v1/assets/CMP-2/meters/")

    assert created.status_code == 201
    assert [m["name"] for m in listed.json()] == ["Starts"]
    assert (
        api("technician")
        .post("/api/v1/assets/CMP-2/meters/", {"name": "X", "unit": "h"})
        .status_code
        == 403
    )
