"""Property tests: invariants of recurrences and calendars over random rules and zones."""

from datetime import UTC, datetime, time, timedelta
from itertools import islice, pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from maintenance.scheduling import Frequency, Recurrence, WorkingCalendar, WorkingInterval, forecast

# Zones with the awkward cases: half-hour DST (Lord Howe), DST changes at midnight
# (Havana, Santiago), a skipped day (Apia), southern-hemisphere DST (Sydney).
ZONES = [
    "UTC",
    "Europe/Amsterdam",
    "America/New_York",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "America/Havana",
    "America/Santiago",
    "Pacific/Apia",
]

# No deadline: a slow CI machine must not turn a correct example into a failure.
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)

zones = st.sampled_from(ZONES).map(ZoneInfo)
moments = st.datetimes(
    min_value=datetime(2005, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)
anchors = st.datetimes(
    min_value=datetime(2005, 1, 1), max_value=datetime(2035, 1, 1), timezones=zones
)
# Quarter-hour marks with a common shift: any minute of the day, and stretches of at
# least 15 minutes, so 30 days of working time fit well inside MAX_ADD_SPAN.
quarter_marks = st.integers(min_value=0, max_value=95)


@st.composite
def rules(draw):
    anchor = draw(anchors)
    frequency = draw(st.sampled_from(list(Frequency)))
    interval = draw(st.integers(min_value=1, max_value=14))
    return Recurrence(frequency, anchor, interval=interval, timezone=anchor.tzinfo.key)


@st.composite
def calendars(draw):
    shift = draw(st.integers(min_value=0, max_value=14))
    marks = sorted(
        mark * 15 + shift for mark in draw(st.sets(quarter_marks, min_size=2, max_size=6))
    )
    if len(marks) % 2:
        marks = marks[:-1]
    as_times = [time(mark // 60, mark % 60) for mark in marks]
    if draw(st.booleans()):
        # Rotate so that the last stretch runs past midnight into the first mark.
        as_times = [*as_times[1:], as_times[0]]
    hours = [WorkingInterval(as_times[i], as_times[i + 1]) for i in range(0, len(as_times), 2)]
    days = draw(st.sets(st.integers(min_value=0, max_value=6), min_size=1))
    holidays = draw(
        st.sets(
            st.dates(min_value=datetime(2005, 1, 1).date(), max_value=datetime(2040, 1, 1).date()),
            max_size=30,
        )
    )
    return WorkingCalendar(
        timezone=draw(st.sampled_from(ZONES)),
        working_days=frozenset(days),
        working_hours=tuple(hours),
        holidays=frozenset(holidays),
    )


@PROPERTY_SETTINGS
@given(
    rule=rules(), offset=st.integers(min_value=-30, max_value=400), seconds=st.integers(0, 86_399)
)
def test_occurrences_increase_strictly_and_a_jump_matches_the_walk(rule, offset, seconds):
    start = rule.anchor + timedelta(days=offset, seconds=seconds)

    walked = list(islice(rule.occurrences(), 450))
    jumped = list(islice(rule.occurrences(start), 5))

    assert all(a < b for a, b in pairwise(walked))
    assert walked[0] == rule.first_at_or_after(rule.anchor)
    assert jumped == [moment for moment in walked if moment >= start][:5]
    for moment, following in pairwise(jumped):
        assert rule.previous_at_or_before(moment) == moment
        assert rule.previous_at_or_before(following - timedelta(microseconds=1)) == moment
        assert rule.next_after(moment) == following


@PROPERTY_SETTINGS
@given(
    anchor=anchors,
    frequency=st.sampled_from(list(Frequency)),
    interval=st.integers(min_value=1, max_value=14),
)
def test_wall_clock_time_is_kept_unless_it_does_not_exist(anchor, frequency, interval):
    rule = Recurrence(frequency, anchor, interval=interval)
    wanted = anchor.time()

    for moment in islice(rule.occurrences(), 40):
        local = moment.astimezone(rule.tz)
        if local.time() != wanted:
            # Only a spring-forward gap may move it, to the gap's end: the clock
            # jumped forward exactly at this moment.
            before = (moment - timedelta(microseconds=1)).astimezone(rule.tz)
            assert before.utcoffset() < local.utcoffset()


@PROPERTY_SETTINGS
@given(
    zone=st.sampled_from(ZONES),
    expression=st.sampled_from(
        ["*/20 * * * *", "30 2 * * *", "0 1,2,3 * * 0", "15 0 L * *", "0 7 * * MON#2"]
    ),
    anchor=moments,
)
def test_cron_occurrences_increase_strictly(zone, expression, anchor):
    rule = Recurrence(None, anchor, cron=expression, timezone=zone)

    ticks = list(islice(rule.occurrences(), 80))

    assert ticks
    assert ticks[0] >= anchor
    assert all(a < b for a, b in pairwise(ticks))
    assert rule.previous_at_or_before(ticks[-1]) == ticks[-1]
    assert rule.next_after(ticks[-2]) == ticks[-1]


@PROPERTY_SETTINGS
@given(calendar=calendars(), moment=moments)
def test_next_working_slot_is_idempotent_and_never_earlier(calendar, moment):
    slot = calendar.next_working_slot(moment)

    assert slot >= moment
    assert calendar.next_working_slot(slot) == slot
    assert calendar.is_working_time(slot)
    assert calendar.working_time_between(moment, slot) == timedelta(0)


@PROPERTY_SETTINGS
@given(
    calendar=calendars(), start=moments, minutes=st.integers(min_value=1, max_value=60 * 24 * 30)
)
def test_add_working_time_is_the_inverse_of_working_time_between(calendar, start, minutes):
    amount = timedelta(minutes=minutes)

    end = calendar.add_working_time(start, amount)

    assert calendar.working_time_between(start, end) == amount
    assert calendar.working_time_between(start, end - timedelta(microseconds=1)) < amount
    assert calendar.is_working_time(end - timedelta(microseconds=1))


@PROPERTY_SETTINGS
@given(rule=rules(), calendar=calendars())
def test_forecast_due_moments_are_working_and_ordered(rule, calendar):
    result = forecast(
        rule, "fixed", calendar=calendar, until=rule.anchor + timedelta(days=400), limit=30
    )

    assert all(o.due >= o.nominal and calendar.is_working_time(o.due) for o in result)
    assert all(a.nominal < b.nominal and a.due <= b.due for a, b in pairwise(result))
