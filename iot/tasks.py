from typing import Any

import structlog
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from iot.partitions import partitions_maintain

logger = structlog.get_logger(__name__)


@shared_task(name="iot.tasks.maintain_partitions", ignore_result=True)
def maintain_partitions(run_key: str | None = None) -> dict[str, Any]:
    """Reading partitions of this tenant: months ahead created, months past retention
    dropped. Idempotent (a second run finds nothing to do), so no run key is kept."""
    report = partitions_maintain(
        now=timezone.now(),
        months_ahead=settings.IOT_PARTITION_MONTHS_AHEAD,
        retention_days=settings.IOT_RETENTION_DAYS,
    ).as_dict()
    if report["created"] or report["dropped"] or report["moved_rows"]:
        logger.info("iot_partitions_maintained", run_key=run_key, **report)
    return report
