"""Tenant background jobs that run once per run key, whatever the broker does.

Celery delivers at least once (acks_late, redelivery after a lost worker). A
job's body and its JobRun row commit in one transaction, under a lock on the
run key, so a second delivery of the same run finds the row and does nothing.
"""

import functools
from collections.abc import Callable
from typing import Any, ParamSpec

import structlog
from django.db import connection, transaction
from django.utils import timezone

from core.models import JobRun
from core.observability.metrics import JOB_RUNS

logger = structlog.get_logger(__name__)
P = ParamSpec("P")


def run_once(name: str) -> Callable[[Callable[P, dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Decorate a job body returning a JSON-able summary; adds a ``run_key`` argument."""

    def decorate(body: Callable[P, dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(body)
        def wrapper(*args: Any, run_key: str | None = None, **kwargs: Any) -> dict[str, Any]:
            started = timezone.now()
            key = run_key or f"adhoc-{started.isoformat()}"
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{name}:{key}"])
                if JobRun.objects.filter(name=name, run_key=key).exists():
                    JOB_RUNS.labels(job=name, outcome="duplicate").inc()
                    logger.info("job_skipped_duplicate", job=name, run_key=key)
                    return {"skipped": True}
                try:
                    result = body(*args, **kwargs)
                except Exception:
                    JOB_RUNS.labels(job=name, outcome="failed").inc()
                    raise
                JobRun.objects.create(
                    name=name,
                    run_key=key,
                    started_at=started,
                    finished_at=timezone.now(),
                    result=result,
                )
            JOB_RUNS.labels(job=name, outcome="succeeded").inc()
            logger.info("job_succeeded", job=name, run_key=key, tenant=connection.schema_name)
            return result

        return wrapper

    return decorate
