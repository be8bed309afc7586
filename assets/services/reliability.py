"""Failures: the moments assets stopped doing their job (MTBF, health and prediction learn
from them)."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from assets.models import Asset, Failure
from core.audit import audit_record, changes_between, snapshot
from core.exceptions import InvalidInput
from core.models import User
from core.writes import validate

FAILURE_FIELDS = (
    "asset",
    "occurred_at",
    "failure_mode",
    "cause",
    "remedy",
    "downtime_hours",
    "work_order_id",
)
# A reading of "now" from a device or phone may run a little ahead of the server's clock.
CLOCK_SKEW = timedelta(minutes=1)


def check_not_future(name: str, moment: datetime | None) -> None:
    """Refuse a moment that has not happened yet (beyond a minute of clock skew)."""
    if moment is not None and moment > timezone.now() + CLOCK_SKEW:
        raise InvalidInput({name: ["This moment is in the future."]})


@transaction.atomic
def failure_record(
    *,
    by: User | None,
    asset: Asset,
    occurred_at: datetime,
    failure_mode: str = "",
    cause: str = "",
    remedy: str = "",
    downtime_hours: Decimal | None = None,
    work_order_id: int | None = None,
) -> Failure:
    """Record that ``asset`` failed at ``occurred_at`` (in the past, never the future).

    A work order records at most one failure: recording it again returns the one
    already there, so a retried completion never counts a failure twice.
    """
    check_not_future("occurred_at", occurred_at)
    if work_order_id is not None:
        existing = Failure.objects.filter(work_order_id=work_order_id).first()
        if existing is not None:
            return existing
    failure = Failure(
        asset=asset,
        occurred_at=occurred_at,
        failure_mode=failure_mode.strip(),
        cause=cause,
        remedy=remedy,
        downtime_hours=downtime_hours,
        work_order_id=work_order_id,
        recorded_by=by if by is not None and by.is_authenticated else None,
    )
    validate(failure)
    try:
        with transaction.atomic():
            failure.save()
    except IntegrityError:
        # The same work order's failure, recorded a moment ago by a concurrent caller.
        return Failure.objects.get(work_order_id=work_order_id)
    audit_record(
        actor=by,
        action="failure.record",
        obj=failure,
        changes=changes_between({}, snapshot(failure, FAILURE_FIELDS)),
    )
    return failure


@transaction.atomic
def failure_delete(*, by: User | None, failure: Failure) -> None:
    """Remove a failure recorded by mistake (it no longer counts toward MTBF or health)."""
    audit_record(
        actor=by,
        action="failure.delete",
        obj=failure,
        changes=changes_between(snapshot(failure, FAILURE_FIELDS), {}),
    )
    failure.delete()
