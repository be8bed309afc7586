"""The Celery app: tenant-aware (the active schema rides on every message)."""

import os
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun, worker_process_init
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = CeleryApp("cmms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _beat_entries(sender: Any, **kwargs: Any) -> None:
    """One beat entry per periodic job; each fans out to every ready tenant."""
    from django.conf import settings

    sender.conf.beat_schedule = {
        job: {
            "task": "tenants.fan_out",
            "schedule": float(every),
            "args": (task, spread),
            "options": {"expires": float(every)},
        }
        for job, (task, every, spread) in settings.TENANT_PERIODIC_JOBS.items()
    }


@before_task_publish.connect
def _carry_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    from core.context import get_request_id

    if headers is not None and get_request_id() and "request_id" not in headers:
        headers["request_id"] = get_request_id()


@task_prerun.connect
def _bind_request_id(task: Any = None, task_id: str | None = None, **kwargs: Any) -> None:
    from core.context import bind_request_id

    request = getattr(task, "request", None)
    headers = getattr(request, "headers", None) or {}
    # Depending on the transport, custom headers land in request.headers or on request itself.
    carried = headers.get("request_id") or (request.get("request_id") if request else None)
    bind_request_id(carried or task_id or "")


@task_postrun.connect
def _unbind_request_id(**kwargs: Any) -> None:
    from core.context import clear_request_id

    clear_request_id()


@worker_process_init.connect
def _worker_tracing(**kwargs: Any) -> None:
    from core.observability.tracing import configure_tracing

    configure_tracing("worker")
