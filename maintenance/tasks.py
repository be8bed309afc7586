from typing import Any

import structlog
from celery import shared_task

from core.jobs import run_once
from maintenance.pm.generation import pm_generate_due
from maintenance.services.attachments import attachments_orphaned_sweep

logger = structlog.get_logger(__name__)


@shared_task(name="maintenance.tasks.generate_preventive_maintenance", ignore_result=True)
def generate_preventive_maintenance(run_key: str | None = None) -> dict[str, Any]:
    """Create this tenant's PM work orders that fall due within their lead time.

    Safe to run twice at once or after a crash: every work order is unique per
    schedule occurrence, and each chunk commits with the state it advances.
    """
    report = pm_generate_due()
    summary = {
        "created": len(report.created),
        "skipped": report.skipped,
        "schedules": report.schedules,
    }
    logger.info("pm_generated", run_key=run_key, **summary)
    return summary


@run_once("maintenance.sweep_orphaned_attachments")
def _sweep_orphaned_attachments() -> dict[str, Any]:
    deleted = attachments_orphaned_sweep()
    if deleted:
        logger.info("orphaned_attachments_deleted", count=len(deleted), files=deleted[:20])
    return {"deleted": len(deleted)}


@shared_task(name="maintenance.tasks.sweep_orphaned_attachments", ignore_result=True)
def sweep_orphaned_attachments(run_key: str | None = None) -> dict[str, Any]:
    """Delete this tenant's uploaded files that were left behind by a rolled-back request."""
    return _sweep_orphaned_attachments(run_key=run_key)
