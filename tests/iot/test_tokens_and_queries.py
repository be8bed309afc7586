"""Device tokens (shown once, one device, read nothing, revocable) and the reading
queries (cursor pages oldest first; date_bin buckets), tenants kept apart."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from iot.models import DeviceToken
from iot.services.ingestion import readings_ingest
from tests.assets.factories import AssetFactory

pytestmark = pytest.mark.django_db
TOKENS = "/api/v1/iot/device-tokens/"
METRICS = "/api/v1/iot/metrics/"


def device_client(tenant, token: str) -> APIClient:
    client = APIClient(HTTP_HOST=tenant.domain)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def reading(device: str, value: float = 1.0, minutes_ago: int = 1) -> dict:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return {"device_id": device, "metric": "flow", "value": value, "timestamp": at.isoformat()}


def test_a_token_is_shown_once_and_posts_only_for_its_own_device(api, alpha, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    AssetFactory(asset_id="PUMP-2")
    created = api("planner").post(TOKENS, {"device_id": "PUMP-1", "name": "gateway"})

    assert created.status_code == 201, created.content
    secret = created.json()["token"]
    assert secret.startswith("iotd_")
    stored = DeviceToken.objects.get()
    assert secret not in (stored.token_hash, stored.prefix)
    listed = api("viewer").get(TOKENS).json()["results"]
    assert "token" not in listed[0]
    assert listed[0]["device_id"] == "PUMP-1"

    device = device_client(alpha, secret)
    own = device.post(METRICS, [reading("PUMP-1"), {**reading("PUMP-1"), "device_id": None}])
    assert own.status_code == 403  # a reading naming no real device of its own
    assert device.post(METRICS, reading("PUMP-1")).status_code == 202
    without_device = {k: v for k, v in reading("PUMP-1", minutes_ago=2).items() if k != "device_id"}
    assert device.post(METRICS, without_device).json()["accepted"] == 1
    assert device.post(METRICS, reading("PUMP-2")).status_code == 403
    assert device.post(METRICS, [reading("PUMP-1"), reading("PUMP-2")]).status_code == 403

    # It reads nothing, anywhere.
    for path in (TOKENS, "/api/v1/assets/", "/api/v1/iot/devices/PUMP-1/metrics/"):
        assert device.get(path).status_code == 401, path


def test_a_revoked_token_answers_401(api, alpha, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    created = api("manager").post(TOKENS, {"device_id": "PUMP-1"}).json()
    device = device_client(alpha, created["token"])
    assert device.post(METRICS, reading("PUMP-1")).status_code == 202

    assert api("manager").delete(f"{TOKENS}{created['id']}/").status_code == 204

    assert device.post(METRICS, reading("PUMP-1")).status_code == 401
    assert DeviceToken.objects.get().revoked_at is not None
    assert api("manager").delete(f"{TOKENS}{created['id']}/").status_code == 409


def test_who_manages_tokens(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    for role in ("technician", "viewer", "requester"):
        assert api(role).post(TOKENS, {"device_id": "PUMP-1"}).status_code == 403, role
    assert api("requester").get(TOKENS).status_code == 403
    assert api("manager").post(TOKENS, {"device_id": "NOPE"}).status_code == 400


def test_a_token_of_one_tenant_is_nothing_on_another(api, alpha, beta, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    secret = api("manager").post(TOKENS, {"device_id": "PUMP-1"}).json()["token"]

    assert device_client(beta, secret).post(METRICS, reading("PUMP-1")).status_code == 401


def test_raw_readings_come_oldest_first_by_cursor(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    start = datetime(2026, 11, 1, tzinfo=UTC)
    items = [
        {
            "device_id": "PUMP-1",
            "metric": metric,
            "value": i,
            "timestamp": (start + timedelta(minutes=i)).isoformat(),
        }
        for i in range(5)
        for metric in ("flow", "head")
    ]
    readings_ingest(items=items, now=start + timedelta(hours=1))
    client = api("viewer")

    seen, url = [], f"/api/v1/iot/devices/{pump.asset_id}/metrics/?page_size=3"
    while url:
        page = client.get(url).json()
        assert page["previous"] is None or "previous" in page
        seen += [(r["timestamp"], r["metric"]) for r in page["results"]]
        url = page["next"]
    assert len(seen) == 10
    assert seen == sorted(seen)

    one = client.get(
        f"/api/v1/iot/devices/PUMP-1/metrics/?metric=head&start={(start + timedelta(minutes=2)).isoformat().replace('+00:00', 'Z')}"
    ).json()["results"]
    assert [r["value"] for r in one] == [2, 3, 4]
    assert one[0] == {
        "metric": "head",
        "value": 2.0,
        "unit": "",
        "timestamp": "2026-11-01T00:02:00Z",
    }


def test_buckets_are_aligned_from_2000_and_summed_in_sql(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    # 00:07 to 00:22 in 5-minute steps: 00:07 and 00:12 fall in the 15m bucket from 00:00,
    # 00:17 and 00:22 in the one from 00:15 (multiples of 15 minutes since 2000-01-01).
    base = datetime(2026, 11, 2, 0, 7, tzinfo=UTC)
    items = [
        {
            "device_id": "PUMP-1",
            "metric": "flow",
            "value": v,
            "timestamp": (base + timedelta(minutes=5 * i)).isoformat(),
        }
        for i, v in enumerate([1, 3, 10, 20])
    ]
    readings_ingest(items=items, now=base + timedelta(hours=1))

    response = api("viewer").get(
        "/api/v1/iot/devices/PUMP-1/metrics/?bucket=15m&start=2026-11-02T00:00:00Z&end=2026-11-02T01:00:00Z"
    )

    assert response.status_code == 200, response.content
    assert response.json() == [
        {
            "metric": "flow",
            "bucket_start": "2026-11-02T00:00:00Z",
            "min": 1.0,
            "max": 3.0,
            "avg": 2.0,
            "count": 2,
        },
        {
            "metric": "flow",
            "bucket_start": "2026-11-02T00:15:00Z",
            "min": 10.0,
            "max": 20.0,
            "avg": 15.0,
            "count": 2,
        },
    ]


def test_bad_queries_are_400_and_unknown_devices_404(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    client = api("viewer")
    base = "/api/v1/iot/devices/PUMP-1/metrics/"

    assert client.get(f"{base}?bucket=2h").status_code == 400
    assert (
        client.get(f"{base}?start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z").status_code == 400
    )
    assert (
        client.get(
            f"{base}?bucket=1m&start=2000-01-01T00:00:00Z&end=2026-01-01T00:00:00Z"
        ).status_code
        == 400
    )
    assert client.get(f"{base}?cursor=garbage").status_code == 400
    assert client.get(f"{base}?start=").status_code == 400
    assert client.get("/api/v1/iot/devices/NOPE/metrics/").status_code == 404
    assert api("requester").get(base).status_code == 403


def test_tenants_never_see_each_others_devices(api, alpha, beta, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    readings_ingest(items=[reading("PUMP-1")])

    assert api("manager", tenant=beta).get("/api/v1/iot/devices/PUMP-1/metrics/").status_code == 404
    assert api("manager", tenant=beta).get("/api/v1/iot/devices/PUMP-1/health/").status_code == 404
    assert api("manager").get("/api/v1/iot/devices/PUMP-1/metrics/").json()["results"]
