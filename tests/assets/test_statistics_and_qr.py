"""Statistics over a period, and QR codes for the public request form."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assets.models import AssetDowntime
from assets.services import monitoring, registry
from tests.assets.factories import AssetFactory

pytestmark = pytest.mark.django_db


def test_statistics_for_one_asset(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    AssetFactory(asset_id="OTHER")
    start = timezone.now() - timedelta(days=10)
    end = start + timedelta(days=10)
    for uptime, efficiency, temperature, errors in ((96, 80, 60, 2), (90, 70, 95, 3)):
        monitoring.performance_record(
            by=None,
            asset=pump,
            recorded_at=start + timedelta(days=1),
            uptime_percentage=Decimal(uptime),
            efficiency_rating=Decimal(efficiency),
            temperature=Decimal(temperature),
            error_count=errors,
            warning_count=1,
        )
    # 24 hours down inside the window, and 12 more hours that started before it.
    AssetDowntime.objects.create(
        asset=pump,
        status="repair",
        started_at=start + timedelta(days=2),
        ended_at=start + timedelta(days=3),
    )
    AssetDowntime.objects.create(
        asset=pump,
        status="repair",
        started_at=start - timedelta(hours=6),
        ended_at=start + timedelta(hours=12),
    )

    response = api("viewer").get(
        "/api/v1/assets/statistics/",
        {"asset_id": "PUMP-1", "start_date": start.isoformat(), "end_date": end.isoformat()},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["asset_id"] == "PUMP-1"
    assert body["asset_count"] == 1
    assert body["average_uptime_percentage"] == 93.0
    assert body["average_efficiency_rating"] == 75.0
    assert body["error_count"] == 5
    assert body["warning_count"] == 2
    assert body["alerts_by_severity"]["high"] == 1
    assert body["downtime_hours"] == 36.0
    assert body["availability_percentage"] == 85.0  # 36 of 240 hours down


def test_statistics_for_all_assets_and_open_downtime(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    AssetFactory(asset_id="PUMP-2")
    registry.asset_change_status(
        by=None, asset=pump, status="repair", at=timezone.now() - timedelta(hours=5)
    )

    body = (
        api("viewer")
        .get(
            "/api/v1/assets/statistics/",
            {"start_date": (timezone.now() - timedelta(hours=10)).isoformat()},
        )
        .json()
    )

    assert body["asset_id"] is None
    assert body["asset_count"] == 2
    assert 4.9 < body["downtime_hours"] <= 5.1
    assert 74 < body["availability_percentage"] < 76  # 5 of 20 asset-hours


def test_statistics_of_an_unknown_asset_is_404(api, in_alpha):
    response = api("viewer").get("/api/v1/assets/statistics/", {"asset_id": "NOPE"})

    assert response.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"start_date": ""},
        {"start_date": "yesterday"},
        {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
    ],
)
def test_statistics_bad_query_is_400(api, in_alpha, query):
    assert api("viewer").get("/api/v1/assets/statistics/", query).status_code == 400


def test_qr_code_is_an_svg_or_png_pointing_at_the_request_form(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1", name="Feed pump")
    client = api("viewer")

    svg = client.get("/api/v1/assets/PUMP-1/qr/")
    png = client.get("/api/v1/assets/PUMP-1/qr/", {"format": "png", "scale": 4})
    detail = client.get("/api/v1/assets/PUMP-1/").json()

    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg.content.lstrip().startswith(b"<?xml") or b"<svg" in svg.content[:200]
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert detail["request_url"] == f"http://{in_alpha.domain}/request/{pump.request_token}/"
    assert len(pump.request_token) >= 32


def test_qr_code_decodes_to_the_request_url(api, in_alpha):
    """The code carries exactly that URL: byte-identical to segno's own rendering of it."""
    import segno

    pump = AssetFactory(asset_id="PUMP-1")
    url = f"http://{in_alpha.domain}/request/{pump.request_token}/"

    svg = api("viewer").get("/api/v1/assets/PUMP-1/qr/", {"scale": 1}).content
    expected = segno.make(url, error="m")

    out = io.BytesIO()
    expected.save(out, kind="svg", scale=1, border=4, title="PUMP-1 " + pump.name)
    assert svg == out.getvalue()


@pytest.mark.parametrize(
    "query", [{"format": "gif"}, {"scale": "0"}, {"scale": "huge"}, {"scale": "41"}]
)
def test_qr_bad_options_are_400(api, in_alpha, query):
    AssetFactory(asset_id="PUMP-1")

    assert api("viewer").get("/api/v1/assets/PUMP-1/qr/", query).status_code == 400


def test_rotating_the_token_invalidates_old_labels(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    old = pump.request_token

    response = api("planner").post("/api/v1/assets/PUMP-1/qr/rotate/")

    assert response.status_code == 200
    pump.refresh_from_db()
    assert pump.request_token != old
    assert old not in response.json()["request_url"]
    assert api("technician").post("/api/v1/assets/PUMP-1/qr/rotate/").status_code == 403


def test_request_tokens_are_unguessable_and_distinct(in_alpha):
    tokens = {AssetFactory().request_token for _ in range(50)}

    assert len(tokens) == 50
