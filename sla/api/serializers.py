from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

from core.api.bodies import StrictModelSerializer, StrictSerializer
from core.api.query import QueryParametersSerializer
from core.api.serializers import PublicShapeMixin
from core.roles import Role
from maintenance.choices import Priority
from maintenance.models import MaintenanceCalendar
from sla.choices import Clock
from sla.events import violation_payload
from sla.models import MAX_MINUTES, Policy, Violation
from sla.services.policies import MAX_ESCALATION_STEPS

BIGINT = 2**63 - 1


class EscalationStepSerializer(StrictSerializer):
    after_minutes = serializers.IntegerField(
        min_value=0,
        max_value=MAX_MINUTES,
        help_text="Working minutes (of the policy's calendar) after the clock's due time.",
    )
    notify_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), required=False, max_length=5
    )
    notify_users = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=BIGINT),
        required=False,
        max_length=100,
        help_text="Ids of active users of this tenant.",
    )


class PolicySerializer(StrictModelSerializer):
    """An SLA policy. Managers write; the team (and requesters) read."""

    calendar = serializers.PrimaryKeyRelatedField(
        queryset=MaintenanceCalendar.objects.all(),
        required=False,
        allow_null=True,
        help_text="A maintenance calendar: the clocks count only its working time (null: 24x7).",
    )
    escalation = EscalationStepSerializer(
        many=True,
        required=False,
        max_length=MAX_ESCALATION_STEPS,
        help_text=(
            "Steps run once each while a breached clock stays unmet: e-mail to the people "
            "named and the members of the roles, and a message on every channel of those roles."
        ),
    )

    class Meta:
        model = Policy
        fields = [
            "id",
            "name",
            "priority",
            "work_type",
            "asset_criticality",
            "response_minutes",
            "resolution_minutes",
            "calendar",
            "pause_on_hold",
            "warning_threshold_percent",
            "escalation",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Uniqueness is the service's to judge (case-insensitively).
        extra_kwargs = {"name": {"validators": []}}


class ViolationSerializer(PublicShapeMixin, StrictModelSerializer):
    """A clock past its due time: one per work order and clock, ever."""

    payload_builder = staticmethod(violation_payload)
    work_order_number = serializers.CharField(source="work_order.number", read_only=True)
    kind = serializers.ChoiceField(source="clock", choices=Clock.choices, read_only=True)
    breached_at = serializers.DateTimeField(
        source="crossed_at",
        read_only=True,
        help_text="When the monitor found the clock past due (within one monitor interval).",
    )
    escalated = serializers.BooleanField(read_only=True)

    class Meta:
        model = Violation
        fields = [
            "id",
            "work_order",
            "work_order_number",
            "kind",
            "policy",
            "due_at",
            "breached_at",
            "escalated",
            "escalation_level",
        ]
        read_only_fields = fields


class MomentField(serializers.Field):
    """An ISO date-time, or a date: a start date means its first moment, an end date
    includes that whole day (UTC)."""

    def __init__(self, *, end: bool, **kwargs: Any) -> None:
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> datetime:
        text = str(data).strip()
        try:
            # A bare date first: parse_datetime would read it as that day's midnight.
            day = parse_date(text)
            moment = None if day else parse_datetime(text)
        except ValueError:
            moment = day = None
        if moment is not None:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if day is None:
            raise serializers.ValidationError("An ISO date (2026-03-01) or date-time.")
        if self.end:
            day = day + timedelta(days=1) if day < date.max else day
        return datetime.combine(day, time(), tzinfo=UTC)

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


class PerformanceQuerySerializer(QueryParametersSerializer):
    start = MomentField(end=False, required=False)
    end = MomentField(end=True, required=False)


class PriorityPerformanceSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    met_percent = serializers.FloatField(allow_null=True)


class PerformanceSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Work orders with a policy reported in the window.")
    met = serializers.IntegerField(help_text="Both clocks stopped in time.")
    breached = serializers.IntegerField(help_text="At least one clock breached.")
    met_percent = serializers.FloatField(
        allow_null=True, help_text="met / (met + breached) x 100; null when both are 0."
    )
    by_priority = serializers.DictField(
        child=PriorityPerformanceSerializer(),
        help_text=f"The same per priority ({', '.join(Priority.values)}).",
    )
    mean_response_minutes = serializers.FloatField(
        allow_null=True,
        help_text="Mean working minutes from report to first start (pauses excluded).",
    )
    mean_resolution_minutes = serializers.FloatField(
        allow_null=True, help_text="Mean working minutes from report to completion."
    )
