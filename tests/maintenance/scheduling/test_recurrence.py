"""Recurrence rules: every frequency, month ends, leap years, DST, cron, bad input."""

import dataclasses
from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import islice, pairwise
from zoneinfo import ZoneInfo

import pytest

from maintenance.scheduling import MAX_PERIOD_DAYS, Frequency, Recurrence
from maintenance.scheduling import recurrence as recurrence_module

AMS = ZoneInfo("Europe/Amsterdam")
NYC = ZoneInfo("America/New_York")


def local(moments, tz=AMS):
    return [moment.astimezone(tz).replace(tzinfo=None) for moment in moments]


def first(recurrence, count):
    return list(islice(recurrence.occurrences(), count))


@pytest.mark.parametrize(
    ("frequency", "interval", "expected"),
    [
        ("daily", 1, ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08"]),
        ("daily", 3, ["2026-01-05", "2026-01-08", "2026-01-11", "2026-01-14"]),
        ("weekly", 1, ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]),
        ("weekly", 2, ["2026-01-05", "2026-01-19", "2026-02-02", "2026-02-16"]),
        ("monthly", 1, ["2026-01-05", "2026-02-05", "2026-03-05", "2026-04-05"]),
        ("monthly", 5, ["2026-01-05", "2026-06-05", "2026-11-05", "2027-04-05"]),
        ("quarterly", 1, ["2026-01-05", "2026-04-05", "2026-07-05", "2026-10-05"]),
        ("quarterly", 2, ["2026-01-05", "2026-07-05", "2027-01-05", "2027-07-05"]),
        ("semi_annual", 1, ["2026-01-05", "2026-07-05", "2027-01-05", "2027-07-05"]),
        ("annual", 1, ["2026-01-05", "2027-01-05", "2028-01-05", "2029-01-05"]),
        ("annual", 3, ["2026-01-05", "2029-01-05", "2032-01-05", "2035-01-05"]),
        ("custom", 10, ["2026-01-05", "2026-01-15", "2026-01-25", "2026-02-04"]),
    ],
)
def test_each_frequency_and_interval(frequency, interval, expected):
    rule = Recurrence(frequency, datetime(2026, 1, 5, 7, 0, tzinfo=AMS), interval=interval)

    moments = local(first(rule, 4))

    assert [moment.date().isoformat() for moment in moments] == expected
    assert {moment.time() for moment in moments} == {time(7, 0)}
    assert all(moment.tzinfo is UTC for moment in first(rule, 4))


def test_month_end_anchor_clamps_without_drifting():
    rule = Recurrence("monthly", datetime(2026, 1, 31, 7, 0, tzinfo=AMS))

    dates = [moment.date() for moment in local(first(rule, 14))]

    assert dates == [
        date(2026, 1, 31),
        date(2026, 2, 28),  # +1 month
        date(2026, 3, 31),  # +2 months: back to the 31st, not the 28th
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
        date(2026, 7, 31),
        date(2026, 8, 31),
        date(2026, 9, 30),
        date(2026, 10, 31),
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),  # +12 months
        date(2027, 2, 28),
    ]


def test_month_end_in_a_leap_year_gives_february_29():
    rule = Recurrence("monthly", datetime(2024, 1, 31, 7, 0, tzinfo=AMS))

    assert [m.date() for m in local(first(rule, 3))] == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
    ]


def test_quarterly_from_a_month_end():
    rule = Recurrence("quarterly", datetime(2025, 11, 30, 7, 0, tzinfo=AMS))

    assert [m.date() for m in local(first(rule, 5))] == [
        date(2025, 11, 30),
        date(2026, 2, 28),
        date(2026, 5, 30),
        date(2026, 8, 30),
        date(2026, 11, 30),
    ]


def test_annual_february_29_over_2024_to_2030():
    rule = Recurrence("annual", datetime(2024, 2, 29, 9, 0, tzinfo=AMS))

    assert [m.date() for m in local(first(rule, 7))] == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
        date(2029, 2, 28),
        date(2030, 2, 28),
    ]


def test_semi_annual_february_29():
    rule = Recurrence("semi_annual", datetime(2024, 2, 29, 9, 0, tzinfo=AMS))

    assert [m.date() for m in local(first(rule, 5))] == [
        date(2024, 2, 29),
        date(2024, 8, 29),
        date(2025, 2, 28),
        date(2025, 8, 29),
        date(2026, 2, 28),
    ]


def test_monthly_keeps_local_wall_clock_time_across_dst():
    rule = Recurrence("monthly", datetime(2026, 1, 15, 7, 0, tzinfo=AMS))

    moments = first(rule, 12)

    assert {m.astimezone(AMS).time() for m in moments} == {time(7, 0)}
    # Winter is UTC+1, summer UTC+2: the UTC hour moves, the local hour does not.
    assert moments[0].hour == 6
    assert moments[6].hour == 5


def test_timezone_given_apart_from_a_utc_anchor():
    rule = Recurrence(
        "monthly", datetime(2026, 1, 15, 6, 0, tzinfo=UTC), timezone="Europe/Amsterdam"
    )

    july = first(rule, 7)[-1]

    assert july == datetime(2026, 7, 15, 5, 0, tzinfo=UTC)
    assert rule.timezone == "Europe/Amsterdam"


def test_timezone_defaults_to_the_anchor_zone():
    assert Recurrence("daily", datetime(2026, 1, 1, tzinfo=NYC)).timezone == "America/New_York"
    assert Recurrence("daily", datetime(2026, 1, 1, tzinfo=UTC)).timezone == "UTC"


@pytest.mark.parametrize(
    ("tz", "anchor", "gap_day", "expected_utc"),
    [
        # 02:30 does not exist on these days: it means the end of the gap (03:00 DST).
        (AMS, datetime(2026, 3, 27, 2, 30), date(2026, 3, 29), datetime(2026, 3, 29, 1, 0)),
        (NYC, datetime(2026, 3, 6, 2, 30), date(2026, 3, 8), datetime(2026, 3, 8, 7, 0)),
    ],
)
def test_daily_through_a_spring_forward_gap(tz, anchor, gap_day, expected_utc):
    rule = Recurrence("daily", anchor.replace(tzinfo=tz))

    moments = first(rule, 4)
    by_date = {m.astimezone(tz).date(): m for m in moments}

    assert by_date[gap_day] == expected_utc.replace(tzinfo=UTC)
    assert by_date[gap_day].astimezone(tz).time() == time(3, 0)
    # The day after, the schedule is back at its own wall-clock time.
    assert by_date[gap_day + timedelta(days=1)].astimezone(tz).time() == time(2, 30)


def test_a_whole_skipped_day_is_not_counted_twice():
    # Samoa went from 29 to 31 December 2011: midnight on the 30th resolves to the end
    # of the gap, which is midnight on the 31st, the next occurrence itself.
    apia = ZoneInfo("Pacific/Apia")
    rule = Recurrence("daily", datetime(2011, 12, 28, tzinfo=apia))

    moments = first(rule, 4)

    assert all(a < b for a, b in pairwise(moments))
    assert [m.astimezone(apia).date() for m in moments] == [
        date(2011, 12, 28),
        date(2011, 12, 29),
        date(2011, 12, 31),
        date(2012, 1, 1),
    ]
    assert list(islice(rule.occurrences(moments[2]), 2)) == moments[2:]


@pytest.mark.parametrize(
    ("tz", "anchor", "fold_day", "expected_utc"),
    [
        # 02:30 happens twice in Amsterdam on 2026-10-25 and 01:30 twice in New York on
        # 2026-11-01: the first pass (summer time) is the one.
        (AMS, datetime(2026, 10, 23, 2, 30), date(2026, 10, 25), datetime(2026, 10, 25, 0, 30)),
        (NYC, datetime(2026, 10, 30, 1, 30), date(2026, 11, 1), datetime(2026, 11, 1, 5, 30)),
    ],
)
def test_daily_through_a_fall_back_fold(tz, anchor, fold_day, expected_utc):
    rule = Recurrence("daily", anchor.replace(tzinfo=tz))

    moments = first(rule, 4)
    by_date = {m.astimezone(tz).date(): m for m in moments}

    assert by_date[fold_day] == expected_utc.replace(tzinfo=UTC)
    assert [m.astimezone(tz).time() for m in moments] == [anchor.time()] * 4
    assert all(b - a >= timedelta(hours=23) for a, b in pairwise(moments))


def test_anchor_on_a_skipped_time_keeps_its_wall_clock_time_afterwards():
    rule = Recurrence("daily", datetime(2026, 3, 29, 2, 30, tzinfo=AMS))

    moments = first(rule, 2)

    assert rule.anchor == moments[0] == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert moments[1].astimezone(AMS).time() == time(2, 30)


def test_anchor_on_the_second_pass_of_a_repeated_time_means_the_first_pass():
    second_pass = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=AMS)

    rule = Recurrence("weekly", second_pass)

    assert second_pass.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert rule.anchor == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_new_york_spring_forward_weekly_keeps_wall_time():
    rule = Recurrence("weekly", datetime(2026, 3, 1, 8, 0, tzinfo=NYC))

    before, after = first(rule, 2)

    assert before == datetime(2026, 3, 1, 13, 0, tzinfo=UTC)  # EST, UTC-5
    assert after == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # EDT, UTC-4
    assert after - before == timedelta(days=7, hours=-1)


def test_occurrences_window_is_half_open_and_starts_at_the_anchor():
    rule = Recurrence("daily", datetime(2026, 1, 5, 7, 0, tzinfo=UTC))

    window = list(
        rule.occurrences(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 8, 7, 0, tzinfo=UTC))
    )
    from_exact = list(
        rule.occurrences(datetime(2026, 1, 6, 7, 0, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC))
    )

    assert window == [datetime(2026, 1, d, 7, 0, tzinfo=UTC) for d in (5, 6, 7)]
    assert from_exact == [
        datetime(2026, 1, 6, 7, 0, tzinfo=UTC),
        datetime(2026, 1, 7, 7, 0, tzinfo=UTC),
    ]


def test_next_previous_and_first_at_or_after():
    rule = Recurrence("weekly", datetime(2026, 1, 5, 7, 0, tzinfo=UTC))
    monday = datetime(2026, 1, 12, 7, 0, tzinfo=UTC)

    assert rule.first_at_or_after(monday) == monday
    assert rule.next_after(monday) == datetime(2026, 1, 19, 7, 0, tzinfo=UTC)
    assert rule.next_after(monday - timedelta(microseconds=1)) == monday
    assert rule.previous_at_or_before(monday) == monday
    assert rule.previous_at_or_before(monday - timedelta(seconds=1)) == datetime(
        2026, 1, 5, 7, 0, tzinfo=UTC
    )
    assert rule.previous_at_or_before(datetime(2026, 1, 5, 6, 59, tzinfo=UTC)) is None
    assert rule.first_at_or_after(datetime(2020, 1, 1, tzinfo=UTC)) == rule.anchor


def test_the_end_of_the_datetime_range_ends_the_series():
    annual = Recurrence("annual", datetime(9997, 1, 1, tzinfo=UTC))
    end_of_time = datetime.max.replace(tzinfo=UTC)

    assert list(annual.occurrences()) == [datetime(y, 1, 1, tzinfo=UTC) for y in (9997, 9998, 9999)]
    assert annual.next_after(datetime(9999, 1, 1, tzinfo=UTC)) is None
    assert annual.previous_at_or_before(end_of_time) == datetime(9999, 1, 1, tzinfo=UTC)
    assert annual.next_after(end_of_time) is None


def test_far_horizon_jumps_instead_of_walking(monkeypatch):
    calls = 0
    real = recurrence_module.wall_to_utc

    def counting(wall, tz):
        nonlocal calls
        calls += 1
        return real(wall, tz)

    monkeypatch.setattr(recurrence_module, "wall_to_utc", counting)
    daily = Recurrence("daily", datetime(2000, 1, 1, 7, 0, tzinfo=AMS))
    monthly = Recurrence("monthly", datetime(2000, 1, 31, 7, 0, tzinfo=AMS))

    week = list(
        daily.occurrences(datetime(2090, 3, 1, tzinfo=UTC), datetime(2090, 3, 8, tzinfo=UTC))
    )
    months = list(
        monthly.occurrences(datetime(2090, 1, 1, tzinfo=UTC), datetime(2091, 1, 1, tzinfo=UTC))
    )

    assert len(week) == 7
    assert len(months) == 12
    # 90 years of days walked one by one would take ~33,000 resolutions.
    assert calls < 60


def test_cron_weekly_in_local_time_across_dst():
    rule = Recurrence(None, datetime(2026, 3, 20, tzinfo=AMS), cron="0 7 * * MON")

    moments = first(rule, 3)

    assert local(moments) == [datetime(2026, 3, d, 7, 0) for d in (23, 30)] + [
        datetime(2026, 4, 6, 7, 0)
    ]
    assert moments[0].hour == 6
    assert moments[1].hour == 5


def test_cron_starts_at_the_first_tick_at_or_after_the_anchor():
    on_tick = Recurrence(None, datetime(2026, 3, 23, 7, 0, tzinfo=AMS), cron="0 7 * * MON")
    between = Recurrence(None, datetime(2026, 3, 23, 7, 1, tzinfo=AMS), cron="0 7 * * MON")

    assert first(on_tick, 1) == [datetime(2026, 3, 23, 6, 0, tzinfo=UTC)]
    assert first(between, 1) == [datetime(2026, 3, 30, 5, 0, tzinfo=UTC)]
    assert between.previous_at_or_before(datetime(2026, 3, 29, tzinfo=UTC)) is None


def test_cron_fixed_time_in_the_gap_and_the_fold():
    rule = Recurrence(None, datetime(2026, 3, 28, tzinfo=AMS), cron="30 2 * * *")
    autumn = Recurrence(None, datetime(2026, 10, 24, tzinfo=AMS), cron="30 2 * * *")

    spring = first(rule, 3)
    fall = first(autumn, 3)

    assert spring[1] == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST, end of the gap
    assert fall[1] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # first pass only
    assert fall[2] == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)


def test_cron_every_half_hour_follows_real_time_through_the_fold():
    rule = Recurrence(None, datetime(2026, 10, 25, 1, 0, tzinfo=AMS), cron="*/30 * * * *")

    moments = list(rule.occurrences(end=datetime(2026, 10, 25, 2, 0, tzinfo=UTC)))

    assert moments == [
        datetime(2026, 10, 24, 23, 0, tzinfo=UTC) + timedelta(minutes=30 * i) for i in range(6)
    ]
    # 02:00 and 02:30 local occur twice, once in each offset.
    assert [m.astimezone(AMS).strftime("%H:%M%z") for m in moments[2:]] == [
        "02:00+0200",
        "02:30+0200",
        "02:00+0100",
        "02:30+0100",
    ]


def test_cron_previous_inside_the_repeated_hour():
    daily = Recurrence(None, datetime(2026, 10, 1, tzinfo=AMS), cron="30 2 * * *")
    second_pass = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 02:15 CET

    # The 02:30 run happened in the first pass (00:30 UTC), before 02:15 CET.
    assert daily.previous_at_or_before(second_pass) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert daily.next_after(second_pass) == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)


def test_cron_with_month_end_and_leap_day():
    last_day = Recurrence(None, datetime(2024, 1, 1, tzinfo=UTC), cron="0 6 L * *")
    leap_day = Recurrence(None, datetime(2024, 1, 1, tzinfo=UTC), cron="0 6 29 2 *")

    assert [m.date() for m in first(last_day, 3)] == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
    ]
    assert [m.date() for m in first(leap_day, 2)] == [date(2024, 2, 29), date(2028, 2, 29)]


def test_cron_keeps_frequency_as_information():
    rule = Recurrence("weekly", datetime(2026, 1, 1, tzinfo=UTC), cron="0  7 * * 1")

    assert rule.cron == "0 7 * * 1"
    assert rule.frequency is Frequency.WEEKLY
    assert first(rule, 1) == [datetime(2026, 1, 5, 7, 0, tzinfo=UTC)]


def test_recurrence_is_immutable_and_hashable():
    rule = Recurrence("monthly", datetime(2026, 1, 31, 7, 0, tzinfo=AMS))
    same = Recurrence(
        Frequency.MONTHLY, datetime(2026, 1, 31, 6, 0, tzinfo=UTC), timezone="Europe/Amsterdam"
    )

    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.interval = 2

    assert rule == same
    assert len({rule, same}) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frequency": "hourly"}, "unknown frequency 'hourly'"),
        ({"frequency": None}, "needs a frequency or a cron"),
        ({"interval": 0}, "at least 1"),
        ({"interval": -3}, "at least 1"),
        ({"interval": 1.5}, "whole number"),
        ({"interval": True}, "whole number"),
        ({"interval": MAX_PERIOD_DAYS + 1}, "too large"),
        ({"frequency": "weekly", "interval": 6000}, "too large"),
        ({"frequency": "annual", "interval": 101}, "too large"),
        ({"anchor": datetime(2026, 1, 1, 7, 0)}, "timezone-aware"),
        ({"anchor": date(2026, 1, 1)}, "timezone-aware datetime"),
        (
            {"anchor": datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))},
            "give the timezone",
        ),
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
        ({"cron": "61 * * * *"}, "invalid cron"),
        ({"cron": "0 7 * *"}, "expected 5 fields"),
        ({"cron": "0 0 7 * * *"}, "expected 5 fields"),
        ({"cron": "0 0 31 2 *"}, "invalid cron"),
        ({"cron": "0 7 * * MON", "interval": 2}, "interval does not apply"),
    ],
)
def test_bad_input_is_refused_clearly(kwargs, message):
    arguments = {"frequency": "daily", "anchor": datetime(2026, 1, 1, 7, 0, tzinfo=UTC), **kwargs}

    with pytest.raises(ValueError, match=message):
        Recurrence(**arguments)


def test_naive_query_moments_are_refused():
    rule = Recurrence("daily", datetime(2026, 1, 1, tzinfo=UTC))

    with pytest.raises(ValueError, match="timezone-aware"):
        rule.next_after(datetime(2026, 1, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        list(rule.occurrences(datetime(2026, 1, 2), None))
