from typing import Any

from celery import shared_task
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from core.jobs import run_once


@run_once("core.flush_expired_tokens")
def _flush_expired_tokens() -> dict[str, Any]:
    deleted, _ = OutstandingToken.objects.filter(expires_at__lt=timezone.now()).delete()
    return {"deleted": deleted}


@shared_task(name="core.tasks.flush_expired_tokens", ignore_result=True)
def flush_expired_tokens(run_key: str | None = None) -> dict[str, Any]:
    """Forget refresh tokens (and their blacklist entries) that have expired anyway."""
    return _flush_expired_tokens(run_key=run_key)
