from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.lookups import ID_LOOKUP
from core.exceptions import InvalidInput
from sla import selectors
from sla.api.filters import PolicyFilter, ViolationFilter
from sla.api.serializers import (
    PerformanceQuerySerializer,
    PerformanceSerializer,
    PolicySerializer,
    ViolationSerializer,
)
from sla.models import Policy, WorkOrderClock
from sla.services import policies


class PolicyViewSet(viewsets.ModelViewSet):
    """SLA policies: response and resolution targets by priority, work type and asset
    criticality (the most specific active one applies: asset_criticality > work_type >
    priority), counted in a calendar's working time. Managers write, others read.
    A change applies to work orders created afterwards."""

    queryset = Policy.objects.all()
    serializer_class = PolicySerializer
    filterset_class = PolicyFilter
    lookup_value_regex = ID_LOOKUP
    search_fields = ["name"]
    ordering_fields = ["name", "response_minutes", "resolution_minutes", "created_at"]
    ordering = ["name"]

    def perform_create(self, serializer: PolicySerializer) -> None:
        serializer.instance = policies.policy_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: PolicySerializer) -> None:
        serializer.instance = policies.policy_update(
            by=self.request.user, policy=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: Policy) -> None:
        policies.policy_delete(by=self.request.user, policy=instance)


class ViolationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Clocks that passed their due time, newest first: one per work order and clock.
    `escalation_level` counts the policy's escalation steps run so far."""

    queryset = selectors.violation_list()
    serializer_class = ViolationSerializer
    filterset_class = ViolationFilter
    lookup_value_regex = ID_LOOKUP
    search_fields = ["work_order__number", "work_order__title"]
    ordering_fields = ["crossed_at", "due_at", "escalation_level"]
    ordering = ["-crossed_at", "-id"]


class PerformanceView(generics.GenericAPIView):
    """How work orders with a policy fared. Counted over those reported in the window: met
    when neither clock breached, breached when one did; clocks still running (and not yet
    past due) count in `total` only."""

    # For the permission: reading clocks is the team's (view_workorderclock).
    queryset = WorkOrderClock.objects.none()
    serializer_class = PerformanceSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "start",
                OpenApiTypes.STR,
                description="ISO date or date-time (default: 90 days before `end`).",
            ),
            OpenApiParameter(
                "end",
                OpenApiTypes.STR,
                description="ISO date (that whole day included) or date-time (default: now).",
            ),
        ],
        responses=PerformanceSerializer,
    )
    def get(self, request: Request) -> Response:
        query = PerformanceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = timezone.now()
        end = query.validated_data.get("end") or now
        try:
            start = query.validated_data.get("start") or end - timedelta(days=90)
        except OverflowError as exc:
            raise InvalidInput({"end": ["Too early to count 90 days back from."]}) from exc
        if start >= end:
            raise InvalidInput({"start": ["start must be before end."]})
        result = selectors.performance(start=start, end=end, now=now)
        return Response(PerformanceSerializer(result.as_dict()).data)
