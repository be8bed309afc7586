"""The predictive job: a work order for each asset about to fail, and never two.

Every ``PREDICTIVE_EVERY_SECONDS`` each tenant's assets are scored (health, set-based,
in chunks) and an asset whose predicted failure falls within the tenant's
``predictive_lead_days``, or whose risk is high or critical, gets one predictive work
order (source and work type ``predictive``, the reasons in its description) through
the maintenance services, so SLA policies and notifications treat it like any
other, and ``predictive:alert`` is announced after commit.

Exactly once: the asset's row is locked before looking for its open predictive work
order, so of two passes at once the second waits, then sees the first one's work
order and leaves the asset alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone

from assets.models import Asset
from core.events import publish
from iot.health import devices_health
from iot.prediction.reasons import HIGH_RISK_LEVELS, health_reasons
from maintenance.choices import ACTIVE_STATUSES, Priority, Source, WorkType
from maintenance.models import MaintenanceSettings, WorkOrder
from maintenance.services.work_orders import work_order_create

logger = structlog.get_logger(__name__)

PREDICTIVE_ALERT = "predictive:alert"
# Assets scored per round of health queries (each factor is one query per chunk).
CHUNK = 1000
RETIRED = ("retired", "decommissioned")


@dataclass
class PredictiveReport:
    assets: int = 0
    at_risk: int = 0
    opened: int = 0
    already_open: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _due(health: dict[str, Any], lead_days: int) -> bool:
    days = health.get("predicted_failure_within_days")
    return (days is not None and days <= lead_days) or health.get("risk_level") in HIGH_RISK_LEVELS


def _priority(health: dict[str, Any]) -> str:
    days = health.get("predicted_failure_within_days")
    if health.get("risk_level") == "critical" or (days is not None and days <= 7):
        return Priority.CRITICAL
    return Priority.HIGH


def alert_payload(
    asset: Asset, work_order: WorkOrder, health: dict[str, Any], reasons: list[str]
) -> dict[str, Any]:
    """What ``predictive:alert`` carries: the asset, its forecast and the work order."""
    return {
        "asset_id": asset.asset_id,
        "work_order": {"id": work_order.pk, "number": work_order.number},
        "risk_level": health["risk_level"],
        "health_score": health["health_score"],
        "predicted_failure_within_days": health["predicted_failure_within_days"],
        "model": health["model"],
        "as_of": health["as_of"],
        "reasons": reasons,
    }


@transaction.atomic
def predictive_work_order_open(
    *, asset_pk: int, health: dict[str, Any], lead_days: int
) -> WorkOrder | None:
    """The asset's predictive work order, unless one is already open (then None)."""
    asset = Asset.objects.select_for_update().filter(pk=asset_pk).first()
    if asset is None:
        return None
    if WorkOrder.objects.filter(
        asset=asset, source=Source.PREDICTIVE, status__in=ACTIVE_STATUSES
    ).exists():
        return None
    reasons = health_reasons(health, lead_days=lead_days)
    order = work_order_create(
        by=None,
        title=f"Predictive maintenance: {asset.name}"[:200],
        source=Source.PREDICTIVE,
        work_type=WorkType.PREDICTIVE,
        priority=_priority(health),
        asset=asset,
        description="\n".join(["Opened by the predictive maintenance job:", *reasons]),
    )
    publish(PREDICTIVE_ALERT, alert_payload(asset, order, health, reasons))
    return order


def predictive_pass(*, now: datetime | None = None) -> PredictiveReport:
    """One pass of the predictive job over this tenant's assets."""
    now = now or timezone.now()
    lead_days = MaintenanceSettings.current().predictive_lead_days
    report = PredictiveReport()
    ids = list(
        Asset.objects.exclude(status__in=RETIRED).order_by("pk").values_list("pk", flat=True)
    )
    report.assets = len(ids)
    open_assets = set(
        WorkOrder.objects.filter(
            source=Source.PREDICTIVE, status__in=ACTIVE_STATUSES, asset__isnull=False
        ).values_list("asset_id", flat=True)
    )
    for start in range(0, len(ids), CHUNK):
        health = devices_health(ids[start : start + CHUNK], now=now)
        for pk, item in health.items():
            if not _due(item, lead_days):
                continue
            report.at_risk += 1
            if pk in open_assets:
                report.already_open += 1
                continue
            if predictive_work_order_open(asset_pk=pk, health=item, lead_days=lead_days):
                report.opened += 1
            else:
                report.already_open += 1
    return report
