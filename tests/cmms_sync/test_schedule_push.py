"""Our PM schedules pushed to the vendors that take plans (UpKeep, Fiix, generic REST):
created once with their recurrence and assets, updated in place, a newer vendor change
kept, a plan the vendor cannot hold failing alone, a lost answer found again, tenancy."""

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from assets.models import Asset
from assets.services.registry import asset_create
from cmms_sync.choices import Entity, RunStatus
from cmms_sync.models import Connection, SyncLink, SyncRun
from cmms_sync.services.runs import run_execute, run_request
from maintenance.choices import TriggerType
from maintenance.models import PMSchedule
from maintenance.pm.schedules import schedule_create, schedule_update
from tests.cmms_sync.conftest import VENDORS, make_connection
from tests.cmms_sync.fake_vendors import FakeMaximo, FakeUpKeep
from tests.cmms_sync.test_schedules import plant

pytestmark = pytest.mark.django_db

PUSHING_PLANS = ("fiix", "generic_rest", "upkeep")
START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@pytest.fixture(params=PUSHING_PLANS)
def pm_vendor(request) -> Any:
    with VENDORS[request.param][0]() as fake:
        yield request.param, fake


def run_schedules(connection: Connection, direction: str = "push", force: bool = False) -> SyncRun:
    run = run_request(
        by=None, connection=connection, entity="schedules", direction=direction, force_sync=force
    )
    run_execute(run.pk)
    run.refresh_from_db()
    connection.refresh_from_db()
    return run


def our_plan(name: str, assets: list[Asset], **fields: Any) -> PMSchedule:
    return schedule_create(
        by=None,
        name=name,
        assets=assets,
        trigger_type=TriggerType.TIME_BASED,
        frequency=fields.pop("frequency", "monthly"),
        interval=fields.pop("interval", 2),
        starts_at=START,
        **fields,
    )


def as_vendor_holds_it(cmms_type: str, plan: dict[str, Any]) -> dict[str, Any]:
    """The vendor's plan in a few words: name, unit, every, assets."""
    if cmms_type == "fiix":
        trigger = plan["__trigger"] or {}
        every = {"M": "intTSMEveryMonths", "W": "intTSWEveryWeeks"}.get(trigger.get("strTSType"))
        return {
            "name": plan["strDescription"],
            "unit": trigger.get("strTSType"),
            "every": trigger.get(every),
            "assets": plan["__assets"],
        }
    if cmms_type == "upkeep":
        return {
            "name": plan["title"],
            "unit": plan["repeatFrequency"],
            "every": plan["repeatEvery"],
            "assets": [plan["asset"]],
        }
    return {
        "name": plan["name"],
        "unit": plan["frequency"],
        "every": plan["interval"],
        "assets": plan["asset_ids"],
    }


MONTH = {"fiix": "M", "upkeep": "month", "generic_rest": "month"}
WEEK = {"fiix": "W", "upkeep": "week", "generic_rest": "week"}


def vendor_asset(cmms_type: str, key: Any) -> Any:
    # Fiix links assets by their numeric id; the others by the id as they send it.
    return int(key) if cmms_type == "fiix" else str(key)


def test_a_new_plan_is_created_once_with_its_recurrence_and_assets(in_alpha, pm_vendor):
    # Given a plan of ours on an asset this connection synced
    cmms_type, fake = pm_vendor
    connection = make_connection(cmms_type, fake, direction="push")
    ((key, asset),) = plant(connection, fake, 1)
    plan = our_plan("Grease conveyor bearings", [asset])

    # When the schedules are pushed
    run = run_schedules(connection)

    # Then the vendor holds it once, and ours carries the vendor's id
    assert run.status == RunStatus.SUCCEEDED, (run.detail, run.errors)
    assert run.counts["pushed"] == 1
    assert run.detail == ""
    ((ident, held),) = fake.plans.items()
    assert as_vendor_holds_it(cmms_type, held) == {
        "name": "Grease conveyor bearings",
        "unit": MONTH[cmms_type],
        "every": 2,
        "assets": [vendor_asset(cmms_type, key)],
    }
    plan.refresh_from_db()
    assert plan.external_ref == f"{connection.ref_prefix()}{ident}"
    # Nothing changed since: nothing is sent again, and pulling it back adds nothing.
    assert run_schedules(connection).counts["pushed"] == 0
    back = run_schedules(connection, direction="pull", force=True)
    assert back.counts["created"] == 0, back.errors
    assert PMSchedule.objects.count() == 1
    assert len(fake.plans) == 1


def test_a_changed_plan_is_updated_in_place(in_alpha, pm_vendor):
    cmms_type, fake = pm_vendor
    connection = make_connection(cmms_type, fake, direction="push")
    ((_, asset), (other_key, other)) = plant(connection, fake, 2)
    plan = our_plan("Inspect boiler", [asset])
    run_schedules(connection)

    schedule_update(
        by=None,
        schedule=plan,
        name="Inspect boiler and burner",
        frequency="weekly",
        interval=3,
        assets=[other],
    )
    run = run_schedules(connection)

    assert run.status == RunStatus.SUCCEEDED, (run.detail, run.errors)
    assert run.counts["pushed"] == 1
    ((_, held),) = fake.plans.items()
    assert as_vendor_holds_it(cmms_type, held) == {
        "name": "Inspect boiler and burner",
        "unit": WEEK[cmms_type],
        "every": 3,
        "assets": [vendor_asset(cmms_type, other_key)],
    }


def test_a_push_alone_keeps_a_newer_change_of_the_vendors(in_alpha, pm_vendor):
    cmms_type, fake = pm_vendor
    connection = make_connection(cmms_type, fake, direction="push")
    ((_, asset),) = plant(connection, fake, 1)
    plan = our_plan("Check belts", [asset])
    run_schedules(connection)
    schedule_update(by=None, schedule=plan, name="Check belts (ours, older)")
    time.sleep(0.01)
    ((ident, _),) = fake.plans.items()
    fake.change_plan(ident, **{fake.plan_name_field: "Check belts (theirs, newer)"})

    run = run_schedules(connection)

    assert run.counts["pushed"] == 0
    assert run.counts["skipped"] == 1
    assert fake.plans[ident][fake.plan_name_field] == "Check belts (theirs, newer)"


def test_a_plan_on_an_asset_the_vendor_does_not_know_fails_alone(in_alpha, pm_vendor):
    cmms_type, fake = pm_vendor
    connection = make_connection(cmms_type, fake, direction="push")
    ((_, synced),) = plant(connection, fake, 1)
    ours_only = asset_create(
        by=None, asset_id="CMP-LOCAL", name="Local compressor", asset_type="tool"
    )
    our_plan("Drain compressor", [ours_only])
    our_plan("Grease pump", [synced])

    run = run_schedules(connection)

    assert run.status == RunStatus.PARTIAL
    assert run.counts["pushed"] == 1
    assert "CMP-LOCAL" in run.errors[0]["error"]
    assert [held[fake.plan_name_field] for held in fake.plans.values()] == ["Grease pump"]


def test_plans_the_vendor_cannot_express_stay_ours(in_alpha):
    with FakeUpKeep() as fake:
        connection = make_connection("upkeep", fake, direction="push")
        ((_, asset),) = plant(connection, fake, 1)
        schedule_create(
            by=None,
            name="Every 500 hours",
            assets=[asset],
            trigger_type=TriggerType.USAGE_BASED,
            meter_name="hours",
            trigger_value=500,
            starts_at=START,
        )

        run = run_schedules(connection)

        assert run.status == RunStatus.SUCCEEDED, (run.detail, run.errors)
        assert run.counts["pushed"] == 0
        assert fake.plans == {}


@pytest.mark.parametrize("cmms_type", ["fiix", "generic_rest"])
def test_a_lost_plan_creation_is_found_again_not_created_twice(in_alpha, cmms_type):
    with VENDORS[cmms_type][0]() as fake:
        connection = make_connection(cmms_type, fake, direction="push")
        ((key, asset),) = plant(connection, fake, 1)
        plan = our_plan("Calibrate scales", [asset])
        fake.lose_create_answers(1)
        lost = run_schedules(connection)
        assert lost.status == RunStatus.PARTIAL
        assert len(fake.plans) == 1
        plan.refresh_from_db()
        assert plan.external_ref == ""

        again = run_schedules(connection)

        assert again.status == RunStatus.SUCCEEDED, (again.detail, again.errors)
        assert len(fake.plans) == 1
        ((ident, _),) = fake.plans.items()
        plan.refresh_from_db()
        assert plan.external_ref == f"{connection.ref_prefix()}{ident}"
        (link,) = SyncLink.objects.filter(connection=connection, entity=Entity.SCHEDULE)
        assert (link.external_id, link.create_started_at) == (str(ident), None)
        # Fiix's PM lost its answer before its trigger and asset links were added: the
        # re-run completes it.
        assert as_vendor_holds_it(cmms_type, fake.plans[ident])["every"] == 2
        assert as_vendor_holds_it(cmms_type, fake.plans[ident])["assets"] == [
            vendor_asset(cmms_type, key)
        ]


def test_maximo_plans_are_pulled_only_and_say_so(in_alpha):
    with FakeMaximo() as fake:
        connection = make_connection("maximo", fake, direction="push")
        ((_, asset),) = plant(connection, fake, 1)
        our_plan("Inspect valves", [asset])

        run = run_schedules(connection)

        assert run.counts["pushed"] == 0
        assert "pulled only" in run.detail
        assert fake.plans == {}


def test_a_push_sends_only_its_own_tenants_plans(in_alpha, beta):
    with FakeUpKeep() as fake:
        connection = make_connection("upkeep", fake, direction="push")
        ((_, asset),) = plant(connection, fake, 1)
        our_plan("Alpha's plan", [asset])
        with tenant_context(beta.tenant):
            theirs = asset_create(
                by=None, asset_id="BETA-PUMP", name="Beta pump", asset_type="tool"
            )
            our_plan("Beta's plan", [theirs])

        run = run_schedules(connection)

        assert run.counts["pushed"] == 1
        assert [held["title"] for held in fake.plans.values()] == ["Alpha's plan"]
        with tenant_context(beta.tenant):
            assert PMSchedule.objects.get().external_ref == ""
