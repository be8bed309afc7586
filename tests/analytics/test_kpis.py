"""The KPIs on a hand-built tenant: every figure worked out by hand here, then read from the API.

January 2026 (31 days = 744 hours, all in the past) on a plant of two assets in service
(and one retired, which does not count).
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from assets.models import Asset, AssetDowntime, Failure
from core.models import User
from tests.assets.factories import AssetFactory
from tests.maintenance.factories import WorkOrderFactory

pytestmark = pytest.mark.django_db
JANUARY = {"start": "2026-01-01", "end": "2026-01-31"}


def at(day: int, hour: int = 0, minute: int = 0, month: int = 1) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def order(**fields):
    labor, parts, other = (Decimal(fields.pop(k, 0)) for k in ("labor", "parts", "other"))
    return WorkOrderFactory(
        labor_cost=labor,
        parts_cost=parts,
        other_cost=other,
        total_cost=labor + parts + other,
        **fields,
    )


@pytest.fixture
def plant(in_alpha):
    press = AssetFactory(asset_id="PRESS-1")
    pump = AssetFactory(asset_id="PUMP-1")
    old = AssetFactory(asset_id="OLD-1", status="retired")
    Asset.objects.filter(pk__in=[press.pk, pump.pk, old.pk]).update(
        created_at=at(1, month=1).replace(year=2025)
    )
    # Down 12 h on 10 January, and 6 h of a stop that began on New Year's Eve.
    AssetDowntime.objects.create(
        asset=press, status="repair", started_at=at(10), ended_at=at(10, 12)
    )
    AssetDowntime.objects.create(
        asset=pump,
        status="repair",
        started_at=datetime(2025, 12, 31, 18, tzinfo=UTC),
        ended_at=at(1, 6),
    )
    AssetDowntime.objects.create(
        asset=pump, status="repair", started_at=at(3, month=2), ended_at=at(4, month=2)
    )
    Failure.objects.create(asset=press, occurred_at=at(10))
    Failure.objects.create(asset=pump, occurred_at=at(1))
    Failure.objects.create(asset=pump, occurred_at=at(5, month=2))  # after the period
    # Breakdown work completed in January: 4 h and 1.5 h from start to finish.
    order(
        asset=press,
        work_type="corrective",
        priority="high",
        status="completed",
        created_at=at(10),
        started_at=at(10, 2),
        completed_at=at(10, 6),
        actual_hours=Decimal(4),
        labor="200",
        parts="50",
    )
    order(
        asset=pump,
        work_type="emergency",
        priority="critical",
        status="completed",
        created_at=at(20),
        started_at=at(20, 10),
        completed_at=at(20, 11, 30),
        actual_hours=Decimal(1),
        other="30",
    )
    # Planned work: 3 h, done on time; another PM job was due and done late.
    order(
        asset=press,
        work_type="preventive",
        status="completed",
        created_at=at(2),
        started_at=at(5),
        completed_at=at(5, 3),
        actual_hours=Decimal(3),
        due_at=at(5),
        pm_on_time_by=at(8),
        labor="90",
    )
    order(
        asset=pump,
        work_type="preventive",
        status="completed",
        created_at=at(2),
        started_at=at(25),
        completed_at=at(25, 2),
        due_at=at(12),
        pm_on_time_by=at(15),
    )
    # Open work: 10 h and 6 h estimated, one of them overdue now.
    order(
        asset=pump,
        work_type="corrective",
        priority="high",
        status="open",
        created_at=at(28),
        due_at=at(29),
        estimated_hours=Decimal(10),
        parts="40",
    )
    order(
        asset=press,
        work_type="inspection",
        priority="low",
        status="in_progress",
        created_at=at(10, month=3),
        estimated_hours=Decimal(6),
    )
    return {"press": press, "pump": pump}


def test_overview_figures(api, plant):
    body = api("viewer").get("/api/v1/analytics/overview/", JANUARY).json()

    assert body["work_orders"]["by_status"] == {
        "open": 1,
        "scheduled": 0,
        "in_progress": 0,
        "on_hold": 0,
        "completed": 4,
        "cancelled": 0,
    }
    assert body["work_orders"]["by_priority"] == {"critical": 1, "high": 2, "medium": 2, "low": 0}
    assert body["work_orders"]["open"] == 2
    assert body["work_orders"]["overdue"] == 1
    assert body["work_orders"]["completed"] == 4
    assert body["mttr_hours"] == 2.75  # (4 + 1.5) / 2
    # Two assets x 744 h, 18 h down, two failures in January.
    assert body["mtbf_hours"] == 735.0  # (1488 - 18) / 2
    assert body["availability_percent"] == 98.8  # (1 - 18 / 1488) x 100 = 98.79
    assert body["pm_compliance_percent"] == 50.0  # one of two PM jobs due was on time
    assert body["planned_maintenance_percent"] == 37.5  # 3 planned h of 8 h completed
    assert body["backlog_hours"] == 16.0
    assert body["backlog_weeks"] == 0.4  # one technician x 40 h a week
    assert body["start"] == "2026-01-01T00:00:00Z"
    assert body["end"] == "2026-02-01T00:00:00Z"


def test_an_empty_period_has_no_figures_rather_than_division_by_zero(api, plant):
    body = (
        api("viewer")
        .get("/api/v1/analytics/overview/", {"start": "2024-01-01", "end": "2024-01-31"})
        .json()
    )

    # No asset was registered yet: nothing ran, nothing failed, nothing was due.
    assert body["mtbf_hours"] is None
    assert body["availability_percent"] is None
    assert body["mttr_hours"] is None
    assert body["pm_compliance_percent"] is None
    assert body["planned_maintenance_percent"] is None
    assert body["work_orders"]["completed"] == 0


def test_no_technicians_means_no_backlog_in_weeks(api, plant, in_alpha):
    # Not through the shared user object: other tests sign in as this technician.
    User.objects.filter(pk=in_alpha.users["technician"].pk).update(is_active=False)

    body = api("viewer").get("/api/v1/analytics/overview/", JANUARY).json()

    assert body["backlog_hours"] == 16.0
    assert body["backlog_weeks"] is None


def test_trends_by_week(api, plant):
    rows = api("planner").get("/api/v1/analytics/trends/", {**JANUARY, "interval": "week"}).json()

    # Weeks start on Monday: 29 December 2025 is the first week touching January.
    assert [r["period_start"][:10] for r in rows] == [
        "2025-12-29",
        "2026-01-05",
        "2026-01-12",
        "2026-01-19",
        "2026-01-26",
    ]
    created = [r["created"] for r in rows]
    completed = [r["completed"] for r in rows]
    assert created == [2, 1, 0, 1, 1]  # 2 Jan x2, 10 Jan, 20 Jan, 28 Jan
    assert completed == [0, 2, 0, 2, 0]  # 5 and 10 Jan; 20 and 25 (a Sunday) Jan
    assert rows[1]["mttr_hours"] == 4.0
    assert rows[3]["mttr_hours"] == 1.5
    assert rows[1]["cost"] == 340.0  # 250 + 90 completed that week
    assert rows[4]["cost"] == 40.0  # the open job, counted on its creation date
    # Due at midnight on 5 Jan and done at 3:00; due on the 12th and done on the 25th;
    # due on the 29th and still open.
    assert [r["overdue"] for r in rows] == [0, 1, 1, 0, 1]


def test_costs_by_asset_and_by_work_type_against_budgets(api, plant):
    client = api("manager")
    client.post(
        "/api/v1/analytics/budgets/",
        {"asset_id": "PRESS-1", "month": "2026-01-01", "amount": "300"},
    )
    client.post(
        "/api/v1/analytics/budgets/",
        {"work_type": "corrective", "month": "2026-01-01", "amount": "500"},
    )
    client.post("/api/v1/analytics/budgets/", {"month": "2026-01-01", "amount": "1000"})

    by_asset = {
        r["key"]: r
        for r in client.get("/api/v1/analytics/costs/", {**JANUARY, "group_by": "asset"}).json()
    }
    by_type = {
        r["key"]: r
        for r in client.get("/api/v1/analytics/costs/", {**JANUARY, "group_by": "work_type"}).json()
    }
    by_month = client.get("/api/v1/analytics/costs/", {**JANUARY, "group_by": "month"}).json()

    assert by_asset["PRESS-1"] == {
        "key": "PRESS-1",
        "labor": 290.0,
        "parts": 50.0,
        "other": 0.0,
        "total": 340.0,
        "budget": 300.0,
        "variance": -40.0,
    }
    assert by_asset["PUMP-1"]["total"] == 70.0  # 30 emergency + 40 open corrective
    assert by_asset["PUMP-1"]["budget"] is None
    assert by_asset["PUMP-1"]["variance"] is None
    assert by_type["corrective"]["total"] == 290.0
    assert by_type["corrective"]["variance"] == 210.0
    assert by_month == [
        {
            "key": "2026-01-01",
            "labor": 290.0,
            "parts": 90.0,
            "other": 30.0,
            "total": 410.0,
            "budget": 1000.0,
            "variance": 590.0,
        }
    ]


def test_device_performance(api, plant):
    rows = {
        r["asset_id"]: r
        for r in api("technician").get("/api/v1/analytics/device-performance/", JANUARY).json()
    }

    assert set(rows) == {"PRESS-1", "PUMP-1"}  # the retired one is out of service
    assert rows["PRESS-1"]["downtime_hours"] == 12.0
    assert rows["PRESS-1"]["uptime_percent"] == 98.4  # (1 - 12 / 744) x 100 = 98.39
    assert rows["PRESS-1"]["failures"] == 1
    assert rows["PRESS-1"]["mtbf_hours"] == 732.0
    assert rows["PRESS-1"]["mttr_hours"] == 4.0
    assert rows["PUMP-1"]["mtbf_hours"] == 738.0  # (744 - 6) / 1
    assert rows["PUMP-1"]["mttr_hours"] == 1.5


def test_queries_do_not_grow_with_the_data(api, plant, in_alpha):
    client = api("viewer")

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path, JANUARY).status_code == 200
        return len(queries)

    paths = [
        "/api/v1/analytics/overview/",
        "/api/v1/analytics/trends/",
        "/api/v1/analytics/costs/",
        "/api/v1/analytics/device-performance/",
    ]
    for path in paths:
        count(path)  # the first request also makes the settings row
    before = [count(path) for path in paths]
    for n in range(30):
        asset = AssetFactory()
        Asset.objects.filter(pk=asset.pk).update(created_at=at(1).replace(year=2025))
        Failure.objects.create(asset=asset, occurred_at=at(1 + n % 28))
        order(
            asset=asset,
            work_type="corrective",
            status="completed",
            created_at=at(3),
            started_at=at(3),
            completed_at=at(4),
            labor="10",
        )
    after = [count(path) for path in paths]

    assert after == before
    assert max(before) <= 15


def test_exports_are_downloads_with_the_json_keys_as_header(api, plant):
    client = api("viewer")

    csv = client.get(
        "/api/v1/analytics/costs/", {**JANUARY, "group_by": "work_type", "format": "csv"}
    )
    xlsx = client.get("/api/v1/analytics/overview/", {**JANUARY, "format": "xlsx"})

    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    assert csv["Content-Disposition"] == 'attachment; filename="costs-20260101-20260201.csv"'
    lines = csv.content.decode().splitlines()
    assert lines[0] == "key,labor,parts,other,total,budget,variance"
    assert len(lines) == 1 + 3  # corrective, emergency, preventive
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"].endswith('overview-20260101-20260201.xlsx"')
    import tablib

    sheet = tablib.Dataset().load(xlsx.content, format="xlsx")
    assert "work_orders.by_status.completed" in sheet.headers
    assert sheet["mtbf_hours"] == [735.0]


@pytest.mark.parametrize(
    ("role", "overview", "devices"),
    [
        ("manager", 200, 200),
        ("planner", 200, 200),
        ("viewer", 200, 200),
        ("technician", 403, 200),
        ("requester", 403, 403),
    ],
)
def test_who_reads_analytics(api, in_alpha, role, overview, devices):
    client = api(role)

    assert client.get("/api/v1/analytics/overview/").status_code == overview
    assert client.get("/api/v1/analytics/device-performance/").status_code == devices


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-02-01", "end": "2026-01-01"},
        {"start": ""},
        {"start": "yesterday"},
        {"format": "pdf"},
        {"start": "1900-01-01", "end": "2026-01-01"},
    ],
)
def test_bad_periods_are_refused(api, in_alpha, query):
    assert api("viewer").get("/api/v1/analytics/overview/", query).status_code == 400


def test_bad_groupings_and_intervals_are_refused(api, in_alpha):
    client = api("viewer")

    assert client.get("/api/v1/analytics/costs/", {"group_by": "colour"}).status_code == 400
    assert client.get("/api/v1/analytics/trends/", {"interval": "hour"}).status_code == 400


def test_figures_stay_in_their_tenant(api, plant, beta):
    alpha_body = api("viewer").get("/api/v1/analytics/overview/", JANUARY).json()
    beta_body = api("viewer", tenant=beta).get("/api/v1/analytics/overview/", JANUARY).json()

    assert alpha_body["work_orders"]["completed"] == 4
    assert beta_body["work_orders"]["completed"] == 0
    assert beta_body["mtbf_hours"] is None
    with tenant_context(beta.tenant):
        assert not Failure.objects.exists()


def test_budgets_are_one_per_scope_and_month(api, in_alpha):
    AssetFactory(asset_id="FAN-1")
    client = api("manager")
    url = "/api/v1/analytics/budgets/"

    good = client.post(url, {"asset_id": "FAN-1", "month": "2026-03-01", "amount": "100"})
    again = client.post(url, {"asset_id": "FAN-1", "month": "2026-03-01", "amount": "200"})
    mid_month = client.post(url, {"month": "2026-03-15", "amount": "1"})
    both = client.post(
        url, {"asset_id": "FAN-1", "work_type": "corrective", "month": "2026-04-01", "amount": "1"}
    )
    negative = client.post(url, {"month": "2026-05-01", "amount": "-5"})
    by_planner = api("planner").post(url, {"month": "2026-06-01", "amount": "5"})

    assert good.status_code == 201, good.content
    assert good.json()["asset_id"] == "FAN-1"
    assert again.status_code == 400
    assert mid_month.status_code == 400
    assert both.status_code == 400
    assert negative.status_code == 400
    assert by_planner.status_code == 403
    assert api("planner").get(url).json()["count"] == 1


def test_sla_met_percent_counts_work_with_a_policy_met_or_breached(api, in_alpha):
    from maintenance.models import WorkOrder
    from maintenance.services.work_orders import work_order_complete, work_order_start

    manager = api("manager")
    policy = manager.post(
        "/api/v1/sla/config/",
        {"name": "Urgent", "priority": "high", "response_minutes": 60, "resolution_minutes": 240},
        format="json",
    )
    assert policy.status_code == 201, policy.content
    made = [
        manager.post(
            "/api/v1/work-orders/",
            {"title": title, "priority": "high", "reported_at": reported.isoformat()},
        ).json()["id"]
        for title, reported in (("On time", at(10)), ("Late", at(11)), ("Other", at(12)))
    ]
    on_time, late, _other = (WorkOrder.objects.get(pk=pk) for pk in made)
    work_order_start(by=None, work_order=on_time, at=at(10, 0, 30))
    work_order_complete(by=None, work_order=on_time, at=at(10, 2))
    work_order_start(by=None, work_order=late, at=at(11, 3))  # the response took 3 h

    body = api("viewer").get("/api/v1/analytics/overview/", JANUARY).json()

    # Met: the first; breached: the late one and the third, never started (long past due).
    assert body["sla_met_percent"] == 33.3
