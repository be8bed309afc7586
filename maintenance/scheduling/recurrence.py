"""Recurrence rules: the nominal due moments of a time-based PM schedule.

A :class:`Recurrence` is a frequency (or a cron expression) laid on an anchor,
the first nominal due moment. Nominal moments are wall-clock times in the
schedule's timezone: a monthly job at 07:00 stays at 07:00 local time on both
sides of a DST change. They are computed from the anchor by index, never from
the previous (clamped) date, so month ends do not drift: an anchor on Jan 31
gives Feb 28 (29 in leap years), Mar 31, Apr 30, ...

Every moment returned is in UTC (see :mod:`maintenance.scheduling.calendars` for
why, and for how skipped and repeated wall-clock times are resolved).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

from maintenance.scheduling.calendars import ensure_aware, load_timezone, wall_to_utc

__all__ = ["MAX_PERIOD_DAYS", "MAX_PERIOD_MONTHS", "Frequency", "Recurrence"]

_TICK = timedelta(microseconds=1)

# The longest period a rule may have. PM intervals of 10-20 years exist (pressure
# vessels, lifts); a century is past any real plan and keeps date maths in range.
MAX_PERIOD_DAYS = 36_525
MAX_PERIOD_MONTHS = 1_200

# cronsim keeps DST-quirk handling in wall-clock time, so a tick can come out up to
# the size of a DST shift out of real-time order; searching back from this much
# later covers every zone's shift (the largest in tzdata is 2 hours).
_CRON_FOLD_MARGIN = timedelta(hours=3)


class Frequency(StrEnum):
    """How often a time-based schedule recurs (the API's ``frequency`` values)."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMI_ANNUAL = "semi_annual"
    ANNUAL = "annual"
    CUSTOM = "custom"


# One period of each frequency, before multiplying by the interval: either days or
# months, never both, because months have no fixed length.
_DAYS_PER_PERIOD = {Frequency.DAILY: 1, Frequency.WEEKLY: 7, Frequency.CUSTOM: 1}
_MONTHS_PER_PERIOD = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.SEMI_ANNUAL: 6,
    Frequency.ANNUAL: 12,
}


class _OutOfRange(Exception):
    """A computed moment lies past what ``datetime`` can represent."""


def _add_months(wall: datetime, months: int) -> datetime:
    """``wall`` moved by whole months, the day clamped to the target month's length."""
    years, month_index = divmod(wall.month - 1 + months, 12)
    year = wall.year + years
    if not 1 <= year <= 9999:
        raise _OutOfRange
    month = month_index + 1
    day = min(wall.day, calendar.monthrange(year, month)[1])
    return wall.replace(year=year, month=month, day=day)


@dataclass(frozen=True, slots=True)
class _Series:
    """Moments ``base + k * period`` (k >= 0) in wall-clock time, resolved in ``tz``."""

    tz: ZoneInfo
    base: datetime
    days: int
    months: int

    def at(self, index: int) -> datetime:
        try:
            if self.days:
                wall = self.base + timedelta(days=self.days * index)
            else:
                wall = _add_months(self.base, self.months * index)
            return wall_to_utc(wall, self.tz)
        except (OverflowError, ValueError) as exc:
            raise _OutOfRange from exc

    def first_index_at_or_after(self, moment: datetime, minimum: int = 0) -> int:
        """The smallest index >= ``minimum`` whose moment is >= ``moment``."""
        # Estimate from the plain distance, then correct by a step or two: DST and
        # month lengths shift moments by hours or days, never by whole periods.
        if self.days:
            try:
                estimate = (moment - self.at(0)) // timedelta(days=self.days)
            except _OutOfRange:
                estimate = minimum
        else:
            local = moment.astimezone(self.tz)
            elapsed = (local.year - self.base.year) * 12 + local.month - self.base.month
            estimate = elapsed // self.months
        index = max(minimum, estimate)
        while index > minimum and self._reaches(index - 1, moment):
            index -= 1
        while not self._reaches(index, moment):
            index += 1
        return index

    def _reaches(self, index: int, moment: datetime) -> bool:
        # Past year 9999 counts as reached, so a search near the edge stops there
        # and the caller finds out, through at(), that the index does not exist.
        try:
            return self.at(index) >= moment
        except _OutOfRange:
            return True


def _cron_fields(expression: str) -> str:
    if not isinstance(expression, str):
        raise ValueError(f"cron must be a string, not {type(expression).__name__}")
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"invalid cron expression {expression!r}: expected 5 fields "
            "(minute hour day-of-month month day-of-week)"
        )
    return " ".join(fields)


@dataclass(frozen=True, slots=True)
class Recurrence:
    """An immutable recurrence rule with its anchor.

    - ``frequency``: daily, weekly, monthly, quarterly, semi_annual, annual or
      custom; the period is ``interval`` of them (weekly with interval 2 = every
      two weeks, quarterly with interval 2 = every six months), and custom means
      every ``interval`` days.
    - ``anchor``: the first nominal due moment (timezone-aware). Its wall-clock
      time in ``timezone`` is the time of day of every occurrence, and its day of
      month the day every monthly-type occurrence aims for. It is stored in UTC,
      resolved like any occurrence (so ``anchor`` is always the first occurrence).
    - ``cron``: an optional 5-field cron expression, read in ``timezone``. When set,
      it alone defines the occurrences: the ticks at or after the anchor.
      ``frequency`` then stays as information only and ``interval`` must be 1.
    - ``timezone``: IANA zone; defaults to the anchor's zone when that is a
      ``ZoneInfo`` (or UTC).
    """

    frequency: Frequency | str | None
    anchor: datetime
    interval: int = 1
    cron: str | None = None
    timezone: str | None = None
    _tz: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _series: _Series | None = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        anchor = ensure_aware(self.anchor, "anchor")
        name = self.timezone if self.timezone is not None else self._zone_of(self.anchor)
        tz = load_timezone(name)
        frequency = self._validated_frequency(self.frequency, self.cron)
        interval = self.interval
        if isinstance(interval, bool) or not isinstance(interval, int):
            raise ValueError(f"interval must be a whole number, not {interval!r}")
        if interval < 1:
            raise ValueError(f"interval must be at least 1, got {interval}")
        series = None
        cron = None
        if self.cron is not None:
            cron = _cron_fields(self.cron)
            if interval != 1:
                raise ValueError("interval does not apply to a cron schedule: leave it at 1")
            try:
                CronSim(cron, anchor.astimezone(tz))
            except CronSimError as exc:
                raise ValueError(f"invalid cron expression {cron!r}: {exc}") from exc
        else:
            assert frequency is not None  # _validated_frequency guarantees it
            wall = self._anchor_wall(self.anchor, tz)
            if frequency in _DAYS_PER_PERIOD:
                days = _DAYS_PER_PERIOD[frequency] * interval
                if days > MAX_PERIOD_DAYS:
                    raise ValueError(
                        f"interval {interval} is too large for {frequency}: "
                        f"the period may not exceed {MAX_PERIOD_DAYS} days"
                    )
                series = _Series(tz=tz, base=wall, days=days, months=0)
            else:
                months = _MONTHS_PER_PERIOD[frequency] * interval
                if months > MAX_PERIOD_MONTHS:
                    raise ValueError(
                        f"interval {interval} is too large for {frequency}: "
                        f"the period may not exceed {MAX_PERIOD_MONTHS} months"
                    )
                series = _Series(tz=tz, base=wall, days=0, months=months)
        if series is not None:
            # The anchor is the first occurrence; a skipped or repeated wall-clock
            # time is resolved like every other occurrence.
            try:
                anchor = series.at(0)
            except _OutOfRange:
                raise ValueError(f"anchor {self.anchor.isoformat()} is out of range") from None
        object.__setattr__(self, "frequency", frequency)
        object.__setattr__(self, "anchor", anchor)
        object.__setattr__(self, "cron", cron)
        object.__setattr__(self, "timezone", name)
        object.__setattr__(self, "_tz", tz)
        object.__setattr__(self, "_series", series)

    @staticmethod
    def _anchor_wall(anchor: datetime, tz: ZoneInfo) -> datetime:
        # An anchor written in the schedule's own zone is taken at its word, even a
        # wall-clock time that a DST change skips (02:30 means 02:30 on other days);
        # converting it through UTC first would turn it into 03:30 for good.
        if isinstance(anchor.tzinfo, ZoneInfo) and anchor.tzinfo.key == tz.key:
            return anchor.replace(tzinfo=None, fold=0)
        return anchor.astimezone(tz).replace(tzinfo=None, fold=0)

    @staticmethod
    def _zone_of(anchor: datetime) -> str:
        if isinstance(anchor.tzinfo, ZoneInfo):
            return anchor.tzinfo.key
        if anchor.tzinfo is UTC:
            return "UTC"
        raise ValueError(
            "give the timezone explicitly: the anchor's tzinfo is not an IANA zone, "
            "so its wall-clock time cannot follow DST"
        )

    @staticmethod
    def _validated_frequency(value: object, cron: str | None) -> Frequency | None:
        if value is None:
            if cron is None:
                raise ValueError("a recurrence needs a frequency or a cron expression")
            return None
        try:
            return Frequency(value)
        except ValueError:
            allowed = ", ".join(member.value for member in Frequency)
            raise ValueError(f"unknown frequency {value!r}: expected one of {allowed}") from None

    @property
    def tz(self) -> ZoneInfo:
        """The zone in which nominal wall-clock times are kept."""
        return self._tz

    # Cron ----------------------------------------------------------------------

    def _cron_from(self, start: datetime) -> Iterator[datetime]:
        """Cron ticks >= ``start``, strictly increasing, in UTC."""
        assert self.cron is not None
        try:
            ticks = CronSim(self.cron, (start - _TICK).astimezone(self._tz))
        except OverflowError:
            return
        last: datetime | None = None
        while True:
            try:
                tick = next(ticks).astimezone(UTC)
            except (StopIteration, OverflowError):
                # cronsim gives up after 50 years without a match.
                return
            # In the repeated hour of a fall-back, cronsim's wall-clock stepping can
            # return a first-pass tick when started in the second pass: skip it.
            if tick < start or (last is not None and tick <= last):
                continue
            last = tick
            yield tick

    def _cron_at_or_before(self, moment: datetime) -> datetime | None:
        assert self.cron is not None
        try:
            probe = (moment + _CRON_FOLD_MARGIN).astimezone(self._tz)
            ticks = CronSim(self.cron, probe, reverse=True)
        except OverflowError:
            return None
        while True:
            try:
                tick = next(ticks).astimezone(UTC)
            except (StopIteration, OverflowError):
                return None
            if tick <= moment:
                return tick

    # Queries -------------------------------------------------------------------

    def occurrences(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[datetime]:
        """Nominal moments in ``[start, end)``, increasing; unbounded when ``end`` is None.

        ``start`` defaults to the anchor. Jumps straight to ``start`` (no walking
        from the anchor), so a far horizon costs only the occurrences it yields.
        """
        begin = self.anchor if start is None else max(ensure_aware(start, "start"), self.anchor)
        stop = None if end is None else ensure_aware(end, "end")
        return self._occurrences(begin, stop)

    def _occurrences(self, begin: datetime, stop: datetime | None) -> Iterator[datetime]:
        moments = self._cron_from(begin) if self.cron is not None else self._series_from(begin)
        for moment in moments:
            if stop is not None and moment >= stop:
                return
            yield moment

    def _series_from(self, begin: datetime) -> Iterator[datetime]:
        assert self._series is not None
        previous: datetime | None = None
        try:
            index = self._series.first_index_at_or_after(begin)
            while True:
                moment = self._series.at(index)
                index += 1
                # A whole skipped day (Samoa left out 30 December 2011) resolves to the
                # end of its gap, which can be the next day's moment: count it once.
                if previous is None or moment > previous:
                    previous = moment
                    yield moment
        except _OutOfRange:
            return

    def first_at_or_after(self, moment: datetime) -> datetime | None:
        """The first nominal moment >= ``moment`` (the anchor when ``moment`` is earlier)."""
        return next(self.occurrences(moment), None)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first nominal moment strictly after ``moment``."""
        moment = ensure_aware(moment)
        try:
            return self.first_at_or_after(moment + _TICK)
        except OverflowError:
            return None

    def previous_at_or_before(self, moment: datetime) -> datetime | None:
        """The last nominal moment <= ``moment``, or None before the anchor."""
        moment = ensure_aware(moment)
        if moment < self.anchor:
            return None
        if self.cron is not None:
            found = self._cron_at_or_before(moment)
            return found if found is not None and found >= self.anchor else None
        assert self._series is not None
        try:
            threshold = moment + _TICK
        except OverflowError:
            # moment is the last representable microsecond: nothing can follow it.
            threshold = moment
        index = self._series.first_index_at_or_after(threshold) - 1
        return self._series.at(index) if index >= 0 else None

    def after_completion(
        self, completed: datetime, *, after: datetime | None = None
    ) -> datetime | None:
        """The floating-mode successor of an occurrence completed at ``completed``.

        For a frequency: the completion's local date plus one period (or the
        smallest whole number of periods that lands strictly after ``after``), at
        the anchor's wall-clock time; months are added to the completion's day of
        month and clamped (completed Jan 31 -> Feb 28). For cron: the first tick
        strictly after both ``completed`` and ``after``. Never before the anchor.
        """
        completed = ensure_aware(completed, "completed")
        threshold = completed if after is None else max(completed, ensure_aware(after, "after"))
        try:
            threshold += _TICK
        except OverflowError:
            return None
        threshold = max(threshold, self.anchor)
        if self.cron is not None:
            return next(self._cron_from(threshold), None)
        assert self._series is not None
        local = completed.astimezone(self._tz)
        base = self._series.base.replace(year=local.year, month=local.month, day=local.day)
        series = _Series(tz=self._tz, base=base, days=self._series.days, months=self._series.months)
        try:
            return series.at(series.first_index_at_or_after(threshold, minimum=1))
        except _OutOfRange:
            return None
