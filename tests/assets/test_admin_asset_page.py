"""An asset's page: its QR label (drawn locally), work order history, downtime, readings."""

import pytest

from assets.services import registry
from maintenance import services
from tests.assets.factories import AssetFactory

pytestmark = pytest.mark.django_db


def test_asset_page_shows_qr_history_and_downtime(admin_client, in_alpha):
    asset = AssetFactory(asset_id="PRESS-7", name="Hydraulic press")
    job = services.work_order_create(by=None, title="Oil leak", asset=asset)
    registry.asset_change_status(by=None, asset=asset, status="repair", reason="leak")
    client = admin_client("manager")

    page = client.get(f"/admin/assets/asset/{asset.pk}/change/").content.decode()
    assert "<svg" in page
    assert f"/request/{asset.request_token}/" in page
    assert job.number in page
    assert "leak" in page  # the downtime's reason
    assert "request_token" not in page  # no raw token field any more

    label = client.get(f"/admin/assets/asset/{asset.pk}/qr/print/")
    assert label.status_code == 200
    assert b"<svg" in label.content
    assert b"PRESS-7" in label.content


def test_the_label_of_another_tenants_asset_is_not_found(admin_client, in_alpha, beta):
    asset = AssetFactory(asset_id="ONLY-ALPHA")
    response = admin_client("manager", tenant=beta).get(f"/admin/assets/asset/{asset.pk}/qr/print/")
    assert response.status_code == 404
