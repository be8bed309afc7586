"""Reads of the maintenance app that are more than a filter."""

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from core.models import User
from core.roles import Role
from maintenance.choices import ACTIVE_STATUSES, PRIORITY_RANK
from maintenance.events import payload_relations
from maintenance.models import MaintenanceEvent, WorkOrder, WorkRequest


def work_order_list() -> QuerySet[WorkOrder]:
    """Work orders with what a list row shows, in a fixed number of queries."""
    return WorkOrder.objects.select_related(
        "asset", "assigned_to", "requested_by", "request", *payload_relations()
    ).annotate(
        priority_rank=Case(
            *[When(priority=name, then=Value(rank)) for name, rank in PRIORITY_RANK.items()],
            output_field=IntegerField(),
        )
    )


def work_orders_visible_to(user: User) -> QuerySet[WorkOrder]:
    """The team sees every work order; a requester only those made from their requests."""
    work_orders = work_order_list()
    if not user.is_authenticated:  # schema generation asks without a user
        return work_orders.none()
    if user.role == Role.REQUESTER or user.role is None:
        return work_orders.filter(request__requested_by=user)
    return work_orders


def overdue(queryset: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    return queryset.filter(due_at__lt=timezone.now(), status__in=ACTIVE_STATUSES)


def work_requests_visible_to(user: User) -> QuerySet[WorkRequest]:
    """Requesters see their own requests; the team sees all of them."""
    requests = WorkRequest.objects.select_related(
        "asset", "requested_by", "reviewed_by", "work_order"
    ).prefetch_related("photos")
    if not user.is_authenticated:  # schema generation asks without a user
        return requests.none()
    if user.role == Role.REQUESTER or user.role is None:
        return requests.filter(requested_by=user)
    return requests


def asset_history() -> QuerySet[MaintenanceEvent]:
    return MaintenanceEvent.objects.select_related("asset", "work_order", "actor")
