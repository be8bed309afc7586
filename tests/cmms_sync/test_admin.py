"""The sync pages of the tenant admin: credentials never shown, sync now and test actions."""

import pytest
from django_tenants.utils import tenant_context

from cmms_sync.models import Connection, SyncRun
from tests.cmms_sync.conftest import make_connection
from tests.cmms_sync.fake_vendors import FakeUpKeep

pytestmark = pytest.mark.django_db


def test_the_connection_page_never_shows_credentials_and_sync_now_queues_a_run(alpha, admin_client):
    client = admin_client("manager")
    with FakeUpKeep() as fake:
        with tenant_context(alpha.tenant):
            connection = make_connection("upkeep", fake)
        page = client.get(f"/admin/cmms_sync/connection/{connection.pk}/change/")
        changelist = "/admin/cmms_sync/connection/"
        synced = client.post(
            changelist, {"action": "sync_now", "_selected_action": [connection.pk]}, follow=True
        )
        tested = client.post(
            changelist,
            {"action": "test_connection", "_selected_action": [connection.pk]},
            follow=True,
        )

    assert page.status_code == 200
    assert FakeUpKeep.password not in page.content.decode()
    assert "Sync queued: 1." in synced.content.decode()
    assert "credentials were accepted" in tested.content.decode()
    with tenant_context(alpha.tenant):
        assert SyncRun.objects.filter(connection=connection, status="queued").count() == 1


def test_saving_the_form_with_empty_credentials_keeps_the_stored_ones(alpha, admin_client):
    client = admin_client("manager")
    with FakeUpKeep() as fake:
        with tenant_context(alpha.tenant):
            connection = make_connection("upkeep", fake)
        response = client.post(
            f"/admin/cmms_sync/connection/{connection.pk}/change/",
            {
                "connection_name": "Renamed",
                "api_url": fake.url,
                "credentials": "",
                "options": '{"page_size": 3}',
                "direction": "both",
                "schedule_minutes": "0",
                "active": "on",
                "field_mappings-TOTAL_FORMS": "0",
                "field_mappings-INITIAL_FORMS": "0",
            },
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(alpha.tenant):
        stored = Connection.objects.get(pk=connection.pk)
        assert stored.connection_name == "Renamed"
        assert stored.credentials["password"] == FakeUpKeep.password


def test_a_run_page_lists_each_failed_record(alpha, admin_client):
    with tenant_context(alpha.tenant), FakeUpKeep() as fake:
        connection = make_connection("upkeep", fake)
        run = SyncRun.objects.create(
            connection=connection,
            entity="work_orders",
            direction="pull",
            status="partial",
            errors=[{"external_id": "77", "error": "title is required and missing."}],
        )

    page = admin_client("manager").get(f"/admin/cmms_sync/syncrun/{run.pk}/change/")

    assert page.status_code == 200
    assert "title is required and missing." in page.content.decode()
