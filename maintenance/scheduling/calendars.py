"""Working calendars: when work can happen, in a site's own timezone.

A calendar answers three questions for the planner and the SLA clock: is this
moment working time, when is the next working moment, and how much working time
lies between two moments (or when will a given amount have elapsed).

Every moment taken is a timezone-aware ``datetime``; every moment returned is
in UTC, because Python compares two datetimes of the *same* zone by their wall
clock and ignores ``fold``, which orders the repeated hour of a DST fall-back
wrongly. Convert to the calendar's zone for display with ``.astimezone()``.

Local wall-clock times are turned into instants by one rule, used everywhere in
this package (see :func:`wall_to_utc`): *a wall-clock time means the first
instant at which the local clock shows that time or later*. So a time skipped
by a spring-forward change (02:30 in Amsterdam on 2026-03-29) means the end of
the gap (03:00 CEST), and a time repeated by a fall-back change (02:30 on
2026-10-25) means its first pass (02:30 CEST, UTC+2).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "MAX_ADD_SPAN",
    "MAX_SEARCH_DAYS",
    "TWENTY_FOUR_SEVEN",
    "WorkingCalendar",
    "WorkingInterval",
    "ensure_aware",
    "load_timezone",
    "wall_to_utc",
]

# add_working_time refuses to look further ahead than this: an SLA or lead time
# that takes a calendar a century to satisfy is an input error, and the per-day
# walk to the year 9999 would cost seconds of CPU.
MAX_ADD_SPAN = timedelta(days=36_525)

# How many consecutive days without any working time a search may cross before it
# gives up. A holiday list can be long, but five years without a single working
# slot is a misconfigured calendar, and looping until year 9999 would hang a worker.
MAX_SEARCH_DAYS = 5 * 366

_DAY = timedelta(days=1)
_HOURS_RE = re.compile(r"^\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*-\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*$")


def load_timezone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name``, or raise ``ValueError`` with a readable message."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(
            f"timezone must be an IANA zone name such as 'Europe/Amsterdam', not {name!r}"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}: expected an IANA zone name") from exc


def ensure_aware(moment: datetime, what: str = "moment") -> datetime:
    """Return ``moment`` in UTC; refuse naive datetimes (and dates) with ``ValueError``."""
    if not isinstance(moment, datetime):
        raise ValueError(f"{what} must be a timezone-aware datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def wall_to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the clock in ``tz`` shows ``wall`` or later.

    ``wall`` is a naive local wall-clock time. An existing time maps to itself; an
    ambiguous one (fall-back) to its first pass; a skipped one (spring-forward) to
    the end of the gap, which is also what cron does with jobs in the skipped hour.
    """
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None, fold=0) == wall.replace(fold=0):
        return first
    # In a gap: fold=1 reads the wall time with the offset after the change, which
    # gives an instant before the change; fold=0 gives one after it. The change
    # itself (tzdata transitions fall on whole seconds) lies between: bisect for it.
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    low_at, high_at = sorted((first, second))
    low = math.floor(low_at.timestamp())
    high = math.ceil(high_at.timestamp())
    offset_before = datetime.fromtimestamp(low, UTC).astimezone(tz).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(tz).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def _parse_time(text: str, *, end: bool) -> time:
    parts = text.strip().split(":")
    if len(parts) not in {2, 3} or not all(part.isdigit() and len(part) <= 2 for part in parts):
        raise ValueError(f"invalid time of day {text!r}: expected HH:MM")
    hour, minute, second = (int(part) for part in [*parts, "0"][:3])
    # "24:00" is how people write the end of a stretch that runs to midnight.
    if end and (hour, minute, second) == (24, 0, 0):
        return time(0)
    try:
        return time(hour, minute, second)
    except ValueError as exc:
        raise ValueError(f"invalid time of day {text!r}: expected HH:MM") from exc


def _format_time(moment: time) -> str:
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")


def _offset(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


class WorkingInterval(NamedTuple):
    """One daily stretch of working time, in local wall-clock time.

    ``end <= start`` means the stretch runs past midnight (a night shift such as
    22:00-06:00) and ``start == end`` a full 24 hours. A stretch belongs to the day
    it *starts* on: that day decides whether it is a working day or a holiday.
    """

    start: time
    end: time

    @property
    def overnight(self) -> bool:
        """Whether the stretch ends on the next calendar day."""
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{_format_time(self.start)}-{_format_time(self.end)}"


def _coerce_interval(value: object) -> WorkingInterval:
    if isinstance(value, str):
        match = _HOURS_RE.match(value)
        if not match:
            raise ValueError(f"invalid working hours {value!r}: expected 'HH:MM-HH:MM'")
        return WorkingInterval(_parse_time(match[1], end=False), _parse_time(match[2], end=True))
    if isinstance(value, dict):
        if set(value) != {"start", "end"}:
            raise ValueError(f"invalid working hours {value!r}: expected keys 'start' and 'end'")
        value = (value["start"], value["end"])
    if isinstance(value, tuple | list) and len(value) == 2:
        start, end = value
        if isinstance(start, str):
            start = _parse_time(start, end=False)
        if isinstance(end, str):
            end = _parse_time(end, end=True)
        return WorkingInterval(start, end)
    raise ValueError(f"invalid working hours {value!r}: expected 'HH:MM-HH:MM' or (start, end)")


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """When work happens: working weekdays and hours in a timezone, minus holidays.

    ``working_days`` are weekday numbers (Monday=0 ... Sunday=6); ``working_hours``
    one or more :class:`WorkingInterval` per working day, which may not overlap
    (a night shift may not run into the next day's first stretch); ``holidays``
    local dates without any working time (a night shift that starts the evening
    before a holiday still runs). Use :meth:`from_config` for loosely typed input
    (strings such as ``"08:00-12:00"`` and ISO dates).
    """

    timezone: str = "UTC"
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    working_hours: tuple[WorkingInterval, ...] = (WorkingInterval(time(9), time(17)),)
    holidays: frozenset[date] = frozenset()
    _tz: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    # (start, end) offsets from local midnight, end past 24h for night shifts.
    _offsets: tuple[tuple[timedelta, timedelta], ...] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _always: bool = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        tz = load_timezone(self.timezone)
        days = self._validated_days(self.working_days)
        hours = self._validated_hours(self.working_hours)
        holidays = self._validated_holidays(self.holidays)
        offsets = []
        for interval in hours:
            start = _offset(interval.start)
            end = _offset(interval.end) + (_DAY if interval.overnight else timedelta(0))
            offsets.append((start, end))
        for (_, previous_end), (next_start, _) in pairwise(offsets):
            if previous_end > next_start:
                raise ValueError(f"working hours overlap: {', '.join(map(str, hours))}")
        if offsets[-1][1] > offsets[0][0] + _DAY:
            raise ValueError(
                f"working hours overlap across midnight: {hours[-1]} runs into {hours[0]}"
            )
        object.__setattr__(self, "working_days", days)
        object.__setattr__(self, "working_hours", hours)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_tz", tz)
        object.__setattr__(self, "_offsets", tuple(offsets))
        always = len(days) == 7 and not holidays and len(offsets) == 1
        object.__setattr__(self, "_always", always and offsets[0][1] - offsets[0][0] == _DAY)

    @staticmethod
    def _validated_days(value: Iterable[int]) -> frozenset[int]:
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise ValueError("working_days must be a collection of weekday numbers 0-6")
        try:
            days = frozenset(value)
        except TypeError as exc:
            raise ValueError("working_days must be a collection of weekday numbers 0-6") from exc
        for day in days:
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise ValueError(f"invalid working day {day!r}: expected 0 (Monday) to 6 (Sunday)")
        if not days:
            raise ValueError("a calendar needs at least one working day")
        return days

    @staticmethod
    def _validated_hours(value: Iterable[WorkingInterval]) -> tuple[WorkingInterval, ...]:
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise ValueError("working_hours must be a collection of (start, end) intervals")
        hours = []
        for item in value:
            interval = _coerce_interval(item)
            for moment in interval:
                if not isinstance(moment, time) or moment.tzinfo is not None:
                    raise ValueError(f"working hours take naive times of day, not {moment!r}")
                if moment.microsecond:
                    raise ValueError(f"working hours are given to the second, not {moment!r}")
            hours.append(interval)
        if not hours:
            raise ValueError("a calendar needs at least one working-hours interval")
        return tuple(sorted(hours))

    @staticmethod
    def _validated_holidays(value: Iterable[date]) -> frozenset[date]:
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise ValueError("holidays must be a collection of dates")
        try:
            holidays = frozenset(value)
        except TypeError as exc:
            raise ValueError("holidays must be a collection of dates") from exc
        for day in holidays:
            # datetime is a subclass of date; a holiday is a whole local day.
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"invalid holiday {day!r}: expected a date")
        return holidays

    @classmethod
    def from_config(
        cls,
        *,
        timezone: str = "UTC",
        working_days: Iterable[int | str] = (0, 1, 2, 3, 4),
        working_hours: Iterable[object] = ("09:00-17:00",),
        holidays: Iterable[date | str] = (),
    ) -> WorkingCalendar:
        """Build a calendar from stored or submitted values.

        Accepts working hours as ``"08:00-12:00"`` strings (``"24:00"`` as an end
        means midnight), ``("08:00", "12:00")`` pairs or ``{"start", "end"}``
        mappings, weekdays as ints or digit strings, holidays as dates or ISO dates.
        """
        if isinstance(working_days, str | bytes):
            raise ValueError("working_days must be a list of weekday numbers 0-6, not a string")
        days: list[int] = []
        for day in working_days:
            if isinstance(day, str):
                if not day.strip().isdigit():
                    raise ValueError(
                        f"invalid working day {day!r}: expected 0 (Monday) to 6 (Sunday)"
                    )
                day = int(day)
            days.append(day)
        parsed_holidays: list[date] = []
        for holiday in holidays:
            if isinstance(holiday, str):
                try:
                    holiday = date.fromisoformat(holiday.strip())
                except ValueError as exc:
                    raise ValueError(f"invalid holiday {holiday!r}: expected YYYY-MM-DD") from exc
            parsed_holidays.append(holiday)
        if isinstance(working_hours, str):
            working_hours = [working_hours]
        return cls(
            timezone=timezone,
            working_days=cls._validated_days(days),
            working_hours=tuple(_coerce_interval(item) for item in working_hours),
            holidays=cls._validated_holidays(parsed_holidays),
        )

    def to_config(self) -> dict[str, object]:
        """The calendar as JSON-ready values that :meth:`from_config` reads back."""
        return {
            "timezone": self.timezone,
            "working_days": sorted(self.working_days),
            "working_hours": [str(interval) for interval in self.working_hours],
            "holidays": [holiday.isoformat() for holiday in sorted(self.holidays)],
        }

    @property
    def tz(self) -> ZoneInfo:
        """The calendar's zone."""
        return self._tz

    @property
    def always_working(self) -> bool:
        """True for a round-the-clock calendar without holidays (24x7)."""
        return self._always

    def is_working_day(self, day: date) -> bool:
        """Whether working stretches start on the local date ``day``."""
        return day.weekday() in self.working_days and day not in self.holidays

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self._tz).date()

    def _day_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The working stretches starting on ``day``, as UTC instants; empty ones dropped."""
        return _day_intervals_cached(self, day)

    def _intervals_between_days(
        self, first: date, last: date
    ) -> Iterator[tuple[datetime, datetime]]:
        day = first
        while day <= last:
            yield from self._day_intervals(day)
            day += _DAY

    def _intervals_from(self, first: date) -> Iterator[tuple[datetime, datetime]]:
        """Working stretches from ``first`` on, in order; refuses to search forever."""
        day = first
        idle = 0
        while True:
            try:
                stretches = self._day_intervals(day)
            except OverflowError as exc:
                raise ValueError(
                    "no working time before the end of the supported date range"
                ) from exc
            if stretches:
                idle = 0
                yield from stretches
            else:
                idle += 1
                if idle > MAX_SEARCH_DAYS:
                    raise ValueError(
                        f"no working time in the {MAX_SEARCH_DAYS} days up to {day.isoformat()}: "
                        "check the calendar's holidays and working days"
                    )
            try:
                day += _DAY
            except OverflowError as exc:
                raise ValueError(
                    "no working time before the end of the supported date range"
                ) from exc

    def _search_start(self, moment: datetime) -> date:
        # A night shift that started the day before may still be running, and with
        # odd zones (a DST change at midnight) two days back is the safe margin.
        local = self._local_date(moment)
        return local - 2 * _DAY if local > date.min + 2 * _DAY else date.min

    def is_working_time(self, moment: datetime) -> bool:
        """Whether ``moment`` falls inside a working stretch (start inclusive, end exclusive)."""
        moment = ensure_aware(moment)
        if self._always:
            return True
        last = self._local_date(moment)
        for start, end in self._intervals_between_days(self._search_start(moment), last):
            if start <= moment < end:
                return True
        return False

    def next_working_slot(self, moment: datetime) -> datetime:
        """``moment`` itself (in UTC) when it is working time, else the start of the next stretch.

        Skips non-working days and holidays; raises ``ValueError`` when no working
        time exists within :data:`MAX_SEARCH_DAYS` days.
        """
        moment = ensure_aware(moment)
        if self._always:
            return moment
        for start, end in self._intervals_from(self._search_start(moment)):
            if end > moment:
                return max(start, moment)
        raise AssertionError("unreachable: _intervals_from never ends")  # pragma: no cover

    def working_intervals(
        self, start: datetime, end: datetime
    ) -> Iterator[tuple[datetime, datetime]]:
        """The working time inside ``[start, end)`` as ordered, clipped UTC stretches."""
        start = ensure_aware(start, "start")
        end = ensure_aware(end, "end")
        return self._clipped(start, end)

    def _clipped(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        if end <= start:
            return
        if self._always:
            yield start, end
            return
        last = self._local_date(end)
        for begins, ends in self._intervals_between_days(self._search_start(start), last):
            begins, ends = max(begins, start), min(ends, end)
            if begins < ends:
                yield begins, ends

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time elapsed from ``start`` to ``end`` (negative when ``end`` is earlier).

        Costs one step per calendar day in the span, so a year is cheap.
        """
        start = ensure_aware(start, "start")
        end = ensure_aware(end, "end")
        if end < start:
            return -self.working_time_between(end, start)
        total = timedelta(0)
        for begins, ends in self._clipped(start, end):
            total += ends - begins
        return total

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The earliest moment at which ``amount`` of working time has elapsed since ``start``.

        With 09:00-17:00 Monday to Friday, 8 hours from Friday 16:00 is Monday
        16:00, and 8 hours from Monday 09:00 is Monday 17:00 (not Tuesday 09:00).
        ``amount`` zero returns ``start`` unchanged; a negative amount is refused.
        """
        start = ensure_aware(start, "start")
        if not isinstance(amount, timedelta):
            raise ValueError(f"amount must be a timedelta, not {type(amount).__name__}")
        if amount < timedelta(0):
            raise ValueError(f"amount must not be negative, got {amount}")
        if not amount:
            return start
        if self._always:
            return start + amount
        remaining = amount
        for begins, ends in self._intervals_from(self._search_start(start)):
            if ends <= start:
                continue
            if begins - start > MAX_ADD_SPAN:
                raise ValueError(
                    f"{amount} of working time takes this calendar more than "
                    f"{MAX_ADD_SPAN.days} days to accumulate"
                )
            begins = max(begins, start)
            available = ends - begins
            if remaining <= available:
                return begins + remaining
            remaining -= available
        raise AssertionError("unreachable: _intervals_from never ends")  # pragma: no cover


TWENTY_FOUR_SEVEN = WorkingCalendar(
    timezone="UTC",
    working_days=frozenset(range(7)),
    working_hours=(WorkingInterval(time(0), time(0)),),
)
"""Round the clock, every day, no holidays: due dates never move, SLA clocks run always."""


@functools.lru_cache(maxsize=65_536)
def _day_intervals_cached(
    calendar: WorkingCalendar, day: date
) -> tuple[tuple[datetime, datetime], ...]:
    # PM generation asks the same few calendars about the same few days for thousands
    # of schedules; the DST-correct conversion is the expensive part, so do it once.
    if not calendar.is_working_day(day):
        return ()
    midnight = datetime.combine(day, time())
    result = []
    for start, end in calendar._offsets:
        begins = wall_to_utc(midnight + start, calendar._tz)
        ends = wall_to_utc(midnight + end, calendar._tz)
        # A stretch wholly inside a spring-forward gap has no instants at all.
        if begins < ends:
            result.append((begins, ends))
    return tuple(result)
