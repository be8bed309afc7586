"""Preventive maintenance: schedules, every trigger, calendars, idempotent generation."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from assets.services import meters, monitoring
from core.models import AuditEntry
from maintenance import services
from maintenance.events import work_order_payloads
from maintenance.models import MaintenanceCalendar, PMSchedule, PMScheduleAsset, WorkOrder
from maintenance.pm import due_dates, generation, schedules
from tests.assets.factories import AssetFactory, MeterFactory
from tests.maintenance.factories import WorkOrderFactory, stocked_part

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def local(*args):
    return datetime(*args, tzinfo=AMS)


@pytest.fixture
def office(in_alpha):
    return MaintenanceCalendar.objects.create(
        name="Office",
        timezone="Europe/Amsterdam",
        working_days=[0, 1, 2, 3, 4],
        working_hours=["08:00-12:00", "13:00-17:00"],
        holidays=[datetime(2027, 1, 1).date()],
    )


def schedule(name="Monthly service", assets_=(), created=None, **fields):
    values = {"trigger_type": "time_based", "frequency": "monthly", "lead_time_days": 0, **fields}
    made = schedules.schedule_create(by=None, name=name, assets=list(assets_), **values)
    if created is not None:
        # The plan applies from when it was made; tests place that moment explicitly.
        PMScheduleAsset.objects.filter(schedule=made).update(created_at=created, next_due=None)
    return made


def generated(schedule_):
    return list(
        WorkOrder.objects.filter(schedule=schedule_)
        .order_by("pm_nominal")
        .values_list("pm_nominal", "due_at")
    )


# --- API and validation ---------------------------------------------------------


def test_create_generate_and_generate_again_through_the_api(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    AssetFactory(asset_id="PUMP-2")
    client = api("planner")
    starts = timezone.now() - timedelta(minutes=5)

    created = client.post(
        "/api/v1/preventive-maintenance/schedules/",
        {
            "name": "Pump check",
            "trigger_type": "time_based",
            "frequency": "weekly",
            "assets": ["PUMP-1", "PUMP-2"],
            "starts_at": starts.isoformat(),
            "lead_time_days": 3,
            "priority": "high",
            "estimated_duration": 90,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["assets"] == ["PUMP-1", "PUMP-2"]
    assert body["next_due_at"] is not None

    first = client.post(f"/api/v1/preventive-maintenance/schedules/{body['id']}/generate/")
    second = client.post(f"/api/v1/preventive-maintenance/schedules/{body['id']}/generate/")

    assert first.status_code == 201, first.content
    assert first.json()["created"] == 2
    assert second.status_code == 200
    assert second.json()["created"] == 0
    order = WorkOrder.objects.get(schedule_id=body["id"], asset=pump)
    assert (order.source, order.work_type, order.priority, order.status) == (
        "schedule",
        "preventive",
        "high",
        "open",
    )
    assert order.estimated_hours == Decimal("1.50")
    detail = client.get(f"/api/v1/work-orders/{order.pk}/").json()
    assert detail["schedule"] == body["id"]
    by_schedule = client.get("/api/v1/work-orders/", {"schedule": body["id"]}).json()
    assert by_schedule["count"] == 2
    schedule_after = client.get(f"/api/v1/preventive-maintenance/schedules/{body['id']}/").json()
    assert schedule_after["last_generated_at"] is not None
    assert schedule_after["next_due_at"] > body["next_due_at"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"trigger_type": "time_based", "assets": ["A-1"]}, "frequency"),
        ({"trigger_type": "time_based", "frequency": "monthly"}, "assets"),
        (
            {"trigger_type": "time_based", "frequency": "fortnightly", "assets": ["A-1"]},
            "frequency",
        ),
        ({"trigger_type": "time_based", "cron": "61 * * * *", "assets": ["A-1"]}, "cron"),
        (
            {"trigger_type": "time_based", "frequency": "custom", "interval": 0, "assets": ["A-1"]},
            "interval",
        ),
        ({"trigger_type": "usage_based", "assets": ["A-1"], "trigger_value": 250}, "meter"),
        (
            {"trigger_type": "usage_based", "assets": ["A-1"], "meter": "Running hours"},
            "trigger_value",
        ),
        (
            {
                "trigger_type": "condition_based",
                "assets": ["A-1"],
                "condition": {"metric": "temperature"},
            },
            "condition",
        ),
        ({"trigger_type": "event_based", "assets": ["A-1"]}, "trigger_event"),
        ({"trigger_type": "sometimes", "assets": ["A-1"]}, "trigger_type"),
        ({"trigger_type": "manual", "assets": ["NOPE"]}, "assets"),
        (
            {
                "trigger_type": "manual",
                "assets": ["A-1"],
                "required_parts": [{"part": 999999, "quantity": 1}],
            },
            "required_parts",
        ),
        ({"trigger_type": "manual", "assets": ["A-1"], "lead_time_days": -1}, "lead_time_days"),
    ],
)
def test_bad_schedules_are_400_and_create_nothing(api, in_alpha, payload, field):
    AssetFactory(asset_id="A-1")

    response = api("planner").post(
        "/api/v1/preventive-maintenance/schedules/", {"name": "X", **payload}, format="json"
    )

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not PMSchedule.objects.exists()


def test_many_assets_are_resolved_together_and_unknown_codes_named_by_position(
    api, in_alpha, django_assert_max_num_queries
):
    codes = [asset.asset_id for asset in AssetFactory.create_batch(200)]
    client = api("planner")
    url = "/api/v1/preventive-maintenance/schedules/"

    refused = client.post(
        url, {"name": "X", "trigger_type": "manual", "assets": [*codes, "NOPE"]}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["assets"] == {"200": ["Object with asset_id=NOPE does not exist."]}
    assert not PMSchedule.objects.exists()

    # The codes are looked up in one query, not one per asset: 200 assets must not
    # cost 200 round trips (the bound leaves room for auth, audit and the links).
    with django_assert_max_num_queries(40):
        created = client.post(
            url,
            {"name": "X", "trigger_type": "manual", "assets": [*codes, codes[0]]},
            format="json",
        )
    assert created.status_code == 201, created.content
    assert sorted(created.json()["assets"]) == sorted(codes)


def test_roles_and_isolation(api, alpha, beta):
    with tenant_context(beta.tenant):
        AssetFactory(asset_id="B-1")
        hidden = schedule(assets_=[AssetFactory()])
    payload = {"name": "X", "trigger_type": "manual", "asset_type": "tool"}

    assert (
        api("technician", tenant=alpha)
        .post("/api/v1/preventive-maintenance/schedules/", payload, format="json")
        .status_code
        == 403
    )
    assert (
        api("viewer", tenant=alpha).get("/api/v1/preventive-maintenance/schedules/").status_code
        == 200
    )
    assert (
        api("technician", tenant=beta)
        .post(f"/api/v1/preventive-maintenance/schedules/{hidden.pk}/generate/")
        .status_code
        == 403
    )
    assert (
        api("manager", tenant=alpha)
        .get(f"/api/v1/preventive-maintenance/schedules/{hidden.pk}/")
        .status_code
        == 404
    )
    assert (
        api("manager", tenant=alpha)
        .post(f"/api/v1/preventive-maintenance/schedules/{hidden.pk}/generate/")
        .status_code
        == 404
    )


# --- Time based: the calendar ----------------------------------------------------


def test_month_end_anchor_keeps_the_end_of_each_month(in_alpha):
    pump = AssetFactory()
    plan = schedule(assets_=[pump], starts_at=utc(2027, 1, 31, 7), created=utc(2027, 1, 1))

    generation.pm_generate_due(now=utc(2027, 5, 1))

    assert [n for n, _ in generated(plan)] == [
        utc(2027, 1, 31, 7),
        utc(2027, 2, 28, 7),
        utc(2027, 3, 31, 7),
        utc(2027, 4, 30, 7),
    ]


def test_leap_day_anchor_across_years(in_alpha):
    pump = AssetFactory()
    plan = schedule(
        assets_=[pump], frequency="annual", starts_at=utc(2028, 2, 29, 6), created=utc(2028, 1, 1)
    )

    generation.pm_generate_due(now=utc(2033, 1, 1))

    assert [n.date().isoformat() for n, _ in generated(plan)] == [
        "2028-02-29",
        "2029-02-28",
        "2030-02-28",
        "2031-02-28",
        "2032-02-29",
    ]


def test_due_dates_move_off_holidays_weekends_and_lunch(office, in_alpha):
    pump = AssetFactory()
    # Daily at 12:30 Amsterdam time: lunch; 2027-01-01 is a holiday, 2 and 3 January a weekend.
    plan = schedule(
        assets_=[pump],
        frequency="daily",
        calendar=office,
        starts_at=local(2026, 12, 31, 12, 30),
        created=utc(2026, 12, 1),
    )

    generation.pm_generate_due(now=utc(2027, 1, 5))

    due = {n.astimezone(AMS).date().isoformat(): d.astimezone(AMS) for n, d in generated(plan)}
    assert due["2026-12-31"] == local(2026, 12, 31, 13, 0)  # after lunch
    assert due["2027-01-01"] == local(2027, 1, 4, 8, 0)  # holiday and weekend -> Monday morning
    assert due["2027-01-02"] == local(2027, 1, 4, 8, 0)
    assert due["2027-01-04"] == local(2027, 1, 4, 13, 0)


def test_wall_clock_time_is_kept_across_a_dst_change(office, in_alpha):
    pump = AssetFactory()
    plan = schedule(
        assets_=[pump],
        frequency="weekly",
        calendar=office,
        starts_at=local(2027, 3, 22, 9, 0),
        created=utc(2027, 3, 1),
    )

    generation.pm_generate_due(now=utc(2027, 4, 10))

    nominals = [n for n, _ in generated(plan)]
    assert [n.astimezone(AMS).hour for n in nominals] == [9, 9, 9]
    assert [n.hour for n in nominals] == [8, 7, 7]  # UTC moves with the clocks on 28 March


def test_only_what_is_due_within_the_lead_time(in_alpha):
    pump = AssetFactory()
    plan = schedule(
        assets_=[pump],
        frequency="weekly",
        lead_time_days=10,
        starts_at=utc(2027, 6, 7, 8),
        created=utc(2027, 6, 1),
    )

    generation.pm_generate_due(now=utc(2027, 6, 1))

    assert [n for n, _ in generated(plan)] == [utc(2027, 6, 7, 8)]  # the 14th is beyond ten days


def test_a_plan_anchored_in_the_past_generates_no_backlog_from_before_it_existed(in_alpha):
    pump = AssetFactory()
    plan = schedule(
        assets_=[pump], frequency="weekly", starts_at=utc(2020, 1, 6, 8), created=utc(2027, 6, 2)
    )

    generation.pm_generate_due(now=utc(2027, 6, 20))

    assert [n.date().isoformat() for n, _ in generated(plan)] == ["2027-06-07", "2027-06-14"]


def test_missed_runs_are_caught_up_for_fixed_plans(in_alpha):
    pump = AssetFactory()
    plan = schedule(
        assets_=[pump], frequency="weekly", starts_at=utc(2027, 6, 7, 8), created=utc(2027, 6, 1)
    )
    generation.pm_generate_due(now=utc(2027, 6, 8))

    generation.pm_generate_due(now=utc(2027, 6, 30))  # the generator did not run for three weeks

    assert [n.day for n, _ in generated(plan)] == [7, 14, 21, 28]


def test_cron_schedules(in_alpha):
    pump = AssetFactory()
    plan = schedule(
        assets_=[pump],
        frequency="",
        cron="0 6 * * 1",
        starts_at=utc(2027, 6, 1),
        created=utc(2027, 6, 1),
    )

    generation.pm_generate_due(now=utc(2027, 6, 20))

    assert [n for n, _ in generated(plan)] == [utc(2027, 6, 7, 6), utc(2027, 6, 14, 6)]


def complete(order, at):
    order.status = "completed"
    order.completed_at = at
    order.save()
    due_dates.occurrence_closed(schedule_id=order.schedule_id, asset_id=order.asset_id)


def test_fixed_keeps_its_calendar_after_a_late_completion(in_alpha):
    pump = AssetFactory()
    plan = schedule(
        assets_=[pump],
        frequency="custom",
        interval=30,
        starts_at=utc(2027, 1, 1, 8),
        created=utc(2027, 1, 1),
    )
    generation.pm_generate_due(now=utc(2027, 1, 1, 9))
    complete(WorkOrder.objects.get(schedule=plan), utc(2027, 1, 20))  # 19 days late

    generation.pm_generate_due(now=utc(2027, 3, 1))

    # Late completion on 20 January does not move the plan: next is 31 January, then 2 March.
    assert [n.date().isoformat() for n, _ in generated(plan)] == ["2027-01-01", "2027-01-31"]


def test_floating_counts_from_the_late_completion(in_alpha):
    pump = AssetFactory()
    plan = schedule(
        assets_=[pump],
        frequency="custom",
        interval=30,
        schedule_mode="floating",
        starts_at=utc(2027, 1, 1, 8),
        created=utc(2027, 1, 1),
    )
    generation.pm_generate_due(now=utc(2027, 1, 1, 9))
    complete(WorkOrder.objects.get(schedule=plan), utc(2027, 1, 20, 15))

    generation.pm_generate_due(now=utc(2027, 2, 1))
    assert len(generated(plan)) == 1  # 20 Jan + 30 days is 19 Feb
    generation.pm_generate_due(now=utc(2027, 2, 19, 9))

    assert [n for n, _ in generated(plan)][1] == utc(2027, 2, 19, 8)


def test_floating_waits_while_the_last_one_is_open(in_alpha):
    pump = AssetFactory()
    plan = schedule(
        assets_=[pump],
        frequency="weekly",
        schedule_mode="floating",
        starts_at=utc(2027, 1, 4, 8),
        created=utc(2027, 1, 1),
    )
    generation.pm_generate_due(now=utc(2027, 1, 5))

    generation.pm_generate_due(now=utc(2027, 2, 1))

    assert len(generated(plan)) == 1


def test_skip_an_occurrence_while_the_previous_one_is_open(in_alpha):
    pump = AssetFactory()
    plan = schedule(
        assets_=[pump],
        frequency="weekly",
        skip_if_open=True,
        starts_at=utc(2027, 1, 4, 8),
        created=utc(2027, 1, 1),
    )
    generation.pm_generate_due(now=utc(2027, 1, 5))
    generation.pm_generate_due(now=utc(2027, 1, 12))  # the first is still open: skipped
    complete(WorkOrder.objects.get(schedule=plan), utc(2027, 1, 13))

    generation.pm_generate_due(now=utc(2027, 1, 19))

    assert [n.day for n, _ in generated(plan)] == [4, 18]
    assert PMScheduleAsset.objects.get(schedule=plan).skipped == 1


def test_every_asset_of_a_type_including_one_added_later(in_alpha):
    AssetFactory(asset_id="FL-1", asset_type="vehicle")
    AssetFactory(asset_id="PUMP", asset_type="equipment")
    plan = schedule(
        asset_type="vehicle",
        frequency="weekly",
        starts_at=utc(2027, 1, 4, 8),
        created=utc(2027, 1, 1),
    )
    generation.pm_generate_due(now=utc(2027, 1, 5))
    late = AssetFactory(asset_id="FL-2", asset_type="vehicle")
    PMScheduleAsset.objects.filter(schedule=plan).update(created_at=utc(2027, 1, 1))
    generation.pm_generate_due(now=utc(2027, 1, 5))
    PMScheduleAsset.objects.filter(schedule=plan, asset=late).update(created_at=utc(2027, 1, 1))

    generation.pm_generate_due(now=utc(2027, 1, 5))

    assert sorted(
        WorkOrder.objects.filter(schedule=plan).values_list("asset__asset_id", flat=True)
    ) == ["FL-1", "FL-2"]


def test_template_steps_parts_and_required_parts_are_copied(in_alpha):
    compressor = AssetFactory(asset_id="CMP-1")
    meter = MeterFactory(asset=compressor, name="Running hours")
    filter_part, oil = stocked_part("FLT-1", 5), stocked_part("OIL-1", 5)
    template = services.template_create(
        by=None,
        name="Compressor service",
        steps=[
            {"title": "Valve lifts?", "kind": "inspection"},
            {"title": "Hours", "kind": "meter", "meter_name": "running hours"},
        ],
        parts=[{"part": filter_part, "quantity": Decimal(1)}],
    )
    plan = schedule(
        assets_=[compressor],
        template=template,
        starts_at=utc(2027, 1, 4, 8),
        created=utc(2027, 1, 1),
        required_parts=[
            {"part": oil.pk, "quantity": "2"},
            {"part": filter_part.pk, "quantity": "1"},
        ],
    )

    generation.pm_generate_due(now=utc(2027, 1, 5))

    order = WorkOrder.objects.get(schedule=plan)
    assert [(s.title, s.kind, s.meter_id) for s in order.steps.all()] == [
        ("Valve lifts?", "inspection", None),
        ("Hours", "meter", meter.pk),
    ]
    assert {p.part_id: p.quantity_planned for p in order.parts.all()} == {
        filter_part.pk: 2,
        oil.pk: 2,
    }
    assert order.events.filter(kind="work_order.created").exists()


def test_generation_is_audited_and_announced_with_the_detail_payload(
    in_alpha, django_capture_on_commit_callbacks
):
    from core.models import AuditEntry

    plan = schedule(
        assets_=[AssetFactory(), AssetFactory()],
        starts_at=utc(2027, 1, 4, 8),
        created=utc(2027, 1, 1),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        report = generation.pm_generate_due(now=utc(2027, 1, 5))

    assert len(report.created) == 2
    assert len(callbacks) == 1  # one batched delivery for the whole chunk
    assert (
        AuditEntry.objects.filter(
            action="work_order.create", object_id__in=[str(i) for i in report.created]
        ).count()
        == 2
    )
    assert WorkOrder.objects.filter(schedule=plan).count() == 2


def test_bulk_payloads_equal_the_detail_endpoint(api, in_alpha):
    schedule(
        assets_=[AssetFactory(asset_id="P-1")],
        starts_at=utc(2027, 1, 4, 8),
        created=utc(2027, 1, 1),
    )
    report = generation.pm_generate_due(now=utc(2027, 1, 5))
    order_id = report.created[0]
    client = api("viewer")

    fast = work_order_payloads([order_id])[order_id]
    detail = client.get(f"/api/v1/work-orders/{order_id}/").json()

    import json

    from rest_framework.utils.encoders import JSONEncoder

    assert json.loads(json.dumps(fast, cls=JSONEncoder)) == detail


# --- Other triggers ------------------------------------------------------------


def test_usage_every_250_running_hours(in_alpha):
    compressor = AssetFactory(asset_id="CMP-1")
    meter = MeterFactory(asset=compressor, name="Running hours", unit="h")
    plan = schedule(
        name="250 h service",
        assets_=[compressor],
        trigger_type="usage_based",
        frequency="",
        meter_name="running hours",
        trigger_value=Decimal(250),
    )

    for value in (1000, 1100, 1240):
        meters.meter_reading_record(by=None, meter=meter, value=Decimal(value))
    assert not WorkOrder.objects.filter(schedule=plan).exists()
    meters.meter_reading_record(
        by=None, meter=meter, value=Decimal(1260)
    )  # 260 h since the first reading
    assert WorkOrder.objects.filter(schedule=plan).count() == 1
    meters.meter_reading_record(by=None, meter=meter, value=Decimal(1400))
    assert WorkOrder.objects.filter(schedule=plan).count() == 1
    meters.meter_reading_record(
        by=None, meter=meter, value=Decimal(5), is_reset=True
    )  # new counter
    meters.meter_reading_record(by=None, meter=meter, value=Decimal(120))
    assert WorkOrder.objects.filter(schedule=plan).count() == 2  # 520 h run in total

    assert PMScheduleAsset.objects.get(schedule=plan).usage_accumulated == Decimal(20)


def test_condition_must_hold_for_its_duration_and_fires_once_per_episode(in_alpha):
    pump = AssetFactory()
    plan = schedule(
        name="Overheat",
        assets_=[pump],
        trigger_type="condition_based",
        frequency="",
        condition_metric="temperature",
        condition_operator="gt",
        condition_threshold=Decimal(80),
        condition_duration_minutes=30,
    )
    start = timezone.now() - timedelta(hours=3)

    def reading(minutes, temperature):
        monitoring.performance_record(
            by=None,
            asset=pump,
            recorded_at=start + timedelta(minutes=minutes),
            temperature=Decimal(temperature),
        )

    reading(0, 85)
    reading(10, 86)
    assert not WorkOrder.objects.filter(schedule=plan).exists()  # not yet held for 30 minutes
    reading(35, 90)
    reading(50, 95)
    assert WorkOrder.objects.filter(schedule=plan).count() == 1  # fired once for this episode
    reading(60, 70)  # cleared
    reading(70, 85)
    reading(105, 88)
    assert WorkOrder.objects.filter(schedule=plan).count() == 2


def test_condition_on_a_meter(in_alpha):
    tank = AssetFactory()
    level = MeterFactory(asset=tank, name="Level", unit="%", cumulative=False, kind="gauge")
    plan = schedule(
        name="Refill",
        assets_=[tank],
        trigger_type="condition_based",
        frequency="",
        condition_metric="meter:level",
        condition_operator="lt",
        condition_threshold=Decimal(20),
    )

    meters.meter_reading_record(by=None, meter=level, value=Decimal(15))

    assert WorkOrder.objects.filter(schedule=plan).count() == 1


def test_event_an_alert_of_at_least_a_severity(in_alpha):
    pump = AssetFactory()
    plan = schedule(
        name="Investigate",
        assets_=[pump],
        trigger_type="event_based",
        frequency="",
        trigger_event="asset_alert",
        event_min_severity="high",
    )

    monitoring.performance_record(
        by=None, asset=pump, uptime_percentage=Decimal(85)
    )  # medium alert
    assert not WorkOrder.objects.filter(schedule=plan).exists()
    monitoring.performance_record(by=None, asset=pump, temperature=Decimal(95))  # high alert
    assert WorkOrder.objects.filter(schedule=plan).count() == 1


def test_event_completion_of_a_kind_of_work(in_alpha):
    pump = AssetFactory()
    plan = schedule(
        name="Post-repair test",
        assets_=[pump],
        trigger_type="event_based",
        frequency="",
        trigger_event="work_order_completed",
        event_work_type="corrective",
    )
    inspection = WorkOrderFactory(asset=pump, status="in_progress", work_type="inspection")
    repair = WorkOrderFactory(asset=pump, status="in_progress", work_type="corrective")

    services.work_order_complete(by=None, work_order=inspection)
    assert not WorkOrder.objects.filter(schedule=plan).exists()
    services.work_order_complete(by=None, work_order=repair)
    assert WorkOrder.objects.filter(schedule=plan).count() == 1


def test_manual_generates_only_when_asked_and_once_per_minute(api, in_alpha):
    plan = schedule(
        name="On demand",
        assets_=[AssetFactory(), AssetFactory()],
        trigger_type="manual",
        frequency="",
    )
    generation.pm_generate_due(now=timezone.now() + timedelta(days=400))
    assert not WorkOrder.objects.filter(schedule=plan).exists()
    client = api("planner")

    first = client.post(f"/api/v1/preventive-maintenance/schedules/{plan.pk}/generate/")
    again = client.post(f"/api/v1/preventive-maintenance/schedules/{plan.pk}/generate/")

    assert first.json()["created"] == 2
    assert again.json()["created"] == 0


# --- Forecast, statistics, calendars -------------------------------------------


def test_forecast_lists_without_creating(api, in_alpha):
    AssetFactory(asset_id="P-1")
    plan = schedule(
        assets_=[AssetFactory(asset_id="P-2")],
        frequency="weekly",
        starts_at=timezone.now() + timedelta(days=1),
    )
    client = api("viewer")

    response = client.get(
        f"/api/v1/preventive-maintenance/schedules/{plan.pk}/forecast/",
        {"until": (timezone.now() + timedelta(days=30)).isoformat()},
    )

    assert response.status_code == 200
    rows = response.json()
    assert len(rows) in (4, 5)
    assert {r["asset_id"] for r in rows} == {"P-2"}
    assert not WorkOrder.objects.exists()
    assert (
        client.get(
            f"/api/v1/preventive-maintenance/schedules/{plan.pk}/forecast/", {"until": "never"}
        ).status_code
        == 400
    )


def test_usage_forecast_is_estimated_from_recent_use(api, in_alpha):
    compressor = AssetFactory(asset_id="CMP-1")
    meter = MeterFactory(asset=compressor, name="Running hours")
    plan = schedule(
        name="250 h",
        assets_=[compressor],
        trigger_type="usage_based",
        frequency="",
        meter_name="Running hours",
        trigger_value=Decimal(250),
    )
    now = timezone.now()
    meters.meter_reading_record(
        by=None, meter=meter, value=Decimal(0), reading_at=now - timedelta(days=20)
    )
    meters.meter_reading_record(
        by=None, meter=meter, value=Decimal(200), reading_at=now - timedelta(days=1)
    )

    rows = api("viewer").get(f"/api/v1/preventive-maintenance/schedules/{plan.pk}/forecast/").json()

    assert rows[0]["estimated"] is True
    first = datetime.fromisoformat(rows[0]["nominal"])
    assert now + timedelta(days=6) < first < now + timedelta(days=9)  # 50 h left at ~6.7 h a day


def test_pm_statistics_and_compliance(api, in_alpha):
    pump = AssetFactory()
    plan = schedule(
        assets_=[pump],
        frequency="custom",
        interval=10,
        starts_at=timezone.now() - timedelta(days=25),
        created=timezone.now() - timedelta(days=26),
    )
    generation.pm_generate_due()
    orders = list(WorkOrder.objects.filter(schedule=plan).order_by("pm_nominal"))
    assert len(orders) == 3
    complete(orders[0], orders[0].due_at + timedelta(hours=12))  # within 10% of 10 days: on time
    complete(orders[1], orders[1].due_at + timedelta(days=3))  # late
    WorkOrderFactory(
        status="completed",
        work_type="corrective",
        actual_hours=Decimal(3),
        completed_at=timezone.now() - timedelta(days=1),
    )
    orders[0].actual_hours = Decimal(1)
    orders[0].save()

    body = api("viewer").get("/api/v1/preventive-maintenance/statistics/").json()

    assert body["schedules"]["by_trigger"]["time_based"] == 1
    assert body["due"] == 3
    assert body["overdue"] == 1
    assert body["generated"] == 3
    assert body["completed_on_time"] == 1
    assert body["pm_compliance_percentage"] == pytest.approx(33.3)
    assert body["planned_maintenance_percentage"] == pytest.approx(25.0)  # 1 h planned of 4 h


def test_calendars_api(api, in_alpha):
    client = api("planner")

    good = client.post(
        "/api/v1/maintenance/calendars/",
        {
            "name": "Plant",
            "timezone": "Europe/Amsterdam",
            "working_days": [0, 1, 2, 3, 4],
            "working_hours": ["07:00-15:30"],
            "holidays": ["2027-12-25"],
        },
        format="json",
    )
    bad_zone = client.post(
        "/api/v1/maintenance/calendars/",
        {
            "name": "X",
            "timezone": "Mars/Olympus",
            "working_days": [0],
            "working_hours": ["08:00-17:00"],
        },
        format="json",
    )
    bad_hours = client.post(
        "/api/v1/maintenance/calendars/",
        {"name": "Y", "timezone": "UTC", "working_days": [0], "working_hours": ["25:00-26:00"]},
        format="json",
    )
    no_days = client.post(
        "/api/v1/maintenance/calendars/",
        {"name": "Z", "timezone": "UTC", "working_days": [], "working_hours": ["08:00-17:00"]},
        format="json",
    )

    assert good.status_code == 201, good.content
    assert good.json()["holidays"] == ["2027-12-25"]
    assert bad_zone.status_code == 400
    assert bad_hours.status_code == 400
    assert no_days.status_code == 400
    assert (
        api("technician")
        .post("/api/v1/maintenance/calendars/", {"name": "T"}, format="json")
        .status_code
        == 403
    )


def test_editing_a_calendar_moves_the_next_due_dates_of_its_plans(api, in_alpha):
    client = api("planner")
    calendar = client.post(
        "/api/v1/maintenance/calendars/",
        {
            "name": "Day shift",
            "timezone": "UTC",
            "working_days": [0, 1, 2, 3, 4],
            "working_hours": ["08:00-16:00"],
        },
        format="json",
    ).json()
    pump = AssetFactory()
    # Every day at 06:00, which the calendar moves to the start of the shift.
    plan = schedule(
        assets_=[pump],
        frequency="daily",
        starts_at=timezone.now().replace(hour=6, minute=0, second=0, microsecond=0)
        + timedelta(days=7),
        calendar=MaintenanceCalendar.objects.get(pk=calendar["id"]),
    )
    assert plan.next_due_at.hour == 8

    changed = client.patch(
        f"/api/v1/maintenance/calendars/{calendar['id']}/",
        {"working_hours": ["10:00-18:00"]},
        format="json",
    )

    assert changed.status_code == 200, changed.content
    plan.refresh_from_db()
    assert plan.next_due_at.hour == 10
    assert PMScheduleAsset.objects.get(schedule=plan).next_due.hour == 10
    assert AuditEntry.objects.filter(
        action="calendar.update", object_id=str(calendar["id"])
    ).exists()
