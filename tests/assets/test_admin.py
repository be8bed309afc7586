"""The asset register in the tenant admin: lists, filters, hierarchy, actions via services."""

from decimal import Decimal

import pytest

from assets.models import Alert, Asset, AssetDowntime
from assets.services import monitoring
from core.models import AuditEntry
from tests.assets.factories import AssetFactory, LocationFactory

pytestmark = pytest.mark.django_db


def test_asset_changelist_search_and_filters(admin_client, in_alpha):
    site = LocationFactory(name="Site")
    AssetFactory(asset_id="PUMP-1", name="Feed pump", location=site, asset_type="equipment")
    AssetFactory(asset_id="TRUCK-1", name="Truck", asset_type="vehicle", status="repair")
    client = admin_client("manager")

    everything = client.get("/admin/assets/asset/")
    searched = client.get("/admin/assets/asset/", {"q": "feed"})
    filtered = client.get("/admin/assets/asset/", {"status__exact": "repair"})

    assert everything.status_code == 200
    assert list(searched.context["cl"].queryset.values_list("asset_id", flat=True)) == ["PUMP-1"]
    assert list(filtered.context["cl"].queryset.values_list("asset_id", flat=True)) == ["TRUCK-1"]


def test_asset_page_shows_its_hierarchy_and_inlines(admin_client, in_alpha):
    parent = AssetFactory(asset_id="LINE-1")
    pump = AssetFactory(asset_id="PUMP-1", parent=parent)
    AssetFactory(asset_id="MOTOR-1", parent=pump)
    monitoring.performance_record(by=None, asset=pump, temperature=Decimal(95))

    page = admin_client("manager").get(f"/admin/assets/asset/{pump.pk}/change/")

    assert page.status_code == 200
    content = page.content.decode()
    assert "MOTOR-1" in content  # sub-assets listed
    assert "LINE-1" in content  # parent shown
    assert "open alerts" in content.lower()


def test_status_action_goes_through_the_service(admin_client, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")

    response = admin_client("manager").post(
        "/admin/assets/asset/", {"action": "set_status_repair", "_selected_action": [pump.pk]}
    )

    assert response.status_code == 302
    pump.refresh_from_db()
    assert pump.status == "repair"
    assert AssetDowntime.objects.filter(asset=pump, ended_at__isnull=True).exists()
    assert AuditEntry.objects.filter(action="asset.update", object_id=str(pump.pk)).exists()


def test_editing_an_asset_in_the_admin_is_audited(admin_client, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1", name="Old")
    form = {
        "asset_id": "PUMP-1",
        "name": "New name",
        "asset_type": "equipment",
        "status": "operational",
        "condition": "good",
        "criticality": "medium",
        "tags": "",
        "specifications": "{}",
        **{
            f"{prefix}-{k}": v
            for prefix in (
                "work_orders",
                "alerts",
                "meters",
                "location_changes",
                "downtimes",
                "metric_streams",
            )
            for k, v in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
        },
    }

    response = admin_client("manager").post(f"/admin/assets/asset/{pump.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:3000]
    pump.refresh_from_db()
    assert pump.name == "New name"
    entry = AuditEntry.objects.get(action="asset.update", object_id=str(pump.pk))
    assert entry.changes["name"] == {"before": "Old", "after": "New name"}


def test_alert_actions_acknowledge_and_resolve(admin_client, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    monitoring.performance_record(by=None, asset=pump, temperature=Decimal(95))
    alert = Alert.objects.get()
    client = admin_client("manager")

    client.post("/admin/assets/alert/", {"action": "acknowledge", "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    client.post("/admin/assets/alert/", {"action": "resolve", "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert alert.status == "resolved"


def test_planners_use_the_asset_admin_but_cannot_delete_audit(admin_client, in_alpha):
    client = admin_client("planner")

    assert client.get("/admin/assets/asset/").status_code == 200
    assert client.get("/admin/core/auditentry/").status_code == 403


def test_demo_plant_is_realistic_and_seeding_twice_adds_nothing(in_alpha):
    import io

    from assets.demo import seed_demo_plant

    seed_demo_plant(stdout=io.StringIO())
    counts = (Asset.objects.count(), Alert.objects.count())
    seed_demo_plant(stdout=io.StringIO())

    assert counts == (Asset.objects.count(), Alert.objects.count())
    assert 250 <= counts[0] <= 500
    assert counts[1] > 0
    assert Asset.objects.filter(parent__isnull=False).count() > 200
    assert Asset.objects.filter(meters__isnull=False).distinct().count() > 40
    assert Asset.objects.get(asset_id="FLT-07").downtimes.filter(ended_at__isnull=True).exists()
