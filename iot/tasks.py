from typing import Any

import structlog
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from iot.dynsec import DynsecError
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


@shared_task(name="iot.tasks.train_model", ignore_result=True)
def train_model(model_id: int) -> None:
    """Fit one requested model version (once: a finished version is left alone)."""
    from iot.services.prediction import prediction_model_train

    prediction_model_train(model_id=model_id)


@shared_task(name="iot.tasks.retrain_models", ignore_result=True)
def retrain_models(run_key: str | None = None) -> int | None:
    """The weekly retraining of this tenant's remaining-life model."""
    from iot.services.prediction import prediction_models_retrain

    record = prediction_models_retrain()
    if record is not None:
        logger.info(
            "prediction_model_retrained", run_key=run_key, model=record.pk, status=record.status
        )
    return record.pk if record is not None else None


@shared_task(name="iot.tasks.open_predictive_work", ignore_result=True)
def open_predictive_work(run_key: str | None = None) -> dict[str, int]:
    """One pass of the predictive job in this tenant (exactly once per asset, see the
    service), so a second beat or a redelivered message opens nothing twice."""
    from iot.services.predictive import predictive_pass

    report = predictive_pass().as_dict()
    if report["opened"]:
        logger.info("predictive_pass", run_key=run_key, **report)
    return report


@shared_task(
    name="iot.tasks.broker_client_create",
    ignore_result=True,
    autoretry_for=(DynsecError,),
    retry_backoff=2,
    retry_backoff_max=300,
    max_retries=12,
)
def broker_client_create(token_pk: int, sealed_password: str) -> None:
    """The broker client of a new device token; retried through a broker outage (about an
    hour in all), after which ``manage.py mqtt_sync_clients`` reports the token missing."""
    from django.db import connection

    from core.crypto import decrypt
    from iot.models import DeviceToken
    from iot.services.broker_clients import broker_device_client_create

    token = (
        DeviceToken.objects.select_related("asset")
        .filter(pk=token_pk, revoked_at__isnull=True)
        .first()
    )
    if token is None:  # revoked, or its device deleted, before the broker could be reached
        return
    broker_device_client_create(
        schema=connection.schema_name,
        device_id=token.asset.asset_id,
        prefix=token.prefix,
        password=decrypt(sealed_password),
    )


@shared_task(
    name="iot.tasks.broker_client_delete",
    ignore_result=True,
    autoretry_for=(DynsecError,),
    retry_backoff=2,
    retry_backoff_max=300,
    max_retries=12,
)
def broker_client_delete(username: str) -> None:
    """Delete a revoked token's broker client (idempotent: gone already is done)."""
    from iot.services.broker_clients import broker_device_client_delete

    broker_device_client_delete(username=username)


@shared_task(name="iot.tasks.reconcile_broker_clients", ignore_result=True)
def reconcile_broker_clients(run_key: str | None = None) -> dict[str, Any] | None:
    """This tenant's device clients on the broker brought in step with its active tokens
    (``MQTT_BROKER_AUTH=dynsec`` only): a deletion lost with the broker is done again, and
    a client the broker lost is reported for rotation. Other tenants' clients are not
    touched; clients of a deleted tenant are left to ``manage.py mqtt_sync_clients``."""
    if settings.MQTT_BROKER_AUTH != "dynsec":
        return None
    from django.db import connection

    from iot.selectors import device_client_usernames
    from iot.services.broker_clients import broker_clients_reconcile

    try:
        report = broker_clients_reconcile(
            expected=device_client_usernames, schema=connection.schema_name
        )
    except DynsecError as exc:
        # The next pass tries again; a broker that is down is the bridge's alarm to raise.
        logger.warning("mqtt_broker_reconcile_failed", run_key=run_key, reason=str(exc))
        return None
    return report.as_dict()
