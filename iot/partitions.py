"""Monthly partitions of ``iot_reading`` in the current tenant's schema.

Readings are partitioned by their timestamp, one partition per calendar month
(UTC), plus a default partition that catches anything outside the months that
exist (a clock far off, a tenant cloned from an old template). The periodic job
keeps ``IOT_PARTITION_MONTHS_AHEAD`` months ready and drops whole months past
``IOT_RETENTION_DAYS``: dropping a partition is instant and leaves no bloat,
where deleting millions of rows would not. A month created while the default
partition holds some of its rows takes those rows with it.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction

PARENT = "iot_reading"
DEFAULT = "iot_reading_default"
PREFIX = "iot_reading_p"
# pg_advisory_xact_lock key (with the schema's hash): one partition job per schema at a time.
LOCK = 7_341_013


def month_of(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{PREFIX}{month:%Y%m}"


def _bound(month: date) -> str:
    return datetime(month.year, month.month, 1, tzinfo=UTC).isoformat()


@dataclass(frozen=True)
class PartitionReport:
    created: list[str]
    dropped: list[str]
    moved_rows: int

    def as_dict(self) -> dict[str, object]:
        return {"created": self.created, "dropped": self.dropped, "moved_rows": self.moved_rows}


def existing_months() -> list[date]:
    """The months that have their own partition, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [PARENT],
        )
        names = [name for (name,) in cursor.fetchall()]
    months = []
    for name in names:
        if name.startswith(PREFIX) and name[len(PREFIX) :].isdigit():
            stamp = name[len(PREFIX) :]
            months.append(date(int(stamp[:4]), int(stamp[4:6]), 1))
    return sorted(months)


def _create(month: date) -> int:
    """Create the partition of ``month``; rows of it already in the default partition
    move into it. Returns how many moved."""
    name, start, end = partition_name(month), _bound(month), _bound(next_month(month))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {DEFAULT} WHERE ts >= %s AND ts < %s",  # noqa: S608
            [start, end],
        )
        stranded = cursor.fetchone()[0]
        if not stranded:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {PARENT} "
                f"FOR VALUES FROM ('{start}') TO ('{end}')"
            )
            return 0
        # The default partition may not keep rows of a range that gets its own partition:
        # fill the new table first, then attach it.
        cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE ts >= %s AND ts < %s RETURNING *) "  # noqa: S608
            f"INSERT INTO {name} SELECT * FROM moved",
            [start, end],
        )
        cursor.execute(
            f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ('{start}') TO ('{end}')"
        )
        return stranded


def partitions_maintain(
    *, now: datetime, months_ahead: int, retention_days: int
) -> PartitionReport:
    """Create this month's and the next ``months_ahead`` months' partitions, and drop
    every month that ended more than ``retention_days`` ago. Idempotent."""
    created, dropped, moved = [], [], 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", [LOCK])
        have = set(existing_months())
        month = month_of(now)
        for _ in range(months_ahead + 1):
            if month not in have:
                moved += _create(month)
                created.append(partition_name(month))
            month = next_month(month)
        horizon = now - timedelta(days=retention_days)
        with connection.cursor() as cursor:
            for old in sorted(have):
                end = next_month(old)
                if datetime(end.year, end.month, 1, tzinfo=UTC) <= horizon:
                    cursor.execute(f"DROP TABLE IF EXISTS {partition_name(old)}")
                    dropped.append(partition_name(old))
            # Rows caught by the default partition that are past retention go too.
            cursor.execute(f"DELETE FROM {DEFAULT} WHERE ts < %s", [horizon])  # noqa: S608
    return PartitionReport(created=created, dropped=dropped, moved_rows=moved)
