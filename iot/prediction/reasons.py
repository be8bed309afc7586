"""Why an asset is at risk, in words a planner reads: built from its health factors."""

from __future__ import annotations

from typing import Any

HIGH_RISK_LEVELS = frozenset({"high", "critical"})
RISK_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def health_reasons(health: dict[str, Any], *, lead_days: int | None = None) -> list[str]:
    """The reasons behind one asset's health, most pressing first."""
    reasons: list[str] = []
    days = health.get("predicted_failure_within_days")
    if days is not None:
        text = f"Predicted to fail within {days:g} days of its latest reading"
        if health.get("model") is not None:
            text += f" (model {health['model']})"
        if lead_days is not None and days <= lead_days:
            text += f", inside the {lead_days}-day lead time"
        reasons.append(text + ".")
    level = health.get("risk_level")
    if level in HIGH_RISK_LEVELS:
        reasons.append(f"Risk level {level} (health score {health.get('health_score')}).")
    factors = health.get("factors") or {}
    failures = factors.get("failure_history") or {}
    if failures.get("penalty"):
        reasons.append(
            f"{failures.get('failures_last_365_days', 0)} failure(s) in the last 365 days."
        )
    anomalies = factors.get("anomalies") or {}
    if anomalies.get("penalty"):
        reasons.append(
            f"{anomalies.get('open', 0)} open anomaly episode(s), "
            f"{anomalies.get('last_30_days', 0)} in the last 30 days."
        )
    diagnostics = factors.get("diagnostics") or {}
    if diagnostics.get("penalty"):
        reasons.append(f"Latest diagnostic run: {diagnostics.get('latest_result')}.")
    condition = factors.get("condition") or {}
    if condition.get("penalty"):
        reasons.append(
            f"Condition {condition.get('condition')}, "
            f"{condition.get('open_severe_alerts', 0)} open high or critical alert(s)."
        )
    return reasons


def riskiness(health: dict[str, Any]) -> tuple[int, float, int]:
    """Sort key: riskiest first (level, then nearest predicted failure, then score)."""
    days = health.get("predicted_failure_within_days")
    return (
        RISK_ORDER.get(health.get("risk_level") or "low", 4),
        float(days) if days is not None else float("inf"),
        int(health.get("health_score") or 0),
    )
