from typing import Any

import structlog
from celery import shared_task

from sla.services.monitor import monitor_pass

logger = structlog.get_logger(__name__)


@shared_task(name="sla.tasks.monitor", ignore_result=True)
def monitor(run_key: str | None = None) -> dict[str, Any]:
    """One monitor pass in this tenant. Exactly-once by construction (see
    ``services.monitor``), so a second beat or a redelivered message changes nothing."""
    report = monitor_pass().as_dict()
    if any(report.values()):
        logger.info("sla_monitor_pass", run_key=run_key, **report)
    return report
