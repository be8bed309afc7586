"""Writes on the asset register. Each runs in one transaction, is audited, and
sends its events and signals from inside that transaction (delivered after commit)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Upper
from django.utils import timezone

from assets import signals
from assets.choices import (
    ACTIVE_ALERT_STATUSES,
    DOWN_STATUSES,
    PERFORMANCE_METRICS,
    SEVERITY_RANK,
    AlertSource,
    AlertStatus,
    AssetStatus,
    Condition,
    LocationKind,
    Operator,
    Severity,
)
from assets.models import (
    Alert,
    Asset,
    AssetDowntime,
    AssetLocationChange,
    ConditionAssessment,
    Location,
    Meter,
    MeterReading,
    PerformanceRecord,
    Threshold,
    new_request_token,
)
from assets.selectors import asset_ancestor_ids, thresholds_for
from core.audit import audit_record, audit_record_many, changes_between, snapshot
from core.events import publish
from core.exceptions import Conflict, InvalidInput
from core.models import User

ASSET_FIELDS: tuple[str, ...] = (
    "asset_id",
    "name",
    "asset_type",
    "status",
    "condition",
    "criticality",
    "parent",
    "location",
    "description",
    "manufacturer",
    "model",
    "serial_number",
    "department",
    "responsible_person",
    "tags",
    "specifications",
    "install_date",
    "purchase_cost",
)
# Route names under /assets/ that an asset code must not shadow.
RESERVED_ASSET_IDS = frozenset({"statistics"})

CONDITION_ALERT_SEVERITY = {Condition.POOR: Severity.MEDIUM, Condition.CRITICAL: Severity.HIGH}


def _advisory_lock(name: str) -> None:
    # Advisory locks are database-wide, so the key carries the tenant's schema.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{connection.schema_name}:{name}"]
        )


def _full_clean(obj: Any, exclude: Iterable[str] = ()) -> None:
    # Foreign keys arrive as model instances and the database checks them anyway;
    # validating them here would cost a query each.
    foreign_keys = [f.name for f in obj._meta.fields if f.is_relation]
    try:
        obj.full_clean(
            exclude=[*exclude, *foreign_keys], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        raise InvalidInput(
            {field: list(messages) for field, messages in exc.message_dict.items()}
        ) from exc


# --- Locations -------------------------------------------------------------------


def _location_path(name: str, parent: Location | None) -> str:
    return f"{parent.path} / {name}" if parent else name


@transaction.atomic
def location_create(
    *,
    by: User | None,
    name: str,
    kind: str = LocationKind.AREA,
    parent: Location | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    zone: str = "",
    department: str = "",
) -> Location:
    """Add a place under ``parent`` (or at the top)."""
    name = name.strip()
    if Location.objects.filter(parent=parent, name__iexact=name).exists():
        raise InvalidInput({"name": ["A location with this name already exists here."]})
    location = Location(
        name=name,
        kind=kind,
        parent=parent,
        path=_location_path(name, parent),
        latitude=latitude,
        longitude=longitude,
        zone=zone,
        department=department,
    )
    _full_clean(location, exclude=["path"])
    location.save()
    audit_record(
        actor=by,
        action="location.create",
        obj=location,
        changes=changes_between({}, {"path": location.path}),
    )
    return location


@transaction.atomic
def location_update(*, by: User | None, location: Location, **fields: Any) -> Location:
    """Change a place; renaming or moving it renames the path of everything below it."""
    location = Location.objects.select_for_update().get(pk=location.pk)
    before = snapshot(
        location, ["name", "kind", "parent", "latitude", "longitude", "zone", "department"]
    )
    new_parent = fields.get("parent", location.parent)
    if new_parent is not None and "parent" in fields:
        from assets.selectors import location_subtree_ids

        if new_parent.pk in location_subtree_ids(location):
            raise InvalidInput(
                {"parent": ["A location cannot be placed inside itself or its own sub-locations."]}
            )
    for name, value in fields.items():
        setattr(location, name, value.strip() if name == "name" else value)
    if (
        Location.objects.filter(parent=location.parent, name__iexact=location.name)
        .exclude(pk=location.pk)
        .exists()
    ):
        raise InvalidInput({"name": ["A location with this name already exists here."]})
    old_path = location.path
    location.path = _location_path(location.name, location.parent)
    _full_clean(location, exclude=["path"])
    location.save()
    if location.path != old_path:
        _rename_descendants(location)
    after = snapshot(
        location, ["name", "kind", "parent", "latitude", "longitude", "zone", "department"]
    )
    changes = changes_between(before, after)
    if changes:
        audit_record(actor=by, action="location.update", obj=location, changes=changes)
    return location


def _rename_descendants(location: Location) -> None:
    pending = [location]
    while pending:
        parent = pending.pop()
        children = list(Location.objects.filter(parent=parent))
        for child in children:
            child.path = _location_path(child.name, parent)
        Location.objects.bulk_update(children, ["path", "updated_at"])
        pending.extend(children)


@transaction.atomic
def location_delete(*, by: User | None, location: Location) -> None:
    if location.children.exists() or location.assets.exists():
        raise Conflict("This location still holds assets or other locations.", "location_in_use")
    audit_record(
        actor=by,
        action="location.delete",
        obj=location,
        changes={"path": {"before": location.path, "after": None}},
    )
    location.delete()


def location_resolve(
    *,
    site: str | None = None,
    building: str | None = None,
    floor: str | None = None,
    room: str | None = None,
    by: User | None = None,
) -> Location:
    """The place named by site > building > floor > room, created where missing.

    Only the parts given count: ``building="B2", room="101"`` is room 101 in
    building B2 (at the top level when no site is named).
    """
    parts = [
        (LocationKind.SITE, site),
        (LocationKind.BUILDING, building),
        (LocationKind.FLOOR, floor),
        (LocationKind.ROOM, room),
    ]
    parent: Location | None = None
    for kind, name in parts:
        if not name or not str(name).strip():
            continue
        name = str(name).strip()[:200]
        existing = Location.objects.filter(parent=parent, name__iexact=name).first()
        if existing is None:
            try:
                with transaction.atomic():
                    existing = location_create(by=by, name=name, kind=kind, parent=parent)
            except (IntegrityError, InvalidInput):
                # Created by a concurrent caller a moment ago.
                existing = Location.objects.get(parent=parent, name__iexact=name)
        parent = existing
    if parent is None:
        raise InvalidInput(
            {"location_name": ["Name the place: location_name, building, floor or room."]}
        )
    return parent


# --- Assets ----------------------------------------------------------------------


def _asset_state(asset: Asset) -> dict[str, Any]:
    return snapshot(asset, ASSET_FIELDS)


ASSET_ID_TAKEN = "An asset with this asset_id already exists."


def _check_not_reserved(asset_id: str) -> None:
    if asset_id.lower() in RESERVED_ASSET_IDS:
        raise InvalidInput({"asset_id": [f'"{asset_id}" is reserved; choose another code.']})


def _check_asset_id(asset_id: str, *, exclude_pk: int | None = None) -> None:
    _check_not_reserved(asset_id)
    clash = Asset.objects.filter(asset_id__iexact=asset_id)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise InvalidInput({"asset_id": [ASSET_ID_TAKEN]})


def _check_parent(asset: Asset, parent: Asset | None) -> None:
    """Refuse a loop. The caller holds the hierarchy lock (until commit), so two
    concurrent re-parentings cannot close a loop between them."""
    if parent is None or asset.pk is None:
        return
    if asset.pk in asset_ancestor_ids(parent.pk):
        raise InvalidInput(
            {"parent": ["An asset cannot be placed under itself or one of its own sub-assets."]}
        )


def _open_downtime(asset: Asset, status: str, at: datetime, reason: str) -> None:
    AssetDowntime.objects.create(asset=asset, status=status, started_at=at, reason=reason[:500])


def _close_downtime(asset: Asset, at: datetime) -> None:
    AssetDowntime.objects.filter(asset=asset, ended_at__isnull=True).update(
        ended_at=at, updated_at=timezone.now()
    )


def asset_build(*, asset_id: str, name: str, asset_type: str, **fields: Any) -> Asset:
    """A new asset checked field by field, not saved yet (see ``assets_register``)."""
    asset_id = asset_id.strip()
    _check_not_reserved(asset_id)
    unknown = set(fields) - set(ASSET_FIELDS)
    if unknown:
        raise InvalidInput({name: ["Unknown field."] for name in sorted(unknown)})
    asset = Asset(asset_id=asset_id, name=name, asset_type=asset_type, **fields)
    asset.tags = _clean_tags(asset.tags)
    _full_clean(asset, exclude=["request_token"])
    return asset


@transaction.atomic
def assets_register(
    *, by: User | None, assets: Sequence[Asset], at: datetime | None = None
) -> list[Asset]:
    """Register built assets together: one query per table, however many there are.

    The rules are those of registering one: codes unique ignoring case, a downtime
    period for each starting in maintenance or repair, the first place in the
    location history, an audit entry each.
    """
    at = at or timezone.now()
    codes = [asset.asset_id.upper() for asset in assets]
    if (
        len(set(codes)) < len(codes)
        or Asset.objects.annotate(code=Upper("asset_id")).filter(code__in=codes).exists()
    ):
        raise InvalidInput({"asset_id": [ASSET_ID_TAKEN]})
    # No hierarchy lock: nothing can point at an asset that does not exist yet, so no loop.
    created = Asset.objects.bulk_create(assets)
    AssetDowntime.objects.bulk_create(
        AssetDowntime(
            asset=asset, status=asset.status, started_at=at, reason="registered in this status"
        )
        for asset in created
        if asset.status in DOWN_STATUSES
    )
    AssetLocationChange.objects.bulk_create(
        AssetLocationChange(asset=asset, location=asset.location, moved_at=at, moved_by=by)
        for asset in created
        if asset.location is not None
    )
    audit_record_many(
        actor=by,
        action="asset.create",
        changes_by_object=[(asset, changes_between({}, _asset_state(asset))) for asset in created],
    )
    return created


@transaction.atomic
def asset_create(
    *,
    by: User | None,
    asset_id: str,
    name: str,
    asset_type: str,
    at: datetime | None = None,
    **fields: Any,
) -> Asset:
    """Register an asset. Starting in maintenance or repair opens a downtime period."""
    asset = asset_build(asset_id=asset_id, name=name, asset_type=asset_type, **fields)
    (created,) = assets_register(by=by, assets=[asset], at=at)
    return created


def _clean_tags(tags: Iterable[str] | None) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags or []:
        tag = str(tag).strip()
        if tag:
            seen.setdefault(tag[:50], None)
    return list(seen)


@transaction.atomic
def asset_update(
    *,
    by: User | None,
    asset: Asset,
    reason: str = "",
    at: datetime | None = None,
    **changes: Any,
) -> Asset:
    """Change an asset's details, parent, location or status.

    A new parent that would make a loop is refused; a status change into or out
    of maintenance/repair opens or closes a downtime period; a new location is
    recorded in the location history.
    """
    at = at or timezone.now()
    if changes.get("parent") is not None:
        # Before any row lock: the foreign-key check on the new parent takes a row lock
        # of its own, and taking the hierarchy lock second could deadlock against it.
        _advisory_lock("asset-hierarchy")
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    before = _asset_state(asset)
    unknown = set(changes) - set(ASSET_FIELDS)
    if unknown:
        raise InvalidInput({name: ["Unknown field."] for name in sorted(unknown)})
    if "asset_id" in changes and changes["asset_id"] != asset.asset_id:
        changes["asset_id"] = changes["asset_id"].strip()
        _check_asset_id(changes["asset_id"], exclude_pk=asset.pk)
    if "parent" in changes and changes["parent"] is not None:
        if changes["parent"].pk == asset.pk:
            raise InvalidInput({"parent": ["An asset cannot be its own parent."]})
        _check_parent(asset, changes["parent"])
    old_status, old_location = asset.status, asset.location
    for name, value in changes.items():
        setattr(asset, name, value)
    asset.tags = _clean_tags(asset.tags)
    diff = changes_between(before, _asset_state(asset))
    if not diff:
        # Nothing changed (a re-imported row, a repeated PUT): leave the row untouched.
        return asset
    _full_clean(asset, exclude=["request_token"])
    asset.save()

    was_down, is_down = old_status in DOWN_STATUSES, asset.status in DOWN_STATUSES
    if is_down and not was_down:
        _open_downtime(asset, asset.status, at, reason)
    elif was_down and not is_down:
        _close_downtime(asset, at)
    if asset.location_id and asset.location != old_location:
        AssetLocationChange.objects.create(
            asset=asset,
            location=asset.location,
            previous_location=old_location,
            moved_at=at,
            moved_by=by,
        )
    audit_record(actor=by, action="asset.update", obj=asset, changes=diff)
    return asset


def asset_change_status(
    *, by: User | None, asset: Asset, status: str, reason: str = "", at: datetime | None = None
) -> Asset:
    """Put an asset into a status (maintenance, repair, back to operational, ...)."""
    if status not in AssetStatus.values:
        raise InvalidInput({"status": [f'"{status}" is not a valid status.']})
    return asset_update(by=by, asset=asset, status=status, reason=reason, at=at)


@transaction.atomic
def asset_delete(*, by: User | None, asset: Asset) -> None:
    """Remove an asset and its own measurements. One that still has sub-assets is refused."""
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    if asset.children.exists():
        raise Conflict(
            "This asset has sub-assets; move or delete them first.", "asset_has_children"
        )
    audit_record(
        actor=by, action="asset.delete", obj=asset, changes=changes_between(_asset_state(asset), {})
    )
    asset.delete()


@transaction.atomic
def asset_move(
    *,
    by: User | None,
    asset: Asset,
    location: Location | None = None,
    location_name: str | None = None,
    building: str | None = None,
    floor: str | None = None,
    room: str | None = None,
    coordinates: tuple[Decimal, Decimal] | None = None,
    zone: str = "",
    department: str = "",
    notes: str = "",
    at: datetime | None = None,
) -> AssetLocationChange:
    """Move an asset to a place, given as a location or as site/building/floor/room names.

    ``location_name`` is the site (the top of the hierarchy). The move is kept
    in the asset's location history with its coordinates, zone and department.
    """
    at = at or timezone.now()
    if location is None:
        location = location_resolve(
            site=location_name, building=building, floor=floor, room=room, by=by
        )
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    previous = asset.location
    latitude, longitude = coordinates if coordinates else (None, None)
    change = AssetLocationChange.objects.create(
        asset=asset,
        location=location,
        previous_location=previous,
        moved_at=at,
        moved_by=by,
        latitude=latitude,
        longitude=longitude,
        zone=zone,
        department=department,
        notes=notes,
    )
    asset.location = location
    if department:
        asset.department = department
    asset.save(update_fields=["location", "department", "updated_at"])
    audit_record(
        actor=by,
        action="asset.move",
        obj=asset,
        changes={
            "location": {"before": previous.path if previous else None, "after": location.path}
        },
    )
    return change


@transaction.atomic
def asset_rotate_request_token(*, by: User | None, asset: Asset) -> Asset:
    """Issue a new QR token; labels printed with the old one stop working."""
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    asset.request_token = new_request_token()
    asset.save(update_fields=["request_token", "updated_at"])
    audit_record(actor=by, action="asset.rotate_request_token", obj=asset)
    return asset


# --- Alerts ----------------------------------------------------------------------


def _alert_payload(alert: Alert) -> dict[str, Any]:
    from assets.api.serializers import AlertSerializer

    return dict(AlertSerializer(alert).data)


def _breaches(operator: str, value: Decimal, limit: Decimal) -> bool:
    return {
        Operator.GT: value > limit,
        Operator.GTE: value >= limit,
        Operator.LT: value < limit,
        Operator.LTE: value <= limit,
    }[operator]


@dataclass(frozen=True)
class AlertSpec:
    metric: str
    severity: str
    message: str
    source: str
    value: Decimal | None = None
    threshold: Threshold | None = None
    reading_id: int | None = None


def alert_raise(
    *, by: User | None, asset: Asset, spec: AlertSpec, at: datetime | None = None
) -> Alert:
    """Raise an alert, or note a repeat of one already open for the same condition.

    A repeat at a higher severity escalates the open alert (and is announced
    again); at the same or lower severity it only counts the occurrence.
    """
    at = at or timezone.now()
    threshold = spec.threshold
    fields = {
        "severity": spec.severity,
        "message": spec.message[:500],
        "value": spec.value,
        "threshold": threshold,
        "threshold_value": threshold.value if threshold else None,
        "operator": threshold.operator if threshold else "",
        "reading_id": spec.reading_id,
    }
    active = Alert.objects.select_for_update().filter(
        asset=asset, metric=spec.metric, source=spec.source, status__in=ACTIVE_ALERT_STATUSES
    )
    alert = active.first()
    if alert is None:
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    asset=asset,
                    metric=spec.metric,
                    source=spec.source,
                    raised_at=at,
                    last_seen_at=at,
                    **fields,
                )
        except IntegrityError:
            # Another reading raised it a moment ago; treat this one as a repeat.
            alert = active.get()
        else:
            audit_record(
                actor=by,
                action="alert.raise",
                obj=alert,
                changes=changes_between({}, {"severity": alert.severity, "message": alert.message}),
            )
            publish("asset:alert", _alert_payload(alert))
            signals.alert_raised.send(sender=Asset, alert=alert, escalated=False)
            return alert

    escalated = SEVERITY_RANK[spec.severity] > SEVERITY_RANK[alert.severity]
    before = {"severity": alert.severity}
    alert.occurrences += 1
    alert.last_seen_at = max(alert.last_seen_at, at)
    alert.value = spec.value
    alert.reading_id = spec.reading_id
    if escalated:
        for name, value in fields.items():
            setattr(alert, name, value)
    alert.save()
    if escalated:
        audit_record(
            actor=by,
            action="alert.escalate",
            obj=alert,
            changes=changes_between(before, {"severity": alert.severity}),
        )
        publish("asset:alert", _alert_payload(alert))
        signals.alert_raised.send(sender=Asset, alert=alert, escalated=True)
    return alert


@transaction.atomic
def alert_acknowledge(*, by: User | None, alert: Alert, note: str = "") -> Alert:
    """Someone has seen the alert and is on it."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != AlertStatus.OPEN:
        raise Conflict(
            f"Only an open alert can be acknowledged; this one is {alert.status}.", "alert_not_open"
        )
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = by
    if note:
        alert.note = note
    alert.save()
    audit_record(
        actor=by,
        action="alert.acknowledge",
        obj=alert,
        changes={"status": {"before": "open", "after": alert.status}},
    )
    return alert


@transaction.atomic
def alert_resolve(*, by: User | None, alert: Alert, note: str = "") -> Alert:
    """The cause is dealt with; the next breach of the same condition raises a new alert."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict("This alert is already resolved.", "alert_already_resolved")
    before = alert.status
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = timezone.now()
    alert.resolved_by = by
    if note:
        alert.note = note
    alert.save()
    audit_record(
        actor=by,
        action="alert.resolve",
        obj=alert,
        changes={"status": {"before": before, "after": alert.status}},
    )
    return alert


def _evaluate(
    asset: Asset,
    values: dict[str, Decimal],
    *,
    by: User | None,
    source: str,
    reading_id: int,
    at: datetime,
) -> list[Alert]:
    raised = []
    limits = thresholds_for(asset)
    for metric, value in values.items():
        breached = [t for t in limits.get(metric, []) if _breaches(t.operator, value, t.value)]
        if not breached:
            continue
        worst = max(breached, key=lambda t: SEVERITY_RANK[t.severity])
        label = metric.replace("_", " ")
        message = (
            f"{asset.asset_id}: {label} {value.normalize():f} {worst.get_operator_display()} "
            f"{worst.value.normalize():f}"
        )
        spec = AlertSpec(
            metric=metric,
            severity=worst.severity,
            message=message,
            source=source,
            value=value,
            threshold=worst,
            reading_id=reading_id,
        )
        raised.append(alert_raise(by=by, asset=asset, spec=spec, at=at))
    return raised


# --- Performance and condition ---------------------------------------------------


@transaction.atomic
def performance_record(
    *,
    by: User | None,
    asset: Asset,
    recorded_at: datetime | None = None,
    notes: str = "",
    **metrics: Any,
) -> tuple[PerformanceRecord, list[Alert]]:
    """Record how an asset is running; readings past its thresholds raise alerts."""
    unknown = set(metrics) - set(PERFORMANCE_METRICS)
    if unknown:
        raise InvalidInput({name: ["Unknown metric."] for name in sorted(unknown)})
    record = PerformanceRecord(
        asset=asset,
        recorded_at=recorded_at or timezone.now(),
        recorded_by=by,
        notes=notes,
        **{k: v for k, v in metrics.items() if v is not None},
    )
    _full_clean(record, exclude=["asset", "recorded_by"])
    record.save()
    values = {
        metric: Decimal(getattr(record, metric))
        for metric in PERFORMANCE_METRICS
        if metric in metrics and getattr(record, metric) is not None
    }
    audit_record(
        actor=by, action="performance.record", obj=record, changes=changes_between({}, values)
    )
    alerts = _evaluate(
        asset,
        values,
        by=by,
        source=AlertSource.PERFORMANCE,
        reading_id=record.pk,
        at=record.recorded_at,
    )
    signals.performance_recorded.send(sender=Asset, record=record)
    return record, alerts


@transaction.atomic
def condition_assess(
    *,
    by: User | None,
    asset: Asset,
    condition: str,
    score: int | None = None,
    notes: str = "",
    assessed_at: datetime | None = None,
) -> ConditionAssessment:
    """Record an assessment; the newest one sets the asset's condition.

    A poor or critical condition raises an alert on the asset.
    """
    assessed_at = assessed_at or timezone.now()
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    assessment = ConditionAssessment(
        asset=asset,
        condition=condition,
        score=score,
        notes=notes,
        assessed_at=assessed_at,
        assessed_by=by,
    )
    _full_clean(assessment, exclude=["asset", "assessed_by"])
    newest = (
        asset.condition_assessments.order_by("-assessed_at")
        .values_list("assessed_at", flat=True)
        .first()
    )
    assessment.save()
    if newest is None or assessed_at >= newest:
        before = asset.condition
        asset.condition = condition
        asset.save(update_fields=["condition", "updated_at"])
        audit_record(
            actor=by,
            action="asset.assess_condition",
            obj=asset,
            changes=changes_between({"condition": before}, {"condition": condition}),
        )
        severity = CONDITION_ALERT_SEVERITY.get(condition)
        if severity:
            spec = AlertSpec(
                metric="condition",
                severity=severity,
                message=f"{asset.asset_id}: condition assessed as {condition}",
                source=AlertSource.CONDITION,
                value=Decimal(score) if score is not None else None,
                reading_id=assessment.pk,
            )
            alert_raise(by=by, asset=asset, spec=spec, at=assessed_at)
    return assessment


# --- Meters ----------------------------------------------------------------------


@transaction.atomic
def meter_create(
    *,
    by: User | None,
    asset: Asset,
    name: str,
    unit: str,
    kind: str = "hours",
    cumulative: bool = True,
) -> Meter:
    name = name.strip()
    if Meter.objects.filter(asset=asset, name__iexact=name).exists():
        raise InvalidInput({"name": ["This asset already has a meter with this name."]})
    meter = Meter(asset=asset, name=name, unit=unit.strip(), kind=kind, cumulative=cumulative)
    _full_clean(meter, exclude=["asset"])
    meter.save()
    audit_record(
        actor=by,
        action="meter.create",
        obj=meter,
        changes=changes_between({}, {"name": name, "unit": meter.unit}),
    )
    return meter


def meter_for_reading(*, by: User | None, asset: Asset, meter: str, unit: str = "") -> Meter:
    """The asset's meter named by id or name; a new name with a unit makes a new meter."""
    meter = meter.strip()
    found = (
        asset.meters.filter(pk=int(meter)).first() if meter.isdigit() and len(meter) < 19 else None
    )
    found = found or asset.meters.filter(name__iexact=meter).first()
    if found is not None:
        if unit and unit.strip().lower() != found.unit.lower():
            raise InvalidInput(
                {"unit": [f"The meter {found.name!r} counts in {found.unit}, not {unit}."]}
            )
        return found
    if not unit:
        raise InvalidInput(
            {"meter": [f"This asset has no meter {meter!r}; give a unit to create it."]}
        )
    return meter_create(by=by, asset=asset, name=meter, unit=unit)


@transaction.atomic
def meter_reading_record(
    *,
    by: User | None,
    meter: Meter,
    value: Decimal,
    is_reset: bool = False,
    reading_at: datetime | None = None,
    source: str = "manual",
    notes: str = "",
) -> MeterReading:
    """Record a reading. A cumulative meter refuses a value below its last one
    unless ``is_reset`` (a replaced or rolled-over counter), and refuses readings
    dated before its latest one."""
    reading_at = reading_at or timezone.now()
    meter = Meter.objects.select_for_update().get(pk=meter.pk)
    value = Decimal(value)
    if meter.cumulative and meter.current_value is not None:
        if meter.last_reading_at and reading_at < meter.last_reading_at:
            raise InvalidInput(
                {
                    "reading_at": [
                        "The meter already has a later reading "
                        f"({meter.last_reading_at.isoformat()})."
                    ]
                }
            )
        if value < meter.current_value and not is_reset:
            raise InvalidInput(
                {
                    "value": [
                        f"{value.normalize():f} is below the last reading "
                        f"({meter.current_value.normalize():f} {meter.unit}); "
                        "mark the reading as a reset if the counter was replaced."
                    ]
                }
            )
    # Usage since the last reading; a reset counter starts again from zero.
    if meter.current_value is None:
        delta = Decimal(0)
    elif is_reset:
        delta = value
    else:
        delta = value - meter.current_value
    reading = MeterReading(
        meter=meter,
        value=value,
        delta=delta,
        is_reset=is_reset,
        reading_at=reading_at,
        recorded_by=by,
        source=source,
        notes=notes,
    )
    _full_clean(reading, exclude=["meter", "recorded_by"])
    reading.save()
    previous = meter.current_value
    if meter.last_reading_at is None or reading_at >= meter.last_reading_at:
        meter.current_value = value
        meter.last_reading_at = reading_at
        meter.save(update_fields=["current_value", "last_reading_at", "updated_at"])
    audit_record(
        actor=by,
        action="meter.read",
        obj=meter,
        changes=changes_between({"value": previous}, {"value": meter.current_value}),
    )
    signals.meter_reading_recorded.send(sender=Meter, reading=reading)
    return reading


# --- Thresholds ------------------------------------------------------------------

THRESHOLD_FIELDS = ("asset", "asset_type", "metric", "operator", "value", "severity", "active")


def _check_threshold(threshold: Threshold) -> None:
    if threshold.asset_id and threshold.asset_type:
        raise InvalidInput(
            {"asset_type": ["A threshold is for one asset or for an asset type, not both."]}
        )
    duplicate = Threshold.objects.filter(
        asset=threshold.asset,
        asset_type=threshold.asset_type,
        metric=threshold.metric,
        operator=threshold.operator,
        severity=threshold.severity,
    ).exclude(pk=threshold.pk)
    if duplicate.exists():
        raise InvalidInput({"metric": ["The same threshold already exists for this scope."]})
    _full_clean(threshold, exclude=["asset"])


@transaction.atomic
def threshold_create(*, by: User | None, **fields: Any) -> Threshold:
    threshold = Threshold(**fields)
    _check_threshold(threshold)
    threshold.save()
    audit_record(
        actor=by,
        action="threshold.create",
        obj=threshold,
        changes=changes_between({}, snapshot(threshold, THRESHOLD_FIELDS)),
    )
    return threshold


@transaction.atomic
def threshold_update(*, by: User | None, threshold: Threshold, **fields: Any) -> Threshold:
    threshold = Threshold.objects.select_for_update().get(pk=threshold.pk)
    before = snapshot(threshold, THRESHOLD_FIELDS)
    for name, value in fields.items():
        setattr(threshold, name, value)
    _check_threshold(threshold)
    threshold.save()
    diff = changes_between(before, snapshot(threshold, THRESHOLD_FIELDS))
    if diff:
        audit_record(actor=by, action="threshold.update", obj=threshold, changes=diff)
    return threshold


@transaction.atomic
def threshold_delete(*, by: User | None, threshold: Threshold) -> None:
    audit_record(
        actor=by,
        action="threshold.delete",
        obj=threshold,
        changes=changes_between(snapshot(threshold, THRESHOLD_FIELDS), {}),
    )
    threshold.delete()
