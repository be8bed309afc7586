"""Assets pulled as ours; mappings and transforms; a record missing a required field fails
alone; sync:completed carries the run; the schedule fans out from one beat entry."""

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from assets.models import Asset
from cmms_sync.choices import RunStatus
from cmms_sync.events import run_payload
from cmms_sync.mapping import MappingFailed, Spec, effective_specs, map_inward, map_outward
from cmms_sync.models import FieldMapping, SyncRun
from cmms_sync.services.runs import run_execute, run_request, runs_due
from maintenance.models import WorkOrder
from tests.cmms_sync.conftest import make_connection, sync
from tests.cmms_sync.fake_vendors import FakeUpKeep
from tests.core.test_events import PubSubListener

pytestmark = pytest.mark.django_db


def test_assets_are_pulled_once_and_updated_when_they_change(in_alpha):
    with FakeUpKeep() as fake:
        pump = fake.add_asset(name="Feed pump", serial="SN-1", model="P-200")
        fake.add_asset(name="Compressor")
        connection = make_connection("upkeep", fake)
        run = run_request(by=None, connection=connection, entity="assets", direction="pull")
        run_execute(run.pk)
        run.refresh_from_db()
        time.sleep(0.01)
        fake.assets[pump].update(name="Feed pump 2", __updated=fake.tick())
        again = run_request(by=None, connection=connection, entity="assets", direction="pull")
        run_execute(again.pk)
        again.refresh_from_db()

    assert run.status == RunStatus.SUCCEEDED, run.detail
    assert run.counts["created"] == 2
    assert again.counts["updated"] == 1
    assert again.counts["created"] == 0
    ours = Asset.objects.get(external_ref=f"upkeep:{connection.pk}:{pump}")
    assert ours.name == "Feed pump 2"
    assert ours.serial_number == "SN-1"
    assert ours.asset_id == f"upkeep-{pump}"


def test_transforms_translate_both_ways():
    specs = [
        Spec("s", "status", "map", {"1": "open", "5": "completed"}),
        Spec("t", "title", "upper", required=True),
        Spec("d", "due_at", "date_ms"),
        Spec("h", "estimated_hours", "number"),
        Spec("c", "description", "lower"),
    ]
    record = {"s": 5, "t": "pump", "d": 1767225600000, "h": "2.5", "c": "MIXED Case"}

    values = map_inward(specs, record)

    assert values == {
        "status": "completed",
        "title": "PUMP",
        "due_at": datetime(2026, 1, 1, tzinfo=UTC),
        "estimated_hours": Decimal("2.5"),
        "description": "mixed case",
    }
    assert map_outward(specs, values) == {
        "s": 5,
        "t": "PUMP",
        "d": 1767225600000,
        "h": 2.5,
        "c": "mixed case",
    }


@pytest.mark.parametrize(
    "record", [{"t": ""}, {"t": "x", "s": 9}, {"t": "x", "d": "not a date"}, {"t": "x", "h": "1e"}]
)
def test_a_record_that_cannot_be_mapped_fails_with_the_reason(record):
    specs = [
        Spec("t", "title", required=True),
        Spec("s", "status", "map", {"1": "open"}),
        Spec("d", "due_at", "date_ms"),
        Spec("h", "estimated_hours", "number"),
    ]

    with pytest.raises(MappingFailed):
        map_inward(specs, record)


def test_a_connections_mapping_replaces_the_default_of_its_field():
    defaults = [Spec("title", "title", required=True), Spec("description", "description")]

    specs = effective_specs(defaults, [Spec("summary", "title", "upper")])

    assert [(s.external_field, s.internal_field) for s in specs] == [
        ("summary", "title"),
        ("description", "description"),
    ]


def test_a_record_missing_a_required_field_fails_alone_and_the_run_is_partial(in_alpha):
    with FakeUpKeep() as fake:
        fake.seed(3)
        broken = fake.add({"title": "", "status": "open", "priority": 1})["__id"]
        unknown_status = fake.add({"title": "Odd", "status": "frozen", "priority": 1})["__id"]
        connection = make_connection("upkeep", fake)
        FieldMapping.objects.create(
            connection=connection,
            entity="work_order",
            external_field="category",
            internal_field="work_type",
            transform="map",
            map={"fix": "corrective"},
        )

        run = sync(connection)

    assert run.status == RunStatus.PARTIAL
    assert run.counts["created"] == 3
    assert run.counts["failed"] == 2
    assert {e["external_id"] for e in run.errors} == {str(broken), str(unknown_status)}
    assert "title" in next(e["error"] for e in run.errors if e["external_id"] == str(broken))
    assert WorkOrder.objects.filter(external_ref__startswith=connection.ref_prefix()).count() == 3


def test_sync_completed_carries_the_run_after_commit(
    in_alpha, test_tenants, api, django_capture_on_commit_callbacks
):
    listener = PubSubListener(test_tenants.values())
    try:
        with FakeUpKeep() as fake:
            fake.seed(2)
            connection = make_connection("upkeep", fake)
            with django_capture_on_commit_callbacks(execute=True):
                run = sync(connection)
        events = [m for m in listener.messages(wait=1.0) if m["type"] == "sync:completed"]
    finally:
        listener.close()

    assert len(events) == 1
    assert events[0]["data"]["id"] == run.pk
    assert events[0]["data"]["counts"]["created"] == 2
    assert events[0]["data"]["status"] == "succeeded"
    assert set(events[0]["data"]) == set(run_payload(run))
    detail = api("manager").get(f"/api/v1/cmms/sync-runs/{run.pk}/").json()
    assert events[0]["data"] == detail


def test_the_scheduler_queues_due_connections_once_per_slot(in_alpha):
    with FakeUpKeep() as fake:
        due = make_connection("upkeep", fake, schedule_minutes=15)
        make_connection("upkeep", fake, schedule_minutes=0)

        first = runs_due()
        second = runs_due()

    assert [run.connection_id for run in first] == [due.pk]
    assert second == []
    assert SyncRun.objects.filter(connection=due, entity="all").count() == 1


def test_a_redelivered_task_of_a_finished_run_changes_nothing(in_alpha):
    with FakeUpKeep() as fake:
        fake.seed(2)
        connection = make_connection("upkeep", fake)
        run = sync(connection)
        log_size = len(fake.log)

        assert run_execute(run.pk) is None

    assert len(fake.log) == log_size


def test_the_command_runs_a_sync_by_hand(in_alpha, alpha):
    import io

    from django.core.management import call_command

    with FakeUpKeep() as fake:
        fake.seed(3)
        connection = make_connection("upkeep", fake)
        out = io.StringIO()
        call_command(
            "sync_cmms",
            tenant=alpha.schema,
            connection=connection.pk,
            entity="work_orders",
            direction="pull",
            stdout=out,
        )

    assert "succeeded (created 3," in out.getvalue()
    assert WorkOrder.objects.filter(external_ref__startswith=connection.ref_prefix()).count() == 3
