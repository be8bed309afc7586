"""ingest_metrics (same path as the API, a report of refused lines) and the admin's
IoT pages: the asset's charts drawn on the server, tokens made there shown once."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from iot.admin import metric_chart_svg
from iot.models import DeviceToken
from iot.services.ingestion import readings_ingest
from tests.assets.factories import AssetFactory

pytestmark = pytest.mark.django_db


def test_ingest_metrics_loads_a_csv_through_the_ingestion_service(alpha, in_alpha, tmp_path):
    pump = AssetFactory(asset_id="PUMP-1")
    at = timezone.now() - timedelta(hours=1)
    lines = ["device_id,metric,value,unit,timestamp"]
    lines += [f"PUMP-1,flow,{i},m3/h,{(at + timedelta(minutes=i)).isoformat()}" for i in range(5)]
    lines += [f"NOPE,flow,1,m3/h,{at.isoformat()}", f"PUMP-1,flow,abc,m3/h,{at.isoformat()}"]
    path = tmp_path / "readings.csv"
    path.write_text("\n".join(lines) + "\n")
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command(
            "ingest_metrics",
            str(path),
            tenant=alpha.schema,
            no_progress=True,
            stdout=out,
            stderr=err,
        )

    assert exited.value.code == 1
    assert "5 readings stored, 2 rejected" in out.getvalue()
    assert "line 7: Unknown device." in err.getvalue()
    assert "line 8: value must be a number." in err.getvalue()
    connection.set_tenant(alpha.tenant)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), max(unit) FROM iot_reading WHERE device_id = %s", [pump.pk]
        )
        assert cursor.fetchone() == (5, "m3/h")


def test_the_asset_page_draws_each_metric_as_svg(admin_client, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    now = timezone.now()
    readings_ingest(
        items=[
            {
                "device_id": "PUMP-1",
                "metric": "flow<b>",
                "value": i % 7,
                "unit": "m3/h",
                "timestamp": (now - timedelta(hours=i)).isoformat(),
            }
            for i in range(48)
        ]
    )

    page = admin_client("manager").get(f"/admin/assets/asset/{pump.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    assert "<polyline" in html
    assert "flow&lt;b&gt;" in html
    assert "flow<b>" not in html


def test_a_chart_without_readings_says_so():
    assert "no readings" in metric_chart_svg("flow", "m3/h", [])


def test_a_token_made_in_the_admin_is_shown_once(admin_client, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    client = admin_client("manager")

    response = client.post(
        "/admin/iot/devicetoken/add/", {"asset": pump.pk, "name": "gateway"}, follow=True
    )

    assert response.status_code == 200
    token = DeviceToken.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    assert any("iotd_" in m for m in shown)
    listing = client.get("/admin/iot/devicetoken/").content.decode()
    secret = next(m for m in shown if "iotd_" in m).rsplit(" ", 1)[-1]
    assert secret not in listing
    assert token.prefix in listing


def test_tokens_are_revoked_by_the_admin_action(admin_client, in_alpha):
    from iot.services.tokens import device_token_create

    token, _ = device_token_create(by=None, asset=AssetFactory(asset_id="PUMP-1"))

    response = admin_client("manager").post(
        "/admin/iot/devicetoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
