"""Working calendars: working time, next working slot, working-time arithmetic, DST."""

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from maintenance.scheduling import (
    MAX_SEARCH_DAYS,
    TWENTY_FOUR_SEVEN,
    WorkingCalendar,
    WorkingInterval,
    wall_to_utc,
)
from maintenance.scheduling import calendars as calendars_module

AMS = ZoneInfo("Europe/Amsterdam")
NYC = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)

# Monday to Friday, 08:00-12:00 and 13:00-17:00 in Amsterdam; 2026-04-06 (Easter
# Monday) is a holiday.
SPLIT = WorkingCalendar(
    timezone="Europe/Amsterdam",
    working_hours=(WorkingInterval(time(8), time(12)), WorkingInterval(time(13), time(17))),
    holidays=frozenset({date(2026, 4, 6)}),
)
OFFICE = WorkingCalendar(timezone="Europe/Amsterdam")  # 09:00-17:00 Monday to Friday
NIGHTS = WorkingCalendar.from_config(timezone="Europe/Amsterdam", working_hours=["22:00-06:00"])


def ams(*args):
    return datetime(*args, tzinfo=AMS)


def nyc(*args):
    return datetime(*args, tzinfo=NYC)


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (ams(2026, 3, 11, 8, 0), True),  # opening time is inside
        (ams(2026, 3, 11, 11, 59, 59), True),
        (ams(2026, 3, 11, 12, 0), False),  # closing time is outside
        (ams(2026, 3, 11, 12, 30), False),  # lunch
        (ams(2026, 3, 11, 16, 0), True),
        (ams(2026, 3, 11, 7, 59), False),
        (ams(2026, 3, 14, 10, 0), False),  # Saturday
        (ams(2026, 4, 6, 10, 0), False),  # holiday
        (ams(2026, 4, 7, 10, 0), True),
    ],
)
def test_is_working_time(moment, working):
    assert SPLIT.is_working_time(moment) is working


@pytest.mark.parametrize(
    ("moment", "slot"),
    [
        (ams(2026, 3, 11, 9, 15), ams(2026, 3, 11, 9, 15)),  # inside: itself
        (ams(2026, 3, 11, 6, 0), ams(2026, 3, 11, 8, 0)),  # before opening
        (ams(2026, 3, 11, 12, 30), ams(2026, 3, 11, 13, 0)),  # between intervals: afternoon
        (ams(2026, 3, 13, 17, 0), ams(2026, 3, 16, 8, 0)),  # Friday closing -> Monday
        (ams(2026, 3, 14, 10, 0), ams(2026, 3, 16, 8, 0)),  # weekend -> Monday's first interval
        (ams(2026, 4, 3, 18, 0), ams(2026, 4, 7, 8, 0)),  # weekend + Easter Monday -> Tuesday
    ],
)
def test_next_working_slot(moment, slot):
    result = SPLIT.next_working_slot(moment)

    assert result == slot
    assert result.tzinfo is UTC


def test_next_working_slot_across_dst_keeps_local_opening_time():
    before = OFFICE.next_working_slot(ams(2026, 3, 28, 12, 0))  # Saturday before spring-forward
    after = OFFICE.next_working_slot(ams(2026, 10, 24, 12, 0))  # Saturday before fall-back

    assert before == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert after == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # 09:00 CET


def test_interval_starting_in_the_gap_starts_when_the_gap_ends():
    early = WorkingCalendar(
        timezone="Europe/Amsterdam",
        working_days=frozenset(range(7)),
        working_hours=("02:00-06:00",),
    )

    slot = early.next_working_slot(ams(2026, 3, 28, 23, 0))

    assert slot == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert early.working_time_between(ams(2026, 3, 29, 0, 0), ams(2026, 3, 30, 0, 0)) == 3 * HOUR
    assert early.working_time_between(ams(2026, 3, 30, 0, 0), ams(2026, 3, 31, 0, 0)) == 4 * HOUR


def test_interval_in_the_repeated_hour_starts_at_the_first_pass():
    early = WorkingCalendar(
        timezone="Europe/Amsterdam",
        working_days=frozenset(range(7)),
        working_hours=("02:30-04:00",),
    )
    second_pass = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 02:15 CET, after the first 02:30

    assert early.next_working_slot(ams(2026, 10, 25, 0, 0)) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    assert early.is_working_time(second_pass)
    assert (
        early.working_time_between(ams(2026, 10, 25, 0, 0), ams(2026, 10, 26, 0, 0)) == 2.5 * HOUR
    )


def test_new_york_dst_weekend():
    office = WorkingCalendar(timezone="America/New_York")

    assert office.next_working_slot(nyc(2026, 3, 6, 18, 0)) == datetime(
        2026, 3, 9, 13, 0, tzinfo=UTC
    )
    assert office.next_working_slot(nyc(2026, 10, 30, 18, 0)) == datetime(
        2026, 11, 2, 14, 0, tzinfo=UTC
    )
    assert office.add_working_time(nyc(2026, 3, 6, 16, 0), 8 * HOUR) == nyc(2026, 3, 9, 16, 0)


def test_overnight_shift_belongs_to_the_day_it_starts():
    assert NIGHTS.is_working_time(ams(2026, 3, 13, 23, 0))  # Friday night
    assert NIGHTS.is_working_time(ams(2026, 3, 14, 5, 0))  # Saturday morning, Friday's shift
    assert not NIGHTS.is_working_time(ams(2026, 3, 14, 23, 0))  # Saturday night: no shift
    assert not NIGHTS.is_working_time(ams(2026, 3, 16, 3, 0))  # no Sunday-night shift
    assert NIGHTS.next_working_slot(ams(2026, 3, 16, 3, 0)) == ams(2026, 3, 16, 22, 0)
    assert NIGHTS.working_time_between(ams(2026, 3, 9, 0, 0), ams(2026, 3, 16, 0, 0)) == 40 * HOUR


def test_holiday_cancels_the_shift_starting_that_evening_only():
    nights = dataclasses.replace(NIGHTS, holidays=frozenset({date(2026, 3, 11)}))

    assert nights.is_working_time(ams(2026, 3, 11, 5, 0))  # Tuesday's shift runs on
    assert not nights.is_working_time(ams(2026, 3, 11, 23, 0))
    assert nights.next_working_slot(ams(2026, 3, 11, 7, 0)) == ams(2026, 3, 12, 22, 0)


def test_overnight_shift_across_dst_nights():
    every_night = dataclasses.replace(NIGHTS, working_days=frozenset(range(7)))

    def night(day):
        return every_night.working_time_between(
            ams(*day, 12, 0), ams(*day, 12, 0) + timedelta(days=1)
        )

    assert night((2026, 3, 28)) == 7 * HOUR
    assert night((2026, 10, 24)) == 9 * HOUR
    assert night((2026, 6, 6)) == 8 * HOUR


def test_eight_hours_from_friday_afternoon_is_monday_afternoon():
    start = datetime(2026, 3, 13, 16, 0, tzinfo=UTC)
    utc_office = WorkingCalendar()

    assert utc_office.add_working_time(start, 8 * HOUR) == datetime(2026, 3, 16, 16, 0, tzinfo=UTC)
    assert (
        utc_office.working_time_between(start, datetime(2026, 3, 16, 16, 0, tzinfo=UTC)) == 8 * HOUR
    )


def test_a_full_day_ends_at_closing_time_not_next_morning():
    assert OFFICE.add_working_time(ams(2026, 3, 9, 9, 0), 8 * HOUR) == ams(2026, 3, 9, 17, 0)
    assert OFFICE.add_working_time(ams(2026, 3, 9, 9, 0), 8 * HOUR + timedelta(minutes=1)) == ams(
        2026, 3, 10, 9, 1
    )


def test_working_time_across_a_holiday():
    office = dataclasses.replace(OFFICE, holidays=frozenset({date(2026, 4, 6)}))

    assert office.add_working_time(ams(2026, 4, 3, 16, 0), 8 * HOUR) == ams(2026, 4, 7, 16, 0)
    assert office.working_time_between(ams(2026, 4, 3, 0, 0), ams(2026, 4, 8, 0, 0)) == 16 * HOUR


def test_working_time_across_a_dst_weekend():
    start, end = ams(2026, 3, 27, 16, 0), ams(2026, 3, 30, 16, 0)

    assert OFFICE.add_working_time(start, 8 * HOUR) == end
    assert OFFICE.working_time_between(start, end) == 8 * HOUR
    # The clock lost an hour over the weekend (subtract in UTC: same-zone maths is wall-clock).
    assert end.astimezone(UTC) - start == 71 * HOUR
    assert OFFICE.add_working_time(ams(2026, 10, 23, 16, 0), 8 * HOUR) == ams(2026, 10, 26, 16, 0)


def test_counting_starts_at_the_next_working_slot():
    assert OFFICE.add_working_time(ams(2026, 3, 14, 10, 0), HOUR) == ams(2026, 3, 16, 10, 0)
    assert OFFICE.add_working_time(ams(2026, 3, 14, 10, 0), timedelta(0)) == ams(2026, 3, 14, 10, 0)


def test_working_time_between_is_antisymmetric_and_zero_outside_hours():
    start, end = ams(2026, 3, 9, 10, 0), ams(2026, 3, 10, 10, 0)

    assert OFFICE.working_time_between(start, end) == 8 * HOUR
    assert OFFICE.working_time_between(end, start) == -8 * HOUR
    assert OFFICE.working_time_between(ams(2026, 3, 14, 0, 0), ams(2026, 3, 16, 0, 0)) == timedelta(
        0
    )


def test_a_year_of_working_time_is_counted_per_day_not_per_minute(monkeypatch):
    calls = 0
    real = calendars_module.wall_to_utc

    def counting(wall, tz):
        nonlocal calls
        calls += 1
        return real(wall, tz)

    monkeypatch.setattr(calendars_module, "wall_to_utc", counting)
    office = dataclasses.replace(SPLIT, holidays=frozenset({date(2026, 1, 1), date(2026, 12, 25)}))

    total = office.working_time_between(ams(2026, 1, 1, 0, 0), ams(2027, 1, 1, 0, 0))
    due = office.add_working_time(ams(2026, 1, 1, 0, 0), total)

    assert total == (261 - 2) * 8 * HOUR
    assert due == ams(2026, 12, 31, 17, 0)
    assert calls < 4 * 2 * 2 * 366  # two stretches, two ends, two passes over the year


def test_twenty_four_seven():
    start = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)

    assert TWENTY_FOUR_SEVEN.always_working
    assert TWENTY_FOUR_SEVEN.is_working_time(start)
    assert TWENTY_FOUR_SEVEN.next_working_slot(start) == start
    assert TWENTY_FOUR_SEVEN.add_working_time(start, 30 * HOUR) == start + 30 * HOUR
    assert TWENTY_FOUR_SEVEN.working_time_between(start, start + 365 * 24 * HOUR) == 365 * 24 * HOUR


def test_round_the_clock_in_a_dst_zone_counts_real_time():
    local_24x7 = WorkingCalendar.from_config(
        timezone="Europe/Amsterdam", working_days=range(7), working_hours=["00:00-24:00"]
    )
    office_24x5 = dataclasses.replace(local_24x7, working_days=frozenset(range(5)))

    weekend = (ams(2026, 3, 28, 0, 0), ams(2026, 3, 30, 0, 0))

    assert local_24x7.always_working
    assert local_24x7.working_time_between(*weekend) == 47 * HOUR
    assert (
        office_24x5.working_time_between(ams(2026, 3, 27, 0, 0), ams(2026, 3, 31, 0, 0))
        == 48 * HOUR
    )
    assert office_24x5.next_working_slot(ams(2026, 3, 28, 12, 0)) == ams(2026, 3, 30, 0, 0)


def test_from_config_parses_stored_values():
    parsed = WorkingCalendar.from_config(
        timezone="Europe/Amsterdam",
        working_days=["0", 1, 2, 3, 4],
        working_hours=["13:00-17:00", {"start": "08:00", "end": "12:00"}],
        holidays=["2026-04-06"],
    )

    assert parsed == SPLIT
    assert [str(interval) for interval in parsed.working_hours] == ["08:00-12:00", "13:00-17:00"]


def test_to_config_round_trips():
    night_and_day = WorkingCalendar.from_config(
        timezone="America/New_York",
        working_days=[5, 6],
        working_hours=["07:30:15-12:00", "22:00-06:00"],
        holidays=["2026-12-26", "2026-07-04"],
    )

    config = night_and_day.to_config()

    assert config == {
        "timezone": "America/New_York",
        "working_days": [5, 6],
        "working_hours": ["07:30:15-12:00", "22:00-06:00"],
        "holidays": ["2026-07-04", "2026-12-26"],
    }
    assert WorkingCalendar.from_config(**config) == night_and_day


def test_calendar_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        OFFICE.timezone = "UTC"
    assert hash(OFFICE) == hash(WorkingCalendar(timezone="Europe/Amsterdam"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"working_days": frozenset()}, "at least one working day"),
        ({"working_days": []}, "at least one working day"),
        ({"working_days": [7]}, "invalid working day 7"),
        ({"working_days": [True]}, "invalid working day"),
        ({"working_days": "01234"}, "not a string"),
        ({"working_days": [[0, 1]]}, "collection of weekday numbers"),
        ({"holidays": [["2026-01-01"]]}, "collection of dates"),
        ({"working_days": ["mon"]}, "invalid working day 'mon'"),
        ({"working_hours": [(time(8, 0, 0, 500), time(12))]}, "to the second"),
        ({"working_hours": ()}, "at least one working-hours interval"),
        ({"working_hours": ["08:00-12:00", "11:00-14:00"]}, "overlap"),
        ({"working_hours": ["08:00-12:00", "08:00-10:00"]}, "overlap"),
        ({"working_hours": ["22:00-09:00", "08:00-12:00"]}, "overlap across midnight"),
        ({"working_hours": ["25:00-26:00"]}, "invalid time of day"),
        ({"working_hours": ["8am-5pm"]}, "invalid working hours"),
        ({"working_hours": [(time(8), 17)]}, "naive times of day"),
        ({"holidays": [datetime(2026, 1, 1, tzinfo=UTC)]}, "invalid holiday"),
        ({"holidays": ["2026-13-01"]}, "invalid holiday"),
        ({"timezone": "Europe/Atlantis"}, "unknown timezone"),
        ({"timezone": ""}, "IANA zone name"),
    ],
)
def test_bad_calendars_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WorkingCalendar.from_config(**kwargs)


def test_calendar_without_working_days_is_refused_by_the_constructor_too():
    with pytest.raises(ValueError, match="at least one working day"):
        WorkingCalendar(working_days=frozenset())


def test_holidays_covering_years_stop_the_search_with_an_error():
    start = date(2026, 1, 1)
    holidays = frozenset(start + timedelta(days=i) for i in range(MAX_SEARCH_DAYS + 10))
    closed = WorkingCalendar(holidays=holidays)

    with pytest.raises(ValueError, match="no working time"):
        closed.next_working_slot(datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="no working time"):
        closed.add_working_time(datetime(2026, 1, 1, tzinfo=UTC), HOUR)
    assert closed.working_time_between(
        datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    ) == timedelta(0)


def test_an_amount_a_calendar_needs_a_century_for_is_refused():
    sparse = WorkingCalendar.from_config(working_days=[0], working_hours=["12:00-12:15"])

    assert sparse.add_working_time(datetime(2026, 1, 1, tzinfo=UTC), HOUR) == datetime(
        2026, 1, 26, 12, 15, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="more than 36525 days"):
        sparse.add_working_time(datetime(2026, 1, 1, tzinfo=UTC), timedelta(days=60))


def test_bad_moments_and_amounts_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        OFFICE.next_working_slot(datetime(2026, 3, 9, 10, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        OFFICE.working_time_between(datetime(2026, 3, 9, 10, 0), ams(2026, 3, 9, 11, 0))
    with pytest.raises(ValueError, match="must not be negative"):
        OFFICE.add_working_time(ams(2026, 3, 9, 10, 0), -HOUR)
    with pytest.raises(ValueError, match="timedelta"):
        OFFICE.add_working_time(ams(2026, 3, 9, 10, 0), 3600)


@pytest.mark.parametrize(
    ("wall", "tz", "expected"),
    [
        (datetime(2026, 3, 29, 2, 30), AMS, datetime(2026, 3, 29, 1, 0)),  # gap -> 03:00 CEST
        (datetime(2026, 3, 29, 2, 0), AMS, datetime(2026, 3, 29, 1, 0)),
        (datetime(2026, 3, 29, 3, 0), AMS, datetime(2026, 3, 29, 1, 0)),
        (datetime(2026, 10, 25, 2, 30), AMS, datetime(2026, 10, 25, 0, 30)),  # fold -> first pass
        (datetime(2026, 3, 8, 2, 30), NYC, datetime(2026, 3, 8, 7, 0)),
        (datetime(2026, 11, 1, 1, 30), NYC, datetime(2026, 11, 1, 5, 30)),
        (datetime(2026, 7, 1, 12, 0), AMS, datetime(2026, 7, 1, 10, 0)),
        # Samoa skipped 2011-12-30 entirely: any time that day means the next midnight.
        (datetime(2011, 12, 30, 12, 0), ZoneInfo("Pacific/Apia"), datetime(2011, 12, 30, 10, 0)),
    ],
)
def test_wall_to_utc(wall, tz, expected):
    assert wall_to_utc(wall, tz) == expected.replace(tzinfo=UTC)
