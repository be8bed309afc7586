"""Reads on the asset register that are more than a filter."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Greatest, Least, Now

from assets.choices import Severity
from assets.models import (
    Alert,
    Asset,
    AssetDowntime,
    Failure,
    Location,
    MeterReading,
    PerformanceRecord,
    Threshold,
)


def asset_list() -> QuerySet[Asset]:
    """Assets with what their list shows, in a fixed number of queries."""
    return Asset.objects.select_related("parent", "location")


def meter_readings(*, asset: Asset, meter: str | None = None) -> QuerySet[MeterReading]:
    """Readings of an asset's meters; ``meter`` narrows to one, by id or by name."""
    readings = MeterReading.objects.filter(meter__asset=asset).select_related(
        "meter", "meter__asset", "recorded_by"
    )
    if meter:
        if meter.isdigit() and len(meter) < 19:
            return readings.filter(meter_id=int(meter))
        readings = readings.filter(meter__name__iexact=meter)
    return readings


def asset_ancestor_ids(asset_pk: int) -> list[int]:
    """Ids from ``asset_pk`` up to its root (itself first)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE up(id, parent_id, depth) AS (
                SELECT id, parent_id, 0 FROM assets_asset WHERE id = %s
                UNION ALL
                SELECT a.id, a.parent_id, up.depth + 1
                FROM assets_asset a JOIN up ON a.id = up.parent_id
                WHERE up.depth < 1000
            )
            SELECT id FROM up ORDER BY depth
            """,
            [asset_pk],
        )
        return [row[0] for row in cursor.fetchall()]


def asset_subtree(asset: Asset) -> list[tuple[Asset, int]]:
    """The asset and everything below it, depth-first, with each one's depth (root = 0)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE down(id, depth, sort_path) AS (
                SELECT id, 0, ARRAY[asset_id::text] FROM assets_asset WHERE id = %s
                UNION ALL
                SELECT a.id, down.depth + 1, down.sort_path || a.asset_id::text
                FROM assets_asset a JOIN down ON a.parent_id = down.id
                WHERE down.depth < 1000
            )
            SELECT id, depth FROM down ORDER BY sort_path
            """,
            [asset.pk],
        )
        rows = cursor.fetchall()
    by_id = asset_list().in_bulk([pk for pk, _ in rows])
    return [(by_id[pk], depth) for pk, depth in rows]


def location_subtree_ids(location: Location) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE down(id, depth) AS (
                SELECT id, 0 FROM assets_location WHERE id = %s
                UNION ALL
                SELECT l.id, down.depth + 1
                FROM assets_location l JOIN down ON l.parent_id = down.id
                WHERE down.depth < 100
            )
            SELECT id FROM down
            """,
            [location.pk],
        )
        return [row[0] for row in cursor.fetchall()]


def _most_specific(candidates: Iterable[Threshold]) -> dict[str, list[Threshold]]:
    scoped: dict[str, dict[int, list[Threshold]]] = {}
    for threshold in candidates:
        rank = 0 if threshold.asset_id else (1 if threshold.asset_type else 2)
        scoped.setdefault(threshold.metric, {}).setdefault(rank, []).append(threshold)
    return {metric: by_rank[min(by_rank)] for metric, by_rank in scoped.items()}


def thresholds_for(asset: Asset) -> dict[str, list[Threshold]]:
    """Active thresholds per metric for ``asset``: its own, else its type's, else the tenant's."""
    candidates = Threshold.objects.filter(active=True).filter(
        Q(asset=asset)
        | Q(asset__isnull=True, asset_type=asset.asset_type)
        | Q(asset__isnull=True, asset_type="")
    )
    return _most_specific(candidates)


def thresholds_for_many(asset_types: Mapping[int, str]) -> dict[int, dict[str, list[Threshold]]]:
    """``thresholds_for`` of many assets in one query, by asset primary key; the assets
    are given as their types by primary key, which is all the rule needs of them."""
    if not asset_types:
        return {}
    types = set(asset_types.values())
    candidates = list(
        Threshold.objects.filter(active=True).filter(
            Q(asset__in=list(asset_types))
            | Q(asset__isnull=True, asset_type__in=types)
            | Q(asset__isnull=True, asset_type="")
        )
    )
    return {
        pk: _most_specific(
            t
            for t in candidates
            if t.asset_id == pk or (t.asset_id is None and t.asset_type in ("", asset_type))
        )
        for pk, asset_type in asset_types.items()
    }


def failures(
    *, asset: Asset | None = None, start: datetime | None = None, end: datetime | None = None
) -> QuerySet[Failure]:
    """Failures newest first, of one asset or all, in [start, end) (the index covers it)."""
    found = Failure.objects.select_related("asset")
    if asset is not None:
        found = found.filter(asset=asset)
    if start is not None:
        found = found.filter(occurred_at__gte=start)
    if end is not None:
        found = found.filter(occurred_at__lt=end)
    return found.order_by("-occurred_at", "-id")


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @property
    def hours(self) -> Decimal:
        return Decimal((self.end - self.start).total_seconds()) / Decimal(3600)


def asset_statistics(*, period: Period, asset: Asset | None = None) -> dict[str, Any]:
    """Performance, alerts, downtime and availability over ``period``, for one asset or all."""
    assets = Asset.objects.all() if asset is None else Asset.objects.filter(pk=asset.pk)
    asset_count = assets.count()
    records = PerformanceRecord.objects.filter(
        recorded_at__gte=period.start, recorded_at__lt=period.end, asset__in=assets
    ).aggregate(
        average_uptime=Avg("uptime_percentage"),
        average_efficiency=Avg("efficiency_rating"),
        errors=Sum("error_count"),
        warnings=Sum("warning_count"),
        records=Count("id"),
    )
    alerts = (
        Alert.objects.filter(
            raised_at__gte=period.start, raised_at__lt=period.end, asset__in=assets
        )
        .values("severity")
        .annotate(n=Count("id"))
    )
    by_severity = {severity: 0 for severity in Severity.values}
    by_severity.update({row["severity"]: row["n"] for row in alerts})
    # Each downtime period clipped to the window; an open one runs until now.
    downtime = (
        AssetDowntime.objects.filter(asset__in=assets, started_at__lt=period.end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=period.start))
        .annotate(
            clipped_start=Greatest(F("started_at"), period.start),
            clipped_end=Least(Coalesce(F("ended_at"), Now()), period.end),
        )
        .aggregate(total=Sum(F("clipped_end") - F("clipped_start")))
    )["total"]
    downtime_hours = Decimal(downtime.total_seconds()) / Decimal(3600) if downtime else Decimal(0)
    available_hours = period.hours * asset_count
    availability = (
        (Decimal(100) * (1 - downtime_hours / available_hours)) if available_hours > 0 else None
    )

    def rounded(value: Decimal | None, places: str = "0.01") -> Decimal | None:
        return None if value is None else Decimal(value).quantize(Decimal(places))

    return {
        "asset_id": asset.asset_id if asset else None,
        "start_date": period.start,
        "end_date": period.end,
        "asset_count": asset_count,
        "performance_records": records["records"],
        "average_uptime_percentage": rounded(records["average_uptime"]),
        "average_efficiency_rating": rounded(records["average_efficiency"]),
        "error_count": records["errors"] or 0,
        "warning_count": records["warnings"] or 0,
        "alerts_by_severity": by_severity,
        "alerts_total": sum(by_severity.values()),
        "downtime_hours": rounded(downtime_hours),
        "availability_percentage": rounded(availability),
    }
