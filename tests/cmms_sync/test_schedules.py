"""PM plans pulled from each vendor that has them into our PM schedules: first pull,
re-pull, an upstream change, a plan that cannot be ours failing alone, MaintainX saying
it has none, tenancy, and the API route."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from assets.models import Asset
from cmms_sync.choices import RunStatus
from cmms_sync.models import Connection, SyncRun
from cmms_sync.services.records import Incoming, assets_write
from cmms_sync.services.runs import run_execute, run_request
from core.models import AuditEntry
from maintenance.choices import TriggerType
from maintenance.models import PMSchedule
from maintenance.pm.schedules import schedule_update
from tests.cmms_sync.conftest import VENDORS, make_connection
from tests.cmms_sync.fake_vendors import FakeMaintainX, FakeUpKeep, FakeVendor

pytestmark = pytest.mark.django_db

WITH_PLANS = ("fiix", "generic_rest", "maximo", "upkeep")


@pytest.fixture(params=WITH_PLANS)
def pm_vendor(request) -> Iterator[tuple[str, FakeVendor]]:
    with VENDORS[request.param][0]() as fake:
        yield request.param, fake


def pull(connection: Connection, *, force: bool = False, direction: str = "pull") -> SyncRun:
    run = run_request(
        by=None, connection=connection, entity="schedules", direction=direction, force_sync=force
    )
    run_execute(run.pk)
    run.refresh_from_db()
    connection.refresh_from_db()
    return run


def sync_asset(connection: Connection, external_id: str, name: str) -> Asset:
    """An asset as the asset pull of this connection leaves it (through its writer)."""
    outcome = assets_write(
        connection,
        [Incoming(external_id, connection.ref_prefix() + external_id, {"name": name}, None)],
    )
    assert not outcome.errors, outcome.errors
    return Asset.objects.get(external_ref=connection.ref_prefix() + external_id)


def plans_of(connection: Connection) -> list[PMSchedule]:
    return list(
        PMSchedule.objects.filter(external_ref__startswith=connection.ref_prefix()).order_by(
            "external_ref"
        )
    )


def seed_plans(fake: FakeVendor, count: int, assets: list[Any]) -> list[int]:
    return [fake.add_plan(fake.sample_plan(n, assets[n % len(assets)])) for n in range(count)]


def plant(connection: Connection, fake: FakeVendor, count: int = 2) -> list[tuple[Any, Asset]]:
    """``count`` assets known to the vendor and synced here: (the vendor's key, ours)."""
    keys = [fake.asset_key(n) for n in range(count)]
    return [(key, sync_asset(connection, external, f"Pump {key}")) for key, external in keys]


def test_first_pull_creates_each_plan_once_on_its_synced_asset(in_alpha, pm_vendor):
    cmms_type, fake = pm_vendor
    connection = make_connection(cmms_type, fake, page_size=2)
    assets = plant(connection, fake)
    seed_plans(fake, 5, [key for key, _ in assets])

    run = pull(connection)

    assert run.status == RunStatus.SUCCEEDED, (run.detail, run.errors)
    assert run.counts["created"] == 5
    assert run.counts["failed"] == 0
    plans = plans_of(connection)
    assert len(plans) == 5
    by_name = {plan.name.rsplit(" ", 1)[-1]: plan for plan in plans}
    for n in range(5):
        plan = by_name[str(n)]
        assert plan.trigger_type == TriggerType.TIME_BASED
        assert (plan.frequency, plan.interval) == ("monthly", 1 + n % 3)
        assert list(plan.assets.all()) == [assets[n % 2][1]]
        assert plan.next_due_at is not None  # the PM service planned it
    audited = AuditEntry.objects.filter(
        action="schedule.create", object_id__in=[p.pk for p in plans]
    )
    assert audited.count() == 5
    assert connection.watermarks.get("schedule")


def test_pulling_again_duplicates_nothing(in_alpha, pm_vendor):
    cmms_type, fake = pm_vendor
    connection = make_connection(cmms_type, fake)
    assets = plant(connection, fake, 1)
    seed_plans(fake, 4, [assets[0][0]])
    pull(connection)

    again = pull(connection)
    forced = pull(connection, force=True)

    assert again.status == forced.status == RunStatus.SUCCEEDED, (again.detail, forced.detail)
    assert again.counts["created"] == forced.counts["created"] == 0
    assert forced.counts["skipped"] == 4
    assert len(plans_of(connection)) == 4
    assert PMSchedule.objects.count() == 4


def upstream_change(cmms_type: str, fake: FakeVendor) -> dict[str, Any]:
    """A new name and every three weeks instead of every two months, in the vendor's fields."""
    name = {fake.plan_name_field: "Lubricate bearings (changed upstream)"}
    if cmms_type == "fiix":
        return {**name, "__trigger": fake.trigger("week", 3)}
    if cmms_type == "maximo":
        return {**name, "frequnit": "WEEKS", "frequency": 3}
    if cmms_type == "upkeep":
        return {**name, "repeatFrequency": "week", "repeatEvery": 3}
    return {**name, "frequency": "week", "interval": 3}


def test_a_change_upstream_is_pulled_as_an_update_through_the_pm_service(in_alpha, pm_vendor):
    cmms_type, fake = pm_vendor
    connection = make_connection(cmms_type, fake)
    assets = plant(connection, fake, 1)
    ids = seed_plans(fake, 3, [assets[0][0]])
    pull(connection)
    before = PMSchedule.objects.get(name__endswith=" 1")
    assert (before.frequency, before.interval) == ("monthly", 2)
    time.sleep(0.01)
    fake.change_plan(ids[1], **upstream_change(cmms_type, fake))

    run = pull(connection)

    assert run.status == RunStatus.SUCCEEDED, (run.detail, run.errors)
    assert run.counts["updated"] == 1
    assert run.counts["created"] == 0
    changed = PMSchedule.objects.get(name="Lubricate bearings (changed upstream)")
    assert changed.pk == before.pk
    assert (changed.frequency, changed.interval) == ("weekly", 3)
    assert AuditEntry.objects.filter(action="schedule.update", object_id=str(changed.pk)).exists()
    assert len(plans_of(connection)) == 3


def test_a_plan_missing_a_required_field_or_its_asset_fails_alone(in_alpha, pm_vendor):
    cmms_type, fake = pm_vendor
    connection = make_connection(cmms_type, fake)
    assets = plant(connection, fake, 1)
    seed_plans(fake, 3, [assets[0][0]])
    unnamed = fake.sample_plan(7, assets[0][0])
    unnamed[fake.plan_name_field] = ""
    fake.add_plan(unnamed)
    later_key, later_external = fake.asset_key(5)
    fake.add_plan(fake.sample_plan(8, later_key))

    run = pull(connection)

    assert run.status == RunStatus.PARTIAL, (run.detail, run.errors)
    assert run.counts["created"] == 3
    assert run.counts["failed"] == 2
    reasons = " | ".join(e["error"] for e in run.errors)
    assert "required" in reasons
    assert "not synced" in reasons
    assert len(plans_of(connection)) == 3

    # Once the asset is synced, the next run reads the failed plans again (the watermark
    # stopped at them) and the one that only lacked its asset arrives.
    asset = sync_asset(connection, later_external, "Late pump")
    rerun = pull(connection)

    assert rerun.counts["created"] == 1
    assert rerun.counts["failed"] == 1
    assert list(PMSchedule.objects.get(name__endswith=" 8").assets.all()) == [asset]


def test_a_plan_repeating_in_a_unit_we_do_not_plan_by_fails_naming_it(in_alpha):
    with FakeUpKeep() as fake:
        connection = make_connection("upkeep", fake)
        ((key, _),) = plant(connection, fake, 1)
        fake.add_plan(fake.sample_plan(0, key), repeatFrequency="hour")
        fake.add_plan(fake.sample_plan(1, key), repeatEvery=0)
        fake.add_plan(fake.sample_plan(2, key))

        run = pull(connection)

    assert run.status == RunStatus.PARTIAL
    assert run.counts["created"] == 1
    reasons = " | ".join(e["error"] for e in run.errors)
    assert "'hour' has no translation" in reasons
    assert "interval" in reasons


def test_two_vendor_plans_of_one_name_both_arrive(in_alpha):
    with FakeUpKeep() as fake:
        connection = make_connection("upkeep", fake)
        assets = plant(connection, fake, 2)
        first = fake.add_plan(fake.sample_plan(0, assets[0][0]), title="Monthly lube")
        second = fake.add_plan(fake.sample_plan(0, assets[1][0]), title="Monthly lube")

        run = pull(connection)
        again = pull(connection, force=True)

    assert run.counts["created"] == 2, run.errors
    assert again.counts["skipped"] == 2
    assert sorted(p.name for p in plans_of(connection)) == [
        "Monthly lube",
        f"Monthly lube ({second})",
    ]
    assert first != second


def test_maintainx_says_its_plans_are_not_synced(in_alpha):
    with FakeMaintainX() as fake:
        fake.seed(2)
        connection = make_connection("maintainx", fake)

        run = pull(connection)

    assert run.status == RunStatus.SUCCEEDED
    assert run.detail == "MaintainX records of this kind are not synced."
    assert run.counts == {"created": 0, "updated": 0, "skipped": 0, "failed": 0, "pushed": 0}
    assert fake.log == []  # nothing was asked of the vendor
    assert not PMSchedule.objects.exists()


def test_a_beta_connection_never_writes_into_alpha(db, alpha, beta):
    with FakeUpKeep() as fake:
        with tenant_context(alpha.tenant):
            ours = make_connection("upkeep", fake)
            ((key, _),) = plant(ours, fake, 1)
            (ident,) = seed_plans(fake, 1, [key])
            assert pull(ours).counts["created"] == 1
        time.sleep(0.01)
        fake.change_plan(ident, title="Beta's copy")
        with tenant_context(beta.tenant):
            theirs = make_connection("upkeep", fake)
            plant(theirs, fake, 1)
            run = pull(theirs)
            beta_plans = [(p.name, p.external_ref) for p in plans_of(theirs)]
        with tenant_context(alpha.tenant):
            alpha_plans = [(p.name, p.external_ref) for p in PMSchedule.objects.all()]

    assert run.counts["created"] == 1, run.errors
    assert beta_plans == [("Beta's copy", f"upkeep:{theirs.pk}:{ident}")]
    assert alpha_plans == [("UpKeep PM 0", f"upkeep:{ours.pk}:{ident}")]


def test_the_sync_schedules_route_pulls_plans_on_the_worker(
    api, alpha, beta, celery_eager, django_capture_on_commit_callbacks
):
    client = api("manager")
    with FakeUpKeep() as fake:
        created = client.post(
            "/api/v1/cmms/connections/",
            {
                "cmms_type": "upkeep",
                "connection_name": "North plant",
                "api_url": fake.url,
                "credentials": {"email": fake.email, "password": fake.password},
                "direction": "both",
            },
            format="json",
        ).json()
        with tenant_context(alpha.tenant):
            connection = Connection.objects.get(pk=created["id"])
            ((key, _),) = plant(connection, fake, 1)
        seed_plans(fake, 3, [key])
        with django_capture_on_commit_callbacks(execute=True):
            accepted = client.post(
                "/api/v1/cmms/sync/schedules/",
                {"cmms_connection_id": created["id"]},
                format="json",
            )
    run = client.get(f"/api/v1/cmms/sync-runs/{accepted.json()['sync_run_id']}/").json()

    assert accepted.status_code == 202
    assert run["status"] == "succeeded", run
    assert run["entity"] == "schedules"
    assert run["counts"]["created"] == 3
    # The plans pulled are the vendor's as they are: none is sent back.
    assert run["counts"]["pushed"] == 0
    assert run["detail"] == ""
    listed = client.get(
        "/api/v1/preventive-maintenance/schedules/",
        {"external_ref__startswith": f"upkeep:{created['id']}:"},
    ).json()
    assert len(listed["results"]) == 3
    elsewhere = api("manager", tenant=beta).get("/api/v1/preventive-maintenance/schedules/")
    assert elsewhere.json()["results"] == []


def test_a_connections_schedule_mapping_replaces_the_default(api, alpha):
    client = api("manager")
    with FakeUpKeep() as fake:
        with tenant_context(alpha.tenant):
            connection = make_connection("upkeep", fake)
            ((key, _),) = plant(connection, fake, 1)
        fake.add_plan(fake.sample_plan(0, key), code="PM-LUBE-01")
        base = {"connection": connection.pk, "entity": "schedule"}
        mapped = client.post(
            "/api/v1/cmms/field-mappings/",
            {**base, "external_field": "code", "internal_field": "name", "required": True},
            format="json",
        )
        unknown = client.post(
            "/api/v1/cmms/field-mappings/",
            {**base, "external_field": "kind", "internal_field": "trigger_type"},
            format="json",
        )
        with tenant_context(alpha.tenant):
            run = pull(connection)
            names = [plan.name for plan in plans_of(connection)]

    assert mapped.status_code == 201, mapped.json()
    assert unknown.status_code == 400
    assert "internal_field" in unknown.json()
    assert run.counts["created"] == 1, run.errors
    assert names == ["PM-LUBE-01"]


def test_a_local_change_newer_than_the_vendors_is_kept(in_alpha):
    with FakeUpKeep() as fake:
        connection = make_connection("upkeep", fake)
        ((key, _),) = plant(connection, fake, 1)
        seed_plans(fake, 1, [key])
        pull(connection)
        (plan,) = plans_of(connection)
        schedule_update(by=None, schedule=plan, name="Ours, newer", interval=6)

        run = pull(connection, force=True)

    plan.refresh_from_db()
    assert run.counts["skipped"] == 1
    assert (plan.name, plan.interval) == ("Ours, newer", 6)


def test_a_sync_of_everything_brings_the_assets_before_the_plans_that_name_them(in_alpha):
    with FakeUpKeep() as fake:
        pump = fake.add_asset(name="Feed pump")
        fake.add_plan(fake.sample_plan(0, str(pump)))
        connection = make_connection("upkeep", fake)

        run = run_request(by=None, connection=connection, entity="all", direction="pull")
        run_execute(run.pk)
        run.refresh_from_db()

    assert run.status == RunStatus.SUCCEEDED, (run.detail, run.errors)
    assert run.counts["created"] == 2  # the asset, then the plan on it
    (plan,) = plans_of(connection)
    assert [a.name for a in plan.assets.all()] == ["Feed pump"]
