from typing import Any

from celery import shared_task

from notifications.services.deliveries import deliveries_resend_stalled, deliveries_send


@shared_task(name="notifications.tasks.send_deliveries", ignore_result=True)
def send_deliveries(delivery_ids: list[int]) -> dict[str, int]:
    """Attempt these deliveries of this tenant; failures are retried later with backoff."""
    return deliveries_send(delivery_ids)


@shared_task(name="notifications.tasks.resend_stalled", ignore_result=True)
def resend_stalled(run_key: str | None = None) -> dict[str, Any]:
    """Send again what a lost task left undelivered (idempotent: attempts lock their row)."""
    return {"queued": deliveries_resend_stalled()}
