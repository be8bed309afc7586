"""Serializers of the preventive maintenance API: calendars, schedules, forecasts, statistics."""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assets.choices import AssetType, Operator, Severity
from assets.models import Asset
from core.api.bodies import StrictModelSerializer, StrictSerializer
from core.api.query import QueryParametersSerializer
from inventory.models import Part
from maintenance.choices import Frequency, ScheduleMode, TriggerEvent, TriggerType, WorkType
from maintenance.models import MaintenanceCalendar, PMSchedule, WorkOrderTemplate

PERFORMANCE_OR_METER = "a performance metric (temperature, vibration, ...) or meter:<meter name>"


class CalendarSerializer(StrictModelSerializer):
    working_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), max_length=7
    )
    working_hours = serializers.ListField(child=serializers.CharField(max_length=11), max_length=12)
    holidays = serializers.ListField(child=serializers.DateField(), required=False, max_length=2000)

    class Meta:
        model = MaintenanceCalendar
        fields = [
            "id",
            "name",
            "timezone",
            "working_days",
            "working_hours",
            "holidays",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class ConditionSerializer(StrictSerializer):
    metric = serializers.CharField(max_length=100, help_text=PERFORMANCE_OR_METER)
    operator = serializers.ChoiceField(choices=Operator.choices)
    threshold = serializers.DecimalField(max_digits=16, decimal_places=4)
    duration_minutes = serializers.IntegerField(
        min_value=0, max_value=525600, required=False, default=0
    )


class RequiredPartSerializer(StrictSerializer):
    part = serializers.PrimaryKeyRelatedField(queryset=Part.objects.all())
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0.001"))


class AssetCodesField(serializers.ListField):
    """Assets in, and out, by their asset_id codes.

    A schedule may cover thousands of assets, so the codes are looked up in one query
    rather than one per code; unknown codes are reported by their position, like DRF does.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", serializers.CharField(max_length=100))
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[Asset]:
        codes: list[str] = super().to_internal_value(data)
        by_code = {asset.asset_id: asset for asset in Asset.objects.filter(asset_id__in=codes)}
        unknown = {
            index: [f"Object with asset_id={code} does not exist."]
            for index, code in enumerate(codes)
            if code not in by_code
        }
        if unknown:
            raise serializers.ValidationError(unknown)
        return [by_code[code] for code in dict.fromkeys(codes)]

    def to_representation(self, data: Any) -> list[str]:
        return [asset.asset_id for asset in data.all()]


class ScheduleSerializer(StrictModelSerializer):
    assets = AssetCodesField(required=False, max_length=10000)
    meter = serializers.CharField(
        source="meter_name", required=False, allow_blank=True, max_length=100
    )
    condition = serializers.SerializerMethodField()
    condition_input = ConditionSerializer(
        required=False, allow_null=True, write_only=True, source="condition"
    )
    required_parts = RequiredPartSerializer(many=True, required=False, max_length=200)
    template = serializers.PrimaryKeyRelatedField(
        queryset=WorkOrderTemplate.objects.all(), required=False, allow_null=True
    )
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=MaintenanceCalendar.objects.all(), required=False, allow_null=True
    )
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False, allow_blank=True)
    maintenance_type = serializers.ChoiceField(choices=WorkType.choices, required=False)
    trigger_type = serializers.ChoiceField(choices=TriggerType.choices)
    schedule_mode = serializers.ChoiceField(choices=ScheduleMode.choices, required=False)
    trigger_event = serializers.ChoiceField(
        choices=TriggerEvent.choices, required=False, allow_blank=True
    )
    event_min_severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, allow_blank=True
    )
    asset_type = serializers.ChoiceField(
        choices=AssetType.choices, required=False, allow_blank=True
    )
    starts_at = serializers.DateTimeField(required=False)

    class Meta:
        model = PMSchedule
        fields = [
            "id",
            "name",
            "description",
            "maintenance_type",
            "priority",
            "trigger_type",
            "frequency",
            "interval",
            "cron",
            "starts_at",
            "schedule_mode",
            "trigger_value",
            "meter",
            "condition",
            "condition_input",
            "trigger_event",
            "event_min_severity",
            "event_work_type",
            "assets",
            "asset_type",
            "template",
            "calendar",
            "lead_time_days",
            "estimated_duration",
            "estimated_cost",
            "required_skills",
            "required_tools",
            "required_parts",
            "skip_if_open",
            "active",
            "next_due_at",
            "last_generated_at",
            "external_ref",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "next_due_at",
            "last_generated_at",
            "external_ref",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"name": {"validators": []}}

    def to_internal_value(self, data: Any) -> Any:
        # ``condition`` is an object on the way in and on the way out.
        if isinstance(data, dict) and "condition" in data:
            data = {**data, "condition_input": data["condition"]}
            data.pop("condition")
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict) and "condition_input" in exc.detail:
                exc.detail["condition"] = exc.detail.pop("condition_input")
            raise

    @extend_schema_field(ConditionSerializer(allow_null=True))
    def get_condition(self, schedule: PMSchedule) -> dict[str, Any] | None:
        if not schedule.condition_metric:
            return None
        return {
            "metric": schedule.condition_metric,
            "operator": schedule.condition_operator,
            "threshold": schedule.condition_threshold,
            "duration_minutes": schedule.condition_duration_minutes,
        }


def schedule_fields(data: dict[str, Any]) -> tuple[dict[str, Any], list[Any] | None]:
    data = dict(data)
    assets = data.pop("assets", None)
    condition = data.pop("condition", "missing")
    if condition != "missing":
        condition = condition or {}
        data.update(
            condition_metric=condition.get("metric", ""),
            condition_operator=condition.get("operator", ""),
            condition_threshold=condition.get("threshold"),
            condition_duration_minutes=condition.get("duration_minutes", 0),
        )
    if "required_parts" in data:
        data["required_parts"] = [
            {"part": line["part"].pk, "quantity": str(line["quantity"])}
            for line in data["required_parts"]
        ]
    if data.get("cron") is None:
        data.pop("cron", None)
    return data, assets


class ForecastSerializer(StrictSerializer):
    asset_id = serializers.CharField()
    nominal = serializers.DateTimeField()
    due = serializers.DateTimeField()
    estimated = serializers.BooleanField()


class GenerateResultSerializer(StrictSerializer):
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()
    work_orders = serializers.ListField(child=serializers.IntegerField())


class ForecastQuerySerializer(QueryParametersSerializer):
    until = serializers.DateTimeField(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=2000, required=False, default=500)


class StatisticsQuerySerializer(QueryParametersSerializer):
    start_date = serializers.DateTimeField(required=False)
    end_date = serializers.DateTimeField(required=False)


class PMStatisticsSerializer(StrictSerializer):
    start_date = serializers.DateTimeField()
    end_date = serializers.DateTimeField()
    schedules = serializers.DictField()
    due = serializers.IntegerField()
    overdue = serializers.IntegerField()
    generated = serializers.IntegerField()
    completed = serializers.IntegerField()
    completed_on_time = serializers.IntegerField()
    pm_compliance_percentage = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True
    )
    planned_maintenance_percentage = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True
    )
