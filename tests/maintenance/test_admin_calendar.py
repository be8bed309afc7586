"""The back office's calendar: work by the day it is planned or due, and PM still to come."""

from datetime import timedelta

import pytest
from django.utils import timezone

from maintenance import services
from maintenance.pm import schedules
from tests.assets.factories import AssetFactory

pytestmark = pytest.mark.django_db
URL = "/admin/maintenance/workorder/calendar/"


def test_month_and_week_show_work_and_upcoming_pm_with_links(admin_client, in_alpha):
    now = timezone.now()
    due = services.work_order_create(by=None, title="Belt change", due_at=now + timedelta(days=1))
    services.work_order_create(by=None, title="Far away", due_at=now + timedelta(days=200))
    pump = AssetFactory(asset_id="PUMP-CAL")
    plan = schedules.schedule_create(
        by=None,
        name="Daily round",
        assets=[pump],
        trigger_type="time_based",
        frequency="daily",
        lead_time_days=0,
        starts_at=now + timedelta(days=1),
    )
    client = admin_client("manager")
    day = (now + timedelta(days=1)).date()

    for view in ("month", "week"):
        page = client.get(URL, {"view": view, "date": f"{day:%Y-%m-%d}"}).content.decode()
        assert f"/admin/maintenance/workorder/{due.pk}/change/" in page, view
        assert "Far away" not in page
        assert "PM PUMP-CAL" in page, view
        assert f"/admin/maintenance/pmschedule/{plan.pk}/change/" in page


def test_odd_dates_and_views_fall_back_instead_of_failing(admin_client, in_alpha):
    client = admin_client("manager")
    for params in ({"date": "2026-02-31"}, {"date": "x" * 500}, {"view": "year"}, {"date": ""}):
        assert client.get(URL, params).status_code == 200, params


def test_a_requester_has_no_calendar(admin_client, in_alpha):
    assert admin_client("requester").get(URL).status_code in (302, 403)
