"""How assets are running: performance records, condition assessments, alert
thresholds and the alerts raised when a reading crosses one.

Each write runs in one transaction and is audited; a new or escalated alert is
announced as ``asset:alert`` after commit and dispatched as ``AlertRaised`` to the
apps that react to it (event-based PM) inside the transaction.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from assets.choices import (
    ACTIVE_ALERT_STATUSES,
    PERFORMANCE_METRICS,
    SEVERITY_RANK,
    AlertSource,
    AlertStatus,
    Condition,
    Operator,
    Severity,
)
from assets.events import ALERT_EVENT, AlertRaised, PerformanceRecorded, alert_payload
from assets.models import Alert, Asset, ConditionAssessment, PerformanceRecord, Threshold
from assets.selectors import thresholds_for
from core.audit import audit_record, changes_between, snapshot
from core.events import publish
from core.exceptions import Conflict, InvalidInput
from core.models import User
from core.reactions import dispatch
from core.writes import audited_update, locked, validate

CONDITION_ALERT_SEVERITY = {Condition.POOR: Severity.MEDIUM, Condition.CRITICAL: Severity.HIGH}
THRESHOLD_FIELDS = ("asset", "asset_type", "metric", "operator", "value", "severity", "active")


def threshold_breached(operator: str, value: Decimal, limit: Decimal) -> bool:
    """Whether ``value`` crosses ``limit`` the way ``operator`` says."""
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
            publish(ALERT_EVENT, alert_payload(alert))
            dispatch(AlertRaised(alert=alert, escalated=False))
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
        publish(ALERT_EVENT, alert_payload(alert))
        dispatch(AlertRaised(alert=alert, escalated=True))
    return alert


def _review_alert(alert: Alert, *, by: User | None, action: str, **fields: Any) -> None:
    # The trail records the move through the alert's states; who and when are on the alert.
    audited_update(
        alert,
        by=by,
        action=action,
        fields=fields,
        audited=("status",),
        allowed=fields.keys(),
    )


@transaction.atomic
def alert_acknowledge(*, by: User | None, alert: Alert, note: str = "") -> Alert:
    """Someone has seen the alert and is on it."""
    alert = locked(alert)
    if alert.status != AlertStatus.OPEN:
        raise Conflict(
            f"Only an open alert can be acknowledged; this one is {alert.status}.", "alert_not_open"
        )
    _review_alert(
        alert,
        by=by,
        action="alert.acknowledge",
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_at=timezone.now(),
        acknowledged_by=by,
        **({"note": note} if note else {}),
    )
    return alert


@transaction.atomic
def alert_resolve(*, by: User | None, alert: Alert, note: str = "") -> Alert:
    """The cause is dealt with; the next breach of the same condition raises a new alert."""
    alert = locked(alert)
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict("This alert is already resolved.", "alert_already_resolved")
    _review_alert(
        alert,
        by=by,
        action="alert.resolve",
        status=AlertStatus.RESOLVED,
        resolved_at=timezone.now(),
        resolved_by=by,
        **({"note": note} if note else {}),
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
        breached = [
            t for t in limits.get(metric, []) if threshold_breached(t.operator, value, t.value)
        ]
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
    validate(record)
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
    dispatch(PerformanceRecorded(record=record))
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
    asset = locked(asset)
    assessment = ConditionAssessment(
        asset=asset,
        condition=condition,
        score=score,
        notes=notes,
        assessed_at=assessed_at,
        assessed_by=by,
    )
    validate(assessment)
    newest = (
        asset.condition_assessments.order_by("-assessed_at")
        .values_list("assessed_at", flat=True)
        .first()
    )
    assessment.save()
    if newest is None or assessed_at >= newest:
        audited_update(
            asset,
            by=by,
            action="asset.assess_condition",
            fields={"condition": condition},
            audited=("condition",),
            validate_exclude=["request_token"],
            save=lambda changed: changed.save(update_fields=["condition", "updated_at"]),
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
    validate(threshold)


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
    threshold = locked(threshold)
    audited_update(
        threshold,
        by=by,
        action="threshold.update",
        fields=fields,
        audited=THRESHOLD_FIELDS,
        check=_check_threshold,
    )
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
