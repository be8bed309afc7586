"""Each vendor's adapter against a fake of that vendor: pull, re-pull, upstream change,
push, faults mid-paging and a clean re-run, one run at a time."""

import time

import pytest

from cmms_sync.choices import RunStatus
from cmms_sync.services.runs import run_request
from core.exceptions import Conflict
from maintenance.choices import Source
from maintenance.models import WorkOrder
from maintenance.services.work_orders import work_order_create, work_order_update
from tests.cmms_sync.conftest import make_connection, sync

pytestmark = pytest.mark.django_db


def synced(connection) -> list[WorkOrder]:
    return list(
        WorkOrder.objects.filter(external_ref__startswith=connection.ref_prefix()).order_by("id")
    )


def test_first_pull_brings_every_record_once_through_the_vendors_paging(in_alpha, vendor):
    cmms_type, fake = vendor
    fake.seed(7)
    connection = make_connection(cmms_type, fake, page_size=3)

    run = sync(connection)

    assert run.status == RunStatus.SUCCEEDED, (run.detail, run.errors)
    assert run.counts["created"] == 7
    assert run.counts["failed"] == 0
    orders = synced(connection)
    assert len(orders) == 7
    assert {o.source for o in orders} == {Source.SYNC}
    assert all(o.title.endswith(tuple(f"job {n}" for n in range(7))) for o in orders)
    assert connection.last_synced_at is not None
    assert connection.watermarks.get("work_order")


def test_pulling_again_duplicates_nothing(in_alpha, vendor):
    cmms_type, fake = vendor
    fake.seed(5)
    connection = make_connection(cmms_type, fake)
    sync(connection)

    again = sync(connection)
    forced = sync(connection, force=True)

    assert again.status == forced.status == RunStatus.SUCCEEDED, (again.detail, forced.detail)
    assert again.counts["created"] == forced.counts["created"] == 0
    assert forced.counts["skipped"] == 5
    assert len(synced(connection)) == 5


def test_a_change_upstream_is_pulled_as_an_update(in_alpha, vendor):
    cmms_type, fake = vendor
    ids = fake.seed(4)
    connection = make_connection(cmms_type, fake)
    sync(connection)
    time.sleep(0.01)
    title_field = {"fiix": "strDescription", "maximo": "description"}.get(cmms_type, "title")
    fake.change(ids[2], **{title_field: "Bearing replaced upstream"})

    run = sync(connection)

    assert run.status == RunStatus.SUCCEEDED
    assert run.counts["updated"] == 1
    assert run.counts["created"] == 0
    assert "Bearing replaced upstream" in [o.title for o in synced(connection)]
    assert len(synced(connection)) == 4


def test_push_sends_new_and_changed_work_orders_and_pulling_back_duplicates_nothing(
    in_alpha, vendor
):
    cmms_type, fake = vendor
    fake.seed(2)
    connection = make_connection(cmms_type, fake)
    sync(connection)
    time.sleep(0.01)
    ours = work_order_create(by=None, title="Realign conveyor", priority="high")
    changed = synced(connection)[0]
    work_order_update(by=None, work_order=changed, title="Pulled, then changed here")

    run = sync(connection, direction="push")

    assert run.status == RunStatus.SUCCEEDED, (run.detail, run.errors)
    assert run.counts["pushed"] == 2
    ours.refresh_from_db()
    assert ours.external_ref.startswith(connection.ref_prefix())
    assert len(fake.records) == 3
    title_field = {"fiix": "strDescription", "maximo": "description"}.get(cmms_type, "title")
    assert {r[title_field] for r in fake.records.values()} >= {
        "Realign conveyor",
        "Pulled, then changed here",
    }
    # Nothing changed since: the next push sends nothing, and pulling back adds nothing.
    assert sync(connection, direction="push").counts["pushed"] == 0
    back = sync(connection, direction="pull", force=True)
    assert back.counts["created"] == 0
    assert len(synced(connection)) == 3


def test_a_local_change_newer_than_the_vendors_is_kept(in_alpha, vendor):
    cmms_type, fake = vendor
    fake.seed(1)
    connection = make_connection(cmms_type, fake)
    sync(connection)
    (order,) = synced(connection)
    work_order_update(by=None, work_order=order, title="Our newer title")

    run = sync(connection, force=True)

    order.refresh_from_db()
    assert order.title == "Our newer title"
    assert run.counts["skipped"] == 1


def test_a_vendor_failing_mid_paging_fails_the_run_and_a_clean_rerun_has_the_exact_count(
    in_alpha, vendor
):
    cmms_type, fake = vendor
    fake.seed(7)
    connection = make_connection(cmms_type, fake, page_size=3)
    fake.fail_page(1, "500", times=None)

    failed = sync(connection)

    assert failed.status == RunStatus.FAILED
    assert "500" in failed.detail
    assert len(synced(connection)) == 3
    assert not connection.watermarks.get("work_order")

    fake.faults.clear()
    rerun = sync(connection)

    assert rerun.status == RunStatus.SUCCEEDED
    assert rerun.counts["created"] == 4
    assert len(synced(connection)) == 7


@pytest.mark.parametrize("kind", ["500", "429", "malformed", "drop", "timeout"])
def test_passing_faults_are_retried_and_the_run_completes(in_alpha, vendor, kind):
    cmms_type, fake = vendor
    fake.seed(7)
    connection = make_connection(cmms_type, fake, page_size=3)
    fake.fail_page(1, kind, times=1)
    started = time.monotonic()

    run = sync(connection)

    assert run.status == RunStatus.SUCCEEDED, run.detail
    assert run.counts["created"] == 7
    assert len(synced(connection)) == 7
    if kind == "429":
        assert time.monotonic() - started >= 1.0  # Retry-After: 1 was honoured


def test_refused_credentials_fail_the_run_at_once(in_alpha, vendor):
    cmms_type, fake = vendor
    fake.seed(2)
    connection = make_connection(cmms_type, fake)
    connection.credentials = {k: "wrong" for k in connection.credentials}
    connection.save()
    before = len(fake.log)

    run = sync(connection)

    assert run.status == RunStatus.FAILED
    assert "credentials" in run.detail
    assert len(fake.log) - before <= 2  # no retries of a refusal
    assert synced(connection) == []


def test_a_second_run_of_the_same_connection_is_refused_while_one_is_open(in_alpha, vendor):
    cmms_type, fake = vendor
    connection = make_connection(cmms_type, fake)
    run_request(by=None, connection=connection, entity="work_orders")

    with pytest.raises(Conflict) as refused:
        run_request(by=None, connection=connection, entity="all")

    assert refused.value.code == "sync_in_progress"


def test_no_log_line_carries_a_credential(in_alpha, caplog):
    import logging

    from tests.cmms_sync.fake_vendors import FakeFiix

    caplog.set_level(logging.DEBUG)
    with FakeFiix() as fake:
        fake.seed(2)
        connection = make_connection("fiix", fake)
        fake.fail_page(0, "500", times=None)
        sync(connection)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (fake.access_key, fake.secret_key, fake.app_key):
        assert secret not in logged


def test_a_run_that_stopped_showing_progress_no_longer_holds_the_connection(in_alpha, settings):
    from datetime import timedelta

    from django.utils import timezone

    from cmms_sync.models import SyncRun
    from tests.cmms_sync.fake_vendors import FakeUpKeep

    with FakeUpKeep() as fake:
        connection = make_connection("upkeep", fake)
    lost = run_request(by=None, connection=connection, entity="all")
    SyncRun.objects.filter(pk=lost.pk).update(
        status="running", updated_at=timezone.now() - timedelta(minutes=61)
    )

    fresh = run_request(by=None, connection=connection, entity="all")

    lost.refresh_from_db()
    assert lost.status == RunStatus.FAILED
    assert fresh.status == RunStatus.QUEUED


def test_a_push_alone_never_overwrites_a_newer_change_of_the_vendors(in_alpha, vendor):
    cmms_type, fake = vendor
    (ident,) = fake.seed(1)
    connection = make_connection(cmms_type, fake)
    sync(connection)
    (order,) = synced(connection)
    work_order_update(by=None, work_order=order, title="Ours, older")
    time.sleep(0.01)
    title_field = {"fiix": "strDescription", "maximo": "description"}.get(cmms_type, "title")
    fake.change(ident, **{title_field: "Theirs, newer"})

    run = sync(connection, direction="push")

    assert run.counts["pushed"] == 0
    assert run.counts["skipped"] == 1
    assert fake.records[ident][title_field] == "Theirs, newer"
