"""Diagnostics: an asset's recent readings judged, the verdict stored and announced.

Each test gives findings ``{check, metric, severity: warning|fail, message, ...}``:

- ``thresholds``: the extremes of each metric over the last ``hours`` (default 24)
  against the asset's alert thresholds; a breach of a high or critical threshold
  fails, any other warns.
- ``anomalies``: anomalies detected over the last ``hours``; an open one scoring
  at least twice the detection limit fails, any other warns.
- ``trend``: each metric's least-squares slope over the last ``days`` (default 7);
  a drift (slope times the span of the readings) of more than 10% of the metric's
  mean warns, 25% fails.
- ``full``: the three together.

The result is the worst finding (pass when none); the score starts at 100 and loses
40 per failing and 15 per warning finding, down to 0.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assets.choices import SEVERITY_RANK, Operator
from assets.models import Asset
from assets.selectors import thresholds_for
from assets.services.monitoring import threshold_breached
from core.audit import audit_record, changes_between
from core.events import publish
from core.models import User
from iot import selectors
from iot.choices import AnomalyStatus, DiagnosticResult, TestType
from iot.events import DIAGNOSTICS_EVENT, diagnostic_payload
from iot.models import Anomaly, DiagnosticRun

FAIL, WARNING = "fail", "warning"
PENALTY = {FAIL: 40, WARNING: 15}
DRIFT_WARNING, DRIFT_FAIL = 0.10, 0.25


def _thresholds(asset: Asset, start: datetime, end: datetime) -> list[dict[str, Any]]:
    findings = []
    extremes = selectors.metric_extremes(asset=asset, start=start, end=end)
    for metric, limits in thresholds_for(asset).items():
        seen = extremes.get(metric)
        if not seen:
            continue
        for threshold in limits:
            upward = threshold.operator in (Operator.GT, Operator.GTE)
            value = seen["max"] if upward else seen["min"]
            exact = Decimal(repr(value)).quantize(Decimal("0.0001"))
            if not threshold_breached(threshold.operator, exact, threshold.value):
                continue
            severe = SEVERITY_RANK[threshold.severity] >= SEVERITY_RANK["high"]
            findings.append(
                {
                    "check": TestType.THRESHOLDS.value,
                    "metric": metric,
                    "severity": FAIL if severe else WARNING,
                    "value": value,
                    "threshold": float(threshold.value),
                    "operator": threshold.operator,
                    "message": (
                        f"{metric} reached {value:g} "
                        f"({threshold.get_operator_display()} {threshold.value.normalize():f}, "
                        f"{threshold.severity})"
                    ),
                }
            )
    return findings


def _anomalies(asset: Asset, start: datetime) -> list[dict[str, Any]]:
    limit = settings.IOT_ANOMALY_Z
    findings = []
    found = Anomaly.objects.filter(asset=asset, reading_timestamp__gte=start).order_by(
        "reading_timestamp", "pk"
    )
    for anomaly in found:
        severe = anomaly.status == AnomalyStatus.OPEN and anomaly.score >= 2 * limit
        findings.append(
            {
                "check": TestType.ANOMALIES.value,
                "metric": anomaly.metric,
                "severity": FAIL if severe else WARNING,
                "anomaly": anomaly.pk,
                "value": anomaly.value,
                "expected": anomaly.expected,
                "score": anomaly.score,
                "status": anomaly.status,
                "message": (
                    f"{anomaly.metric} read {anomaly.value:g} against about "
                    f"{anomaly.expected:g} ({anomaly.status})"
                ),
            }
        )
    return findings


def _trend(asset: Asset, start: datetime, end: datetime, days: int) -> list[dict[str, Any]]:
    findings = []
    for row in selectors.metric_summary(asset=asset, start=start, end=end):
        slope, mean = row["slope_per_day"], row["mean"]
        if slope is None or row["count"] < 3:
            continue
        scale = abs(mean) if mean else 0.0
        # The change the fitted line makes over the readings' own span, not extrapolated.
        drift = slope * min(row["span_days"], days)
        relative = abs(drift) / scale if scale else (0.0 if drift == 0 else float("inf"))
        if relative <= DRIFT_WARNING:
            continue
        findings.append(
            {
                "check": TestType.TREND.value,
                "metric": row["metric"],
                "severity": FAIL if relative > DRIFT_FAIL else WARNING,
                "slope_per_day": slope,
                "mean": mean,
                "message": (
                    f"{row['metric']} drifts {slope:+.4g} per day "
                    f"({min(relative, 999.0):.0%} of its mean over {days} days)"
                ),
            }
        )
    return findings


def _verdict(findings: list[dict[str, Any]]) -> tuple[str, int]:
    score = max(0, 100 - sum(PENALTY[finding["severity"]] for finding in findings))
    if any(finding["severity"] == FAIL for finding in findings):
        return DiagnosticResult.FAIL, score
    if findings:
        return DiagnosticResult.WARNING, score
    return DiagnosticResult.PASS, score


@transaction.atomic
def diagnostic_run(
    *,
    by: User | None,
    asset: Asset,
    test_type: str,
    parameters: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> DiagnosticRun:
    """Run ``test_type`` on ``asset``, store the result and announce it after commit."""
    now = now or timezone.now()
    parameters = dict(parameters or {})
    hours, days = parameters.get("hours", 24), parameters.get("days", 7)
    recent = now - timedelta(hours=hours)
    findings: list[dict[str, Any]] = []
    if test_type in (TestType.THRESHOLDS, TestType.FULL):
        findings += _thresholds(asset, recent, now)
    if test_type in (TestType.ANOMALIES, TestType.FULL):
        findings += _anomalies(asset, recent)
    if test_type in (TestType.TREND, TestType.FULL):
        findings += _trend(asset, now - timedelta(days=days), now, days)
    result, score = _verdict(findings)
    run = DiagnosticRun.objects.create(
        asset=asset,
        test_type=test_type,
        parameters=parameters,
        result=result,
        score=score,
        findings=findings,
        ran_at=now,
        ran_by=by if by is not None and by.is_authenticated else None,
    )
    audit_record(
        actor=by,
        action="diagnostics.run",
        obj=run,
        changes=changes_between({}, {"test_type": test_type, "result": result, "score": score}),
    )
    publish(DIAGNOSTICS_EVENT, diagnostic_payload(run))
    return run
