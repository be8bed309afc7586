from typing import Any

import structlog
from celery import shared_task

from maintenance.services.pm import pm_generate_due

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
