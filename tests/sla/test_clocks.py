"""SLA clocks count working time: applied on creation, stopped, paused and moved by the
work order's own steps, through the real services (given / when / then)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maintenance.pm.calendars import calendar_create
from maintenance.scheduling import WorkingCalendar
from maintenance.services import work_orders
from sla.models import WorkOrderClock
from sla.services.policies import policy_create
from tests.assets.factories import AssetFactory

pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def office(**fields):
    """Mon-Fri 08:00-12:00 and 13:00-17:00 in Amsterdam."""
    values = {
        "name": "Office",
        "timezone": "Europe/Amsterdam",
        "working_days": [0, 1, 2, 3, 4],
        "working_hours": ["08:00-12:00", "13:00-17:00"],
        **fields,
    }
    return calendar_create(by=None, **values)


def policy(**fields):
    values = {"name": "P", "response_minutes": 60, "resolution_minutes": 480, **fields}
    return policy_create(by=None, **values)


def open_work_order(reported_at: datetime, **fields):
    return work_orders.work_order_create(
        by=None, title="Pump leaking", reported_at=reported_at, **fields
    )


def clock_of(work_order) -> WorkOrderClock:
    return WorkOrderClock.objects.get(work_order=work_order)


def test_a_clock_that_starts_outside_working_time_counts_from_the_next_working_slot(in_alpha):
    # Given an office calendar, when a problem is reported on Saturday night,
    policy(calendar=office())
    order = open_work_order(utc(2026, 3, 7, 22, 0))  # Saturday 23:00 in Amsterdam

    clock = clock_of(order)
    # then the hour of response runs Monday 08:00-09:00 CET (07:00-08:00 UTC),
    assert clock.response_due_at == utc(2026, 3, 9, 8, 0)
    # the 80% warning at 08:48 CET, and eight hours of resolution skip the lunch break.
    assert clock.response_warn_at == utc(2026, 3, 9, 7, 48)
    assert clock.resolution_due_at == utc(2026, 3, 9, 16, 0)


def test_a_clock_spans_a_weekend_and_a_holiday(in_alpha):
    # Given Good Friday and Easter Monday off,
    policy(calendar=office(holidays=[date(2026, 4, 3), date(2026, 4, 6)]))

    # when a problem is reported on Thursday 16:30 CEST (one hour to respond, eight to resolve),
    order = open_work_order(utc(2026, 4, 2, 14, 30))

    # then half an hour counts on Thursday and the rest on Tuesday after Easter.
    clock = clock_of(order)
    assert clock.response_due_at == utc(2026, 4, 7, 6, 30)  # Tue 08:30 CEST
    assert clock.resolution_due_at == utc(2026, 4, 7, 14, 30)  # Tue 16:30 CEST (after lunch)


def test_a_clock_crosses_the_dst_change_in_the_calendars_zone(in_alpha):
    # Given a round-the-clock calendar in Amsterdam (the clocks skip 02:00-03:00 on 29 March),
    calendar = calendar_create(
        by=None,
        name="Plant",
        timezone="Europe/Amsterdam",
        working_days=[0, 1, 2, 3, 4, 5, 6],
        working_hours=["06:00-22:00"],
    )
    policy(calendar=calendar, response_minutes=120, resolution_minutes=17 * 60)

    # when a problem is reported at 21:00 CET on Saturday 28 March,
    order = open_work_order(utc(2026, 3, 28, 20, 0))

    # then one working hour is left that evening; the next 16 hours start at 06:00 CEST,
    # which is 04:00 UTC (not 05:00): wall-clock hours hold across the change.
    clock = clock_of(order)
    assert clock.response_due_at == utc(2026, 3, 29, 5, 0)
    assert clock.resolution_due_at == utc(2026, 3, 29, 20, 0)  # 22:00 CEST


def test_hold_pauses_and_resume_moves_only_what_is_still_ahead(in_alpha):
    policy(calendar=office(), pause_on_hold=True)
    order = open_work_order(utc(2026, 3, 9, 7, 0))  # Monday 08:00 CET
    work_orders.work_order_start(by=None, work_order=order, at=utc(2026, 3, 9, 7, 30))
    before = clock_of(order)
    assert before.responded_at == utc(2026, 3, 9, 7, 30)
    assert before.resolution_due_at == utc(2026, 3, 9, 16, 0)  # 17:00 CET

    # When the work waits for parts from Monday 10:00 CET until Tuesday 10:00 CET,
    work_orders.work_order_hold(by=None, work_order=order, at=utc(2026, 3, 9, 9, 0))
    paused = clock_of(order)
    assert paused.paused_at is not None
    assert paused.next_check_at is None
    work_orders.work_order_start(by=None, work_order=order, at=utc(2026, 3, 10, 9, 0))

    # then the pause lasted 8 working hours (Mon 10-12, 13-17, Tue 08-10) and the
    # resolution is due 8 working hours later than before: Tuesday 17:00 CET.
    after = clock_of(order)
    assert after.paused_at is None
    assert after.paused_seconds == 8 * 3600
    assert after.resolution_due_at == utc(2026, 3, 10, 16, 0)
    # The response clock had stopped already and keeps its due time.
    assert after.response_due_at == before.response_due_at


def test_hold_does_not_pause_without_pause_on_hold(in_alpha):
    policy(pause_on_hold=False)
    order = open_work_order(utc(2026, 3, 9, 7, 0))
    work_orders.work_order_start(by=None, work_order=order, at=utc(2026, 3, 9, 7, 5))
    due = clock_of(order).resolution_due_at

    work_orders.work_order_hold(by=None, work_order=order, at=utc(2026, 3, 9, 8))
    work_orders.work_order_start(by=None, work_order=order, at=utc(2026, 3, 9, 12))

    assert clock_of(order).paused_seconds == 0
    assert clock_of(order).resolution_due_at == due


def test_completion_stops_the_resolution_clock_and_records_the_working_minutes(in_alpha):
    policy(calendar=office())
    order = open_work_order(utc(2026, 3, 9, 10, 30))  # Monday 11:30 CET

    work_orders.work_order_start(by=None, work_order=order, at=utc(2026, 3, 9, 12, 15))
    work_orders.work_order_complete(by=None, work_order=order, at=utc(2026, 3, 9, 13, 0))

    clock = clock_of(order)
    # 11:30-12:00 and 13:00-13:15 CET: 45 working minutes to respond, 90 to resolve.
    assert float(clock.response_minutes_taken) == 45
    assert float(clock.resolution_minutes_taken) == 90
    assert clock.resolved_at == utc(2026, 3, 9, 13, 0)
    assert clock.next_check_at is None


def test_a_priority_change_applies_the_policy_of_the_new_priority(in_alpha):
    policy(name="Any", response_minutes=240, resolution_minutes=2400)
    policy(name="Critical", priority="critical", response_minutes=15, resolution_minutes=120)
    order = open_work_order(utc(2026, 3, 9, 7, 0), priority="medium")
    assert clock_of(order).response_due_at == utc(2026, 3, 9, 11, 0)

    work_orders.work_order_update(by=None, work_order=order, priority="critical")

    clock = clock_of(order)
    assert clock.policy.name == "Critical"
    assert clock.response_due_at == utc(2026, 3, 9, 7, 15)
    assert clock.resolution_due_at == utc(2026, 3, 9, 9, 0)


def test_other_edits_never_move_the_due_times(in_alpha):
    policy()
    order = open_work_order(utc(2026, 3, 9, 7, 0))
    due = clock_of(order).resolution_due_at

    work_orders.work_order_update(
        by=None, work_order=order, title="Pump leaking badly", reported_at=utc(2026, 3, 9, 6)
    )

    assert clock_of(order).resolution_due_at == due


def test_the_most_specific_active_policy_wins(in_alpha):
    policy(name="Any", response_minutes=600, resolution_minutes=6000)
    policy(name="High", priority="high", response_minutes=60, resolution_minutes=600)
    policy(name="Corrective", work_type="corrective", response_minutes=30, resolution_minutes=300)
    policy(
        name="Critical assets",
        asset_criticality="critical",
        response_minutes=10,
        resolution_minutes=100,
    )
    policy(
        name="Inactive",
        asset_criticality="critical",
        work_type="corrective",
        response_minutes=1,
        resolution_minutes=1,
        active=False,
    )
    critical = AssetFactory(criticality="critical")
    at = utc(2026, 3, 9, 7)

    def applied(**fields) -> str:
        return clock_of(open_work_order(at, **fields)).policy.name

    assert applied(priority="high", work_type="corrective", asset=critical) == "Critical assets"
    assert applied(priority="high", work_type="corrective") == "Corrective"
    assert applied(priority="high", work_type="inspection") == "High"
    assert applied(priority="low", work_type="inspection") == "Any"


def test_no_policy_no_clock_and_a_null_sla(in_alpha, api):
    policy(priority="critical")
    order = open_work_order(utc(2026, 3, 9, 7), priority="low")

    assert not WorkOrderClock.objects.filter(work_order=order).exists()
    assert api("viewer").get(f"/api/v1/work-orders/{order.pk}/").json()["sla"] is None


def test_a_pm_run_of_many_work_orders_gets_its_clocks_in_one_insert(
    in_alpha, django_assert_max_num_queries
):
    policy()
    drafts = [
        work_orders.WorkOrderDraft(
            work_orders.work_order_build(by=None, title=f"Round {n}", asset=None)
        )
        for n in range(300)
    ]

    with django_assert_max_num_queries(12):
        created = work_orders.work_orders_insert(drafts, by=None)

    assert WorkOrderClock.objects.filter(work_order__in=created).count() == 300


# --- Properties: the clock's due time is its budget of working time, pauses excluded ----

zones = st.sampled_from(["UTC", "Europe/Amsterdam", "America/New_York", "Australia/Sydney"])
starts = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    zone=zones,
    start=starts,
    minutes=st.integers(min_value=1, max_value=5000),
    pause_at=st.integers(min_value=0, max_value=5000),
    pause_for=st.integers(min_value=0, max_value=20000),
)
def test_property_a_paused_clock_is_due_after_its_budget_of_unpaused_working_time(
    zone, start, minutes, pause_at, pause_for
):
    from sla.services.clocks import _points

    engine = WorkingCalendar.from_config(
        timezone=zone, working_days=[0, 1, 2, 3, 4], working_hours=["07:00-12:00", "13:00-18:00"]
    )
    _, due = _points(engine, start, minutes, 80, 0)
    paused_from = start + timedelta(minutes=pause_at)
    if paused_from >= due:
        return
    paused_until = paused_from + timedelta(minutes=pause_for)
    paused = engine.working_time_between(paused_from, paused_until)

    _, moved = _points(engine, start, minutes, 80, int(paused.total_seconds()))

    # The working time from the start to the new due time, less the pause, is the budget.
    # (Pauses are kept to the whole second.)
    counted = engine.working_time_between(start, moved) - paused
    assert abs(counted - timedelta(minutes=minutes)) < timedelta(seconds=1)
    assert moved >= due
