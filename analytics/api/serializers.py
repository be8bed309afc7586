"""The analytics API's query parameters, and the shapes of its answers (for the schema)."""

import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analytics.models import Budget
from analytics.selectors import GROUPINGS, INTERVALS
from assets.api.serializers import AssetRefField
from core.api.bodies import StrictModelSerializer, StrictSerializer
from core.api.query import QueryParametersSerializer
from maintenance.choices import Priority, Status, WorkType

DEFAULT_DAYS = 90
EXPORTS = ("json", "csv", "xlsx")


@extend_schema_field(
    {
        "oneOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
    }
)
class PeriodBoundField(serializers.Field):
    """An ISO date or datetime. A date means the start of that day (UTC); as an end, the
    whole of that day is included."""

    def __init__(self, *, end: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.end = end

    def to_internal_value(self, data: Any) -> datetime.datetime:
        if not isinstance(data, str):
            raise serializers.ValidationError("Give an ISO date or datetime.")
        try:
            day = datetime.date.fromisoformat(data)
        except ValueError:
            pass
        else:
            moment = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
            return moment + datetime.timedelta(days=1) if self.end else moment
        parsed = serializers.DateTimeField().to_internal_value(data)
        return parsed

    def to_representation(self, value: Any) -> Any:
        return value


class PeriodQuerySerializer(QueryParametersSerializer):
    start = PeriodBoundField(required=False, help_text="From (default: 90 days before end).")
    end = PeriodBoundField(end=True, required=False, help_text="Until (default: now).")
    format = serializers.ChoiceField(
        choices=EXPORTS, required=False, help_text="csv or xlsx for a download"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.get("end") or timezone.now()
        start = attrs.get("start") or end - datetime.timedelta(days=DEFAULT_DAYS)
        if start >= end:
            raise serializers.ValidationError({"start": ["start must be before end."]})
        if end - start > datetime.timedelta(days=3700):
            raise serializers.ValidationError({"start": ["Ask for at most ten years at once."]})
        return {**attrs, "start": start, "end": end}


class TrendsQuerySerializer(PeriodQuerySerializer):
    interval = serializers.ChoiceField(choices=INTERVALS, required=False, default="day")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs["interval"] == "day" and attrs["end"] - attrs["start"] > datetime.timedelta(
            days=1100
        ):
            raise serializers.ValidationError(
                {"interval": ["Daily trends cover at most three years; use week or month."]}
            )
        return attrs


class CostsQuerySerializer(PeriodQuerySerializer):
    group_by = serializers.ChoiceField(choices=GROUPINGS, required=False, default="asset")


class DevicePerformanceQuerySerializer(PeriodQuerySerializer):
    asset_id = serializers.CharField(required=False, max_length=100, help_text="One asset")


class WorkOrderCountsSerializer(StrictSerializer):
    by_status = serializers.DictField(
        child=serializers.IntegerField(), help_text=f"Created in the period: {Status.values}"
    )
    by_priority = serializers.DictField(
        child=serializers.IntegerField(), help_text=f"Created in the period: {Priority.values}"
    )
    open = serializers.IntegerField(help_text="Open now")
    overdue = serializers.IntegerField(help_text="Open now and past due")
    completed = serializers.IntegerField(help_text="Completed in the period")


def _figure(help_text: str, places: int = 2) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=20, decimal_places=places, allow_null=True, help_text=help_text
    )


class OverviewSerializer(StrictSerializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    work_orders = WorkOrderCountsSerializer()
    backlog_hours = _figure("Estimated hours of open work now.")
    backlog_weeks = _figure("backlog_hours / (active technicians x weekly hours); null at 0.")
    mttr_hours = _figure("mean(completed_at - started_at), corrective and emergency work.")
    mtbf_hours = _figure("(elapsed hours x assets - downtime hours) / failures; null at 0.")
    availability_percent = _figure("(1 - downtime / (elapsed hours x assets)) x 100.", 1)
    pm_compliance_percent = _figure("PM due and done within 10% of its interval / due.", 1)
    planned_maintenance_percent = _figure("Planned work's hours / all hours completed.", 1)
    sla_met_percent = _figure("Work with an SLA met / (met + breached).", 1)


class TrendSerializer(StrictSerializer):
    period_start = serializers.DateTimeField()
    created = serializers.IntegerField()
    completed = serializers.IntegerField()
    overdue = serializers.IntegerField()
    mttr_hours = _figure("MTTR of the breakdown work completed in the period.")
    cost = _figure("Total cost of work completed (or created, while open) in the period.")


class CostRowSerializer(StrictSerializer):
    key = serializers.CharField(allow_null=True, help_text="asset_id, work type or month")
    labor = _figure("Labor cost.")
    parts = _figure("Parts cost.")
    other = _figure("Other costs.")
    total = _figure("labor + parts + other.")
    budget = _figure("The budgets of the months the period touches; null without one.")
    variance = _figure("budget - total; null without a budget.")


class DevicePerformanceSerializer(StrictSerializer):
    asset_id = serializers.CharField()
    name = serializers.CharField()
    uptime_percent = _figure("(1 - downtime / exposure) x 100.", 1)
    failures = serializers.IntegerField()
    mtbf_hours = _figure("(exposure - downtime) / failures; null without failures.")
    mttr_hours = _figure("Mean repair time of its breakdown work.")
    downtime_hours = _figure("Hours down in the period.")
    health_score = serializers.IntegerField(allow_null=True, min_value=0, max_value=100)
    risk_level = serializers.CharField(allow_null=True)


class PredictiveInsightSerializer(StrictSerializer):
    asset_id = serializers.CharField()
    name = serializers.CharField()
    risk_level = serializers.CharField(help_text="low, medium, high or critical (from health).")
    health_score = serializers.IntegerField(min_value=0, max_value=100)
    predicted_failure_within_days = serializers.FloatField(
        allow_null=True,
        help_text="Days from the latest reading to the predicted failure; null without a "
        "ready model or readings.",
    )
    model = serializers.IntegerField(allow_null=True, help_text="The model that predicted it.")
    as_of = serializers.DateTimeField(allow_null=True, help_text="The latest reading.")
    reasons = serializers.ListField(child=serializers.CharField())


class BudgetSerializer(StrictModelSerializer):
    asset_id = AssetRefField(source="asset", required=False, allow_null=True)
    work_type = serializers.ChoiceField(
        choices=WorkType.choices, required=False, allow_blank=True, default=""
    )

    class Meta:
        model = Budget
        fields = ["id", "asset_id", "work_type", "month", "amount", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        # The scope is unique per month; the service says so in plain words.
        validators: list[Any] = []
