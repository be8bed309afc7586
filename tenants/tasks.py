"""Periodic work: one beat entry per job, fanned out to every ready tenant.

django-celery-beat stalls with thousands of rows, so there is never a beat
row per tenant or per schedule: beat fires ``fan_out`` once, and fan_out sends
the job to each tenant's schema, spread over a window so a thousand tenants do
not all hit the database in the same second.
"""

from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name, tenant_context

from config.celery import app
from tenants.models import Tenant


def ready_tenants() -> list[Tenant]:
    return list(
        Tenant.objects.filter(ready=True)
        .exclude(schema_name=get_public_schema_name())
        .order_by("schema_name")
    )


@shared_task(name="tenants.fan_out", ignore_result=True)
def fan_out(task_name: str, spread_seconds: float = 0, run_key: str | None = None) -> int:
    """Send ``task_name`` once to every ready tenant; returns how many were sent.

    Each tenant's task gets the same ``run_key`` (this fan-out's task id), which
    the job uses to run at most once per tenant even if a message is redelivered.
    """
    connection.set_schema_to_public()
    key = run_key or fan_out.request.id or "manual"
    tenants = ready_tenants()
    step = spread_seconds / len(tenants) if tenants else 0
    for index, tenant in enumerate(tenants):
        # tenant-schemas-celery stamps the active schema on the message it sends.
        with tenant_context(tenant):
            app.send_task(task_name, kwargs={"run_key": key}, countdown=round(index * step, 3))
    return len(tenants)
