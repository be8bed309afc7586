"""Work requests: someone reports a problem, a planner approves or declines it."""

from collections.abc import Sequence
from typing import Any

import structlog
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from assets.models import Asset
from core.audit import audit_record, changes_between, snapshot
from core.exceptions import Conflict, InvalidInput
from core.models import User
from core.writes import audited_delete, audited_update, locked
from maintenance.choices import (
    HistoryKind,
    Priority,
    RequestChannel,
    RequestStatus,
    Source,
    WorkType,
)
from maintenance.models import WorkOrder, WorkRequest
from maintenance.services.attachments import attachment_add
from maintenance.services.history import history_record
from maintenance.services.work_orders import work_order_create
from notifications.services.deliveries import people_email

logger = structlog.get_logger(__name__)
REQUEST_FIELDS = (
    "title",
    "description",
    "asset",
    "priority",
    "status",
    "work_order",
    "rejection_reason",
)


@transaction.atomic
def work_request_create(
    *,
    by: User | None,
    title: str = "",
    description: str = "",
    asset: Asset | None = None,
    priority: str = Priority.MEDIUM,
    channel: str = RequestChannel.APP,
    reporter_name: str = "",
    reporter_contact: str = "",
    photos: Sequence[UploadedFile] = (),
) -> WorkRequest:
    """Report a problem (from the app, the API or the public QR form)."""
    title, description = title.strip(), description.strip()
    if not title and not description:
        raise InvalidInput({"description": ["Say what is wrong: a title or a description."]})
    if priority not in Priority.values:
        raise InvalidInput({"priority": [f'"{priority}" is not a valid priority.']})
    request = WorkRequest.objects.create(
        title=title[:300] or description[:80],
        description=description,
        asset=asset,
        priority=priority,
        channel=channel,
        requested_by=by if by is not None and by.is_authenticated else None,
        reporter_name=reporter_name.strip()[:200],
        reporter_contact=reporter_contact.strip()[:200],
    )
    for photo in photos:
        attachment_add(by=by, upload=photo, request=request, images_only=True)
    audit_record(
        actor=by,
        action="work_request.create",
        obj=request,
        changes=changes_between({}, snapshot(request, REQUEST_FIELDS)),
    )
    if asset is not None:
        reporter = (
            request.requested_by.username
            if request.requested_by
            else (request.reporter_name or "someone")
        )
        history_record(
            kind=HistoryKind.REQUEST,
            summary=f"Problem reported by {reporter}: {request.title}",
            asset=asset,
            actor=by,
            data={"request": request.pk, "channel": channel},
        )
    return request


def _review(request: WorkRequest, *, by: User | None, action: str, **outcome: Any) -> None:
    reviewer = by if by is not None and by.is_authenticated else None
    audited_update(
        request,
        by=by,
        action=action,
        fields={**outcome, "reviewed_by": reviewer, "reviewed_at": timezone.now()},
        audited=REQUEST_FIELDS,
        allowed=(*REQUEST_FIELDS, "reviewed_by", "reviewed_at"),
    )


def _lock_pending(request: WorkRequest) -> WorkRequest:
    request = WorkRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.PENDING:
        raise Conflict(f"This request is already {request.status}.", "request_already_reviewed")
    return request


@transaction.atomic
def work_request_approve(*, by: User | None, request: WorkRequest, **overrides: Any) -> WorkOrder:
    """Turn a request into a work order that keeps its text, photos and a link back."""
    request = _lock_pending(request)
    fields: dict[str, Any] = {
        "title": request.title or request.description[:80],
        "description": request.description,
        "asset": request.asset,
        "priority": request.priority,
        "requested_by": request.requested_by,
        "work_type": WorkType.CORRECTIVE,
    }
    fields.update({k: v for k, v in overrides.items() if v is not None})
    work_order = work_order_create(by=by, source=Source.REQUEST, **fields)
    # The photos stay where they are and belong to the work order as well: no copies.
    request.photos.update(work_order=work_order)
    _review(
        request,
        by=by,
        action="work_request.approve",
        status=RequestStatus.APPROVED,
        work_order=work_order,
    )
    _tell_requester(
        request, f"Your request was approved: work order {work_order.number} will handle it."
    )
    return work_order


@transaction.atomic
def work_request_reject(*, by: User | None, request: WorkRequest, reason: str) -> WorkRequest:
    """Decline a request, saying why; the requester is told."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": ["Say why the request is declined."]})
    request = _lock_pending(request)
    _review(
        request,
        by=by,
        action="work_request.reject",
        status=RequestStatus.REJECTED,
        rejection_reason=reason,
    )
    _tell_requester(request, f"Your request was declined: {reason}")
    return request


@transaction.atomic
def work_request_delete(*, by: User | None, request: WorkRequest) -> None:
    """Remove a request that did not become work (spam from the public form, a duplicate)."""
    request = locked(request)
    if request.work_order_id is not None:
        raise Conflict(
            "This request became a work order; it stays as that work's origin.", "protected"
        )
    audited_delete(request, by=by, action="work_request.delete", audited=REQUEST_FIELDS)


def _requester_email(request: WorkRequest) -> str | None:
    if request.requested_by is not None and request.requested_by.email:
        return request.requested_by.email
    try:
        validate_email(request.reporter_contact)
    except Exception:  # a phone number or a name is not an address: nobody to e-mail
        return None
    return request.reporter_contact


def _tell_requester(request: WorkRequest, message: str) -> None:
    """E-mail the requester the outcome (sent by a worker once the review commits)."""
    email = _requester_email(request)
    if email is None:
        return
    people_email(
        event=f"work-request:{request.status}",
        to=[email],
        subject=f"Your maintenance request: {request.title}"[:200],
        body=message,
    )
