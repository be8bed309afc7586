"""A push whose creation reached the vendor but whose answer was lost: the vendor holds
the record, we never heard its id. The next run finds it by our number and links it;
nothing is created twice, nothing is skipped."""

from typing import Any

import pytest
from django_tenants.utils import tenant_context

from cmms_sync.choices import Entity, RunStatus
from cmms_sync.models import FieldMapping, SyncLink
from cmms_sync.services.connections import connection_pending_creations_release
from cmms_sync.services.runs import run_request
from core.exceptions import Conflict
from core.models import AuditEntry
from maintenance.models import WorkOrder
from maintenance.services.work_orders import (
    work_order_create,
    work_order_link_external,
    work_order_update,
)
from tests.cmms_sync.conftest import make_connection, sync
from tests.cmms_sync.fake_vendors import FakeMaintainX, FakeUpKeep, FakeVendor

pytestmark = pytest.mark.django_db

# The vendors whose records can be searched by a field we fill (VENDORS.md).
SEARCHABLE = ["fiix", "generic_rest", "maximo", "upkeep"]
TITLE_FIELD = {"fiix": "strDescription", "maximo": "description"}


@pytest.fixture(params=SEARCHABLE)
def searchable(request) -> Any:
    from tests.cmms_sync.conftest import VENDORS

    with VENDORS[request.param][0]() as fake:
        yield request.param, fake


def vendor_id(cmms_type: str, fake: FakeVendor, record: dict[str, Any]) -> str:
    if cmms_type == "maximo":
        return f"{record['siteid']}/{record['wonum']}"
    return str(record["__id"])


def links(connection) -> list[SyncLink]:
    return list(SyncLink.objects.filter(connection=connection, entity=Entity.WORK_ORDER))


def lose_first_creation(cmms_type: str, fake: FakeVendor, connection, order: WorkOrder):
    """Push ``order`` while the vendor drops its answer to the creation."""
    fake.lose_create_answers(1)
    run = sync(connection, direction="push")
    assert run.status == RunStatus.PARTIAL, (run.detail, run.errors)
    assert run.counts["failed"] == 1
    assert run.errors[0]["external_id"] == order.number
    assert len(fake.records) == 1  # the vendor did create it
    order.refresh_from_db()
    assert order.external_ref == ""
    (pending,) = links(connection)
    assert pending.external_id == ""
    assert pending.create_started_at is not None
    return run


def test_a_lost_creation_is_found_by_our_number_and_linked_not_created_again(in_alpha, searchable):
    # Given a creation the vendor made while its answer was lost
    cmms_type, fake = searchable
    connection = make_connection(cmms_type, fake, direction="push")
    order = work_order_create(by=None, title="Replace gearbox seal", priority="high")
    lose_first_creation(cmms_type, fake, connection, order)

    # When the push runs again
    again = sync(connection, direction="push")

    # Then the vendor's record is linked to ours: one record there, one link here
    assert again.status == RunStatus.SUCCEEDED, (again.detail, again.errors)
    assert again.counts["pushed"] == 1
    assert len(fake.records) == 1
    (record,) = fake.records.values()
    order.refresh_from_db()
    assert order.external_ref == connection.ref_prefix() + vendor_id(cmms_type, fake, record)
    (link,) = links(connection)
    assert link.external_id == vendor_id(cmms_type, fake, record)
    assert link.create_started_at is None
    # and nothing is left to send
    assert sync(connection, direction="push").counts["pushed"] == 0
    assert len(fake.records) == 1


def test_a_pull_meeting_our_lost_creation_links_it_instead_of_writing_a_copy(in_alpha, searchable):
    cmms_type, fake = searchable
    connection = make_connection(cmms_type, fake, direction="both")
    order = work_order_create(by=None, title="Check pump alignment", priority="medium")
    lose_first_creation(cmms_type, fake, connection, order)

    both = sync(connection, direction="both")

    assert both.status == RunStatus.SUCCEEDED, (both.detail, both.errors)
    assert both.counts["created"] == 0
    assert WorkOrder.objects.count() == 1
    assert len(fake.records) == 1
    order.refresh_from_db()
    (record,) = fake.records.values()
    assert order.external_ref == connection.ref_prefix() + vendor_id(cmms_type, fake, record)
    assert [link.external_id for link in links(connection)] == [vendor_id(cmms_type, fake, record)]


def test_a_change_made_after_the_lost_creation_is_sent_as_an_update(in_alpha, searchable):
    cmms_type, fake = searchable
    connection = make_connection(cmms_type, fake, direction="push")
    order = work_order_create(by=None, title="Inspect boiler", priority="low")
    lose_first_creation(cmms_type, fake, connection, order)
    work_order_update(by=None, work_order=order, title="Inspect boiler and burner")

    again = sync(connection, direction="push")

    assert again.status == RunStatus.SUCCEEDED, (again.detail, again.errors)
    assert len(fake.records) == 1
    (record,) = fake.records.values()
    assert record[TITLE_FIELD.get(cmms_type, "title")] == "Inspect boiler and burner"
    order.refresh_from_db()
    (link,) = links(connection)
    assert link.local_updated_at == order.updated_at


def test_a_lost_creation_at_maintainx_is_reported_for_a_person_not_sent_again(in_alpha):
    # MaintainX documents no filter we could find our number with.
    with FakeMaintainX() as fake:
        connection = make_connection("maintainx", fake, direction="push")
        order = work_order_create(by=None, title="Lubricate chain", priority="low")
        lose_first_creation("maintainx", fake, connection, order)

        again = sync(connection, direction="push")

        assert again.status == RunStatus.PARTIAL
        assert len(fake.records) == 1
        assert again.errors[0]["external_id"] == order.number
        assert "not sent again" in again.errors[0]["error"]
        assert order.number in again.errors[0]["error"]
        # A person finds it at MaintainX and links it: the next push settles it.
        (ident,) = fake.records
        work_order_link_external(
            by=None, work_order=order, external_ref=f"{connection.ref_prefix()}{ident}"
        )
        settled = sync(connection, direction="push")
        assert settled.status == RunStatus.SUCCEEDED, (settled.detail, settled.errors)
        assert len(fake.records) == 1
        (link,) = links(connection)
        assert (link.external_id, link.create_started_at) == (str(ident), None)


def test_a_filter_the_vendor_ignores_proves_nothing_and_nothing_is_created_again(in_alpha):
    # MaintainX ignores query parameters it does not know: a search by one answers
    # every record, which must not be read as "not there".
    with FakeMaintainX() as fake:
        fake.seed(2)
        connection = make_connection("maintainx", fake, direction="push", page_size=50)
        connection.options = {**connection.options, "marker_field": "externalRef"}
        connection.save(update_fields=["options"])
        order = work_order_create(by=None, title="Tighten belts", priority="low")
        fake.lose_create_answers(1)
        sync(connection, direction="push")
        assert len(fake.records) == 3

        again = sync(connection, direction="push")

        assert again.status == RunStatus.PARTIAL
        assert "does not filter" in again.errors[0]["error"]
        assert len(fake.records) == 3
        order.refresh_from_db()
        assert order.external_ref == ""


def test_a_creation_the_vendor_refused_is_sent_again_next_time(in_alpha):
    # A refusal (4xx) proves nothing was created: the order is not left pending.
    with FakeMaintainX() as fake:
        connection = make_connection("maintainx", fake, direction="push")
        mapping = FieldMapping.objects.create(
            connection=connection,
            entity=Entity.WORK_ORDER,
            external_field="name",
            internal_field="title",
        )
        order = work_order_create(by=None, title="Replace filter", priority="low")

        refused = sync(connection, direction="push")

        assert refused.counts["failed"] == 1
        assert "title is required" in refused.errors[0]["error"]
        assert links(connection) == []
        mapping.delete()
        sent = sync(connection, direction="push")
        assert sent.status == RunStatus.SUCCEEDED, (sent.detail, sent.errors)
        assert len(fake.records) == 1
        order.refresh_from_db()
        assert order.external_ref.startswith(connection.ref_prefix())


def test_a_pending_creation_stays_in_its_tenant(in_alpha, beta):
    with FakeUpKeep() as fake:
        connection = make_connection("upkeep", fake, direction="push")
        order = work_order_create(by=None, title="Alpha's lost job", priority="low")
        lose_first_creation("upkeep", fake, connection, order)

        with tenant_context(beta.tenant):
            theirs = make_connection("upkeep", fake, direction="push")
            beta_order = work_order_create(by=None, title="Beta's job", priority="low")
            run = sync(theirs, direction="push")
            assert run.status == RunStatus.SUCCEEDED, (run.detail, run.errors)
            assert SyncLink.objects.filter(create_started_at__isnull=False).count() == 0
            beta_order.refresh_from_db()
            assert beta_order.external_ref.startswith(theirs.ref_prefix())

        assert len(fake.records) == 2
        (pending,) = links(connection)
        assert (pending.external_id, pending.object_id) == ("", order.pk)


def test_two_tenants_pushing_into_one_vendor_account_never_take_each_others_records(in_alpha, beta):
    # Given alpha's lost creation and beta's work order of the same number, both at the vendor
    with FakeUpKeep() as fake:
        connection = make_connection("upkeep", fake, direction="push")
        order = work_order_create(by=None, title="Alpha's lost job", priority="low")
        lose_first_creation("upkeep", fake, connection, order)
        with tenant_context(beta.tenant):
            theirs = make_connection("upkeep", fake, direction="push")
            beta_order = work_order_create(by=None, title="Beta's job", priority="low")
            # Each tenant numbers its own work: the same number is the normal case.
            WorkOrder.objects.filter(pk=beta_order.pk).update(number=order.number)
            assert sync(theirs, direction="push").status == RunStatus.SUCCEEDED
            beta_order.refresh_from_db()
        assert beta_order.number == order.number

        # When alpha's push runs again
        again = sync(connection, direction="push")

        # Then it links its own record, found by a marker that names its tenant
        assert again.status == RunStatus.SUCCEEDED, (again.detail, again.errors)
        order.refresh_from_db()
        ours = order.external_ref.removeprefix(connection.ref_prefix())
        assert fake.records[int(ours)]["title"] == "Alpha's lost job"
        assert beta_order.external_ref.removeprefix(theirs.ref_prefix()) != ours
        assert len(fake.records) == 2


def test_a_person_who_finds_nothing_at_maintainx_has_the_creation_sent_again(alpha, admin_client):
    # Given a lost MaintainX creation that a person removed at the vendor
    client = admin_client("manager")
    with FakeMaintainX() as fake:
        with tenant_context(alpha.tenant):
            connection = make_connection("maintainx", fake, direction="push")
            order = work_order_create(by=None, title="Lubricate chain", priority="low")
            lose_first_creation("maintainx", fake, connection, order)
        fake.records.clear()

        # When they release it from the connection's page
        page = client.post(
            "/admin/cmms_sync/connection/",
            {"action": "release_pending_creations", "_selected_action": [connection.pk]},
            follow=True,
        )

        # Then the next push creates it, once, and links it
        assert "1 creation(s) will be sent again" in page.content.decode()
        with tenant_context(alpha.tenant):
            again = sync(connection, direction="push")
            assert again.status == RunStatus.SUCCEEDED, (again.detail, again.errors)
            assert len(fake.records) == 1
            (ident,) = fake.records
            order.refresh_from_db()
            assert order.external_ref == f"{connection.ref_prefix()}{ident}"
            assert AuditEntry.objects.filter(
                action="cmms_connection.pending_creations_release", object_id=str(connection.pk)
            ).exists()


def test_pending_creations_are_not_released_while_a_sync_runs(in_alpha):
    with FakeMaintainX() as fake:
        connection = make_connection("maintainx", fake, direction="push")
        order = work_order_create(by=None, title="Lubricate chain", priority="low")
        lose_first_creation("maintainx", fake, connection, order)
        run_request(by=None, connection=connection, entity="work_orders")

        with pytest.raises(Conflict):
            connection_pending_creations_release(by=None, connection=connection)

    assert links(connection)[0].create_started_at is not None
