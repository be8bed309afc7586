"""PM plan due dates: fixed vs floating, working-time moves, forecast, generation batches."""

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from maintenance.scheduling import (
    TWENTY_FOUR_SEVEN,
    Occurrence,
    Recurrence,
    ScheduleMode,
    WorkingCalendar,
    due_within,
    forecast,
    next_due,
)

AMS = ZoneInfo("Europe/Amsterdam")

# Monday to Friday, 08:00-12:00 and 13:00-17:00; Easter Monday 2026-04-06 off.
SITE = WorkingCalendar.from_config(
    timezone="Europe/Amsterdam",
    working_hours=["08:00-12:00", "13:00-17:00"],
    holidays=["2026-04-06"],
)


def ams(*args):
    return datetime(*args, tzinfo=AMS)


def occurrence(nominal, due=None):
    return Occurrence(nominal=nominal, due=nominal if due is None else due)


@pytest.mark.parametrize("mode", ["fixed", "floating", ScheduleMode.FLOATING])
def test_without_history_the_first_occurrence_is_the_anchor(mode):
    rule = Recurrence("monthly", ams(2026, 3, 10, 9, 0))

    assert next_due(rule, mode, calendar=SITE) == occurrence(ams(2026, 3, 10, 9, 0))


def test_fixed_keeps_its_calendar_after_a_late_completion_floating_shifts():
    rule = Recurrence("custom", ams(2026, 1, 5, 8, 0), interval=30)
    history = {"last_due": ams(2026, 1, 5, 8, 0), "last_completed": ams(2026, 1, 12, 15, 0)}

    fixed = next_due(rule, "fixed", calendar=SITE, **history)
    floating = next_due(rule, "floating", calendar=SITE, **history)

    assert fixed == occurrence(ams(2026, 2, 4, 8, 0))  # 30 days after the last due date
    assert floating == occurrence(ams(2026, 2, 11, 8, 0))  # 30 days after the completion
    assert next_due(rule, "fixed", calendar=SITE, last_due=history["last_due"]) == fixed


def test_monthly_fixed_vs_floating_from_a_month_end():
    rule = Recurrence("monthly", ams(2026, 1, 31, 9, 0))
    history = {"last_due": ams(2026, 3, 31, 9, 0), "last_completed": ams(2026, 4, 9, 16, 30)}

    fixed = next_due(rule, "fixed", **history)
    floating = next_due(rule, "floating", **history)
    from_month_end = next_due(
        rule, "floating", last_due=ams(2026, 1, 31, 9, 0), last_completed=ams(2026, 1, 31, 10, 0)
    )

    assert fixed.nominal == ams(2026, 4, 30, 9, 0)
    assert floating.nominal == ams(2026, 5, 9, 9, 0)  # a month after the completion date, at 09:00
    assert from_month_end.nominal == ams(2026, 2, 28, 9, 0)


def test_floating_counts_from_the_completion_date_at_the_schedule_time():
    rule = Recurrence("daily", ams(2026, 3, 2, 9, 0), interval=2)

    late_evening = next_due(
        rule, "floating", last_due=ams(2026, 3, 2, 9, 0), last_completed=ams(2026, 3, 3, 23, 30)
    )

    assert late_evening.nominal == ams(2026, 3, 5, 9, 0)


def test_floating_never_goes_back_before_the_last_due_date():
    rule = Recurrence("weekly", ams(2026, 3, 2, 9, 0))

    # Completed ten days ahead of its due date: one week later would still be before it.
    early = next_due(
        rule, "floating", last_due=ams(2026, 3, 16, 9, 0), last_completed=ams(2026, 3, 6, 9, 0)
    )

    assert early.nominal == ams(2026, 3, 20, 9, 0)
    assert early.nominal > ams(2026, 3, 16, 9, 0)


def test_floating_with_the_last_occurrence_still_open_assumes_completion_when_due():
    rule = Recurrence("weekly", ams(2026, 3, 7, 10, 0))  # Saturdays

    provisional = next_due(rule, "floating", calendar=SITE, last_due=ams(2026, 3, 7, 10, 0))

    # Due Monday 08:00, so one week later is the next Monday, at the schedule's 10:00.
    assert provisional == occurrence(ams(2026, 3, 16, 10, 0))


def test_cron_fixed_vs_floating():
    rule = Recurrence(
        None, ams(2026, 3, 2, 0, 0), cron="0 7 * * MON,THU", timezone="Europe/Amsterdam"
    )
    history = {"last_due": ams(2026, 3, 2, 7, 0), "last_completed": ams(2026, 3, 6, 10, 0)}

    fixed = next_due(rule, "fixed", calendar=SITE, **history)
    floating = next_due(rule, "floating", calendar=SITE, **history)

    assert fixed == occurrence(ams(2026, 3, 5, 7, 0), ams(2026, 3, 5, 8, 0))
    # Floating: the first tick after the completion (Friday), moved to Monday's opening.
    assert floating == occurrence(ams(2026, 3, 9, 7, 0), ams(2026, 3, 9, 8, 0))


def test_a_holiday_moves_the_due_date_but_not_the_nominal_one():
    rule = Recurrence("weekly", ams(2026, 3, 30, 9, 0))

    easter = next_due(rule, "fixed", calendar=SITE, last_due=ams(2026, 3, 30, 9, 0))

    assert easter == occurrence(ams(2026, 4, 6, 9, 0), ams(2026, 4, 7, 8, 0))


def test_weekend_moves_to_mondays_first_interval():
    rule = Recurrence("weekly", ams(2026, 3, 14, 10, 0))  # Saturday

    assert next_due(rule, "fixed", calendar=SITE) == occurrence(
        ams(2026, 3, 14, 10, 0), ams(2026, 3, 16, 8, 0)
    )


def test_lunch_time_moves_to_the_afternoon_interval():
    rule = Recurrence("daily", ams(2026, 3, 10, 12, 30))

    assert next_due(rule, "fixed", calendar=SITE) == occurrence(
        ams(2026, 3, 10, 12, 30), ams(2026, 3, 10, 13, 0)
    )


def test_dst_change_in_the_calendar_timezone():
    rule = Recurrence("weekly", ams(2026, 3, 22, 7, 0))  # Sundays 07:00, before opening anyway

    result = forecast(rule, "fixed", calendar=SITE, until=ams(2026, 4, 1, 0, 0))

    assert [o.nominal for o in result] == [ams(2026, 3, 22, 7, 0), ams(2026, 3, 29, 7, 0)]
    assert [o.due for o in result] == [
        datetime(2026, 3, 23, 7, 0, tzinfo=UTC),  # 08:00 CET
        datetime(2026, 3, 30, 6, 0, tzinfo=UTC),  # 08:00 CEST
    ]
    assert result[1].nominal == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def test_forecast_over_a_year():
    rule = Recurrence("weekly", ams(2026, 1, 5, 9, 0))  # Mondays

    year = forecast(rule, "fixed", calendar=SITE, until=ams(2027, 1, 1, 0, 0))

    assert len(year) == 52
    assert year[0].nominal == ams(2026, 1, 5, 9, 0)
    assert year[-1].nominal == ams(2026, 12, 28, 9, 0)
    assert all(a.nominal < b.nominal and a.due < b.due for a, b in pairwise(year))
    assert all(SITE.is_working_time(o.due) for o in year)
    moved = [o for o in year if o.due != o.nominal]
    assert moved == [occurrence(ams(2026, 4, 6, 9, 0), ams(2026, 4, 7, 8, 0))]


def test_forecast_respects_last_due_limit_and_inclusive_until():
    rule = Recurrence("daily", ams(2026, 3, 2, 9, 0))

    after = forecast(rule, "fixed", last_due=ams(2026, 3, 3, 9, 0), until=ams(2026, 3, 6, 9, 0))
    capped = forecast(rule, "fixed", until=ams(2027, 1, 1, 0, 0), limit=3)

    assert [o.nominal for o in after] == [ams(2026, 3, d, 9, 0) for d in (4, 5, 6)]
    assert [o.nominal for o in capped] == [ams(2026, 3, d, 9, 0) for d in (2, 3, 4)]


def test_floating_forecast_assumes_each_is_done_on_its_due_date():
    rule = Recurrence("custom", ams(2026, 3, 2, 9, 0), interval=10)

    result = forecast(
        rule,
        "floating",
        calendar=SITE,
        last_due=ams(2026, 3, 2, 9, 0),
        last_completed=ams(2026, 3, 4, 16, 0),
        until=ams(2026, 6, 1, 0, 0),
    )

    assert result[0].nominal == ams(2026, 3, 14, 9, 0)  # Saturday...
    assert result[0].due == ams(2026, 3, 16, 8, 0)  # ...due on Monday
    assert result[1].nominal == ams(2026, 3, 26, 9, 0)  # ten days after that Monday
    for previous, current in pairwise(result):
        assert current.nominal.astimezone(AMS).date() == previous.due.astimezone(
            AMS
        ).date() + timedelta(days=10)
    fixed = forecast(
        rule, "fixed", calendar=SITE, last_due=ams(2026, 3, 2, 9, 0), until=ams(2026, 6, 1, 0, 0)
    )
    assert [o.nominal for o in fixed[:3]] == [
        ams(2026, 3, 12, 9, 0),
        ams(2026, 3, 22, 9, 0),
        ams(2026, 4, 1, 9, 0),
    ]


def test_due_within_lead_time_and_idempotent_by_last_due():
    rule = Recurrence("daily", ams(2026, 3, 2, 9, 0))
    arguments = {"calendar": SITE, "now": ams(2026, 3, 6, 10, 0), "lead_time": timedelta(days=3)}

    batch = due_within(rule, "fixed", last_due=ams(2026, 3, 4, 9, 0), **arguments)
    again = due_within(rule, "fixed", last_due=batch[-1].nominal, **arguments)

    assert [o.nominal for o in batch] == [ams(2026, 3, d, 9, 0) for d in (5, 6, 7, 8, 9)]
    assert [o.due for o in batch] == [
        ams(2026, 3, 5, 9, 0),
        ams(2026, 3, 6, 9, 0),
        ams(2026, 3, 9, 8, 0),  # Saturday
        ams(2026, 3, 9, 8, 0),  # Sunday
        ams(2026, 3, 9, 9, 0),
    ]
    assert again == []


def test_due_within_catch_up_and_batches():
    rule = Recurrence("daily", ams(2026, 3, 2, 9, 0))
    now = ams(2026, 3, 20, 8, 30)

    everything = due_within(rule, "fixed", now=now)
    latest_only = due_within(rule, "fixed", now=now, catch_up=False)
    with_lead = due_within(
        rule, "fixed", calendar=SITE, now=now, lead_time=timedelta(days=1), catch_up=False
    )
    first_batch = due_within(rule, "fixed", now=now, limit=7)
    second_batch = due_within(rule, "fixed", now=now, limit=7, last_due=first_batch[-1].nominal)

    assert len(everything) == 18
    assert latest_only == [occurrence(ams(2026, 3, 19, 9, 0))]
    assert [o.nominal for o in with_lead] == [ams(2026, 3, 19, 9, 0), ams(2026, 3, 20, 9, 0)]
    assert first_batch + second_batch == everything[:14]
    assert due_within(rule, "fixed", now=now, catch_up=False, last_due=ams(2026, 3, 19, 9, 0)) == []


def test_due_within_catch_up_off_keeps_the_latest_missed_after_a_calendar_shift():
    rule = Recurrence("daily", ams(2026, 3, 2, 9, 0))
    monday_morning = ams(2026, 3, 16, 7, 0)

    # Saturday and Sunday are due Monday 08:00, still ahead: Friday is the latest missed.
    result = due_within(
        rule,
        "fixed",
        calendar=SITE,
        now=monday_morning,
        lead_time=timedelta(hours=1),
        catch_up=False,
    )

    assert [o.nominal for o in result] == [ams(2026, 3, d, 9, 0) for d in (13, 14, 15)]


def test_due_within_floating_waits_for_the_completion():
    rule = Recurrence("weekly", ams(2026, 3, 2, 9, 0))
    now = ams(2026, 3, 12, 12, 0)

    waiting = due_within(
        rule, "floating", last_due=ams(2026, 3, 2, 9, 0), now=now, lead_time=timedelta(days=7)
    )
    done = due_within(
        rule,
        "floating",
        last_due=ams(2026, 3, 2, 9, 0),
        last_completed=ams(2026, 3, 11, 15, 0),
        now=now,
        lead_time=timedelta(days=7),
    )
    not_yet = due_within(
        rule,
        "floating",
        last_due=ams(2026, 3, 2, 9, 0),
        last_completed=ams(2026, 3, 11, 15, 0),
        now=now,
    )

    assert waiting == []
    assert done == [occurrence(ams(2026, 3, 18, 9, 0))]
    assert not_yet == []
    assert due_within(rule, "floating", now=now) == [occurrence(ams(2026, 3, 2, 9, 0))]


def test_occurrences_sort_by_nominal_moment():
    later = occurrence(ams(2026, 3, 3, 9, 0))
    earlier = occurrence(ams(2026, 3, 2, 9, 0), ams(2026, 3, 9, 8, 0))

    assert sorted([later, earlier]) == [earlier, later]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda rule: next_due(rule, "sliding"), "unknown schedule mode 'sliding'"),
        (
            lambda rule: next_due(rule, "fixed", last_due=datetime(2026, 3, 2, 9, 0)),
            "timezone-aware",
        ),
        (lambda rule: forecast(rule, "fixed", until=datetime(2027, 1, 1)), "timezone-aware"),
        (lambda rule: forecast(rule, "fixed", until=ams(2027, 1, 1), limit=0), "limit"),
        (lambda rule: due_within(rule, "fixed", now=datetime(2026, 3, 2)), "timezone-aware"),
        (
            lambda rule: due_within(
                rule, "fixed", now=ams(2026, 3, 2), lead_time=timedelta(days=-1)
            ),
            "lead_time",
        ),
        (lambda rule: due_within(rule, "fixed", now=ams(2026, 3, 2), lead_time=7), "lead_time"),
    ],
)
def test_bad_plan_input_is_refused(call, message):
    rule = Recurrence("daily", ams(2026, 3, 2, 9, 0))

    with pytest.raises(ValueError, match=message):
        call(rule)


def test_default_calendar_is_round_the_clock():
    rule = Recurrence("weekly", ams(2026, 3, 14, 10, 0))

    assert next_due(rule, "fixed") == next_due(rule, "fixed", calendar=TWENTY_FOUR_SEVEN)
    assert next_due(rule, "fixed").due == ams(2026, 3, 14, 10, 0)
    assert date(2026, 3, 14).weekday() == 5
